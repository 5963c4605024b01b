import EngageModel
import Foundation

/// One self-contained page: tables and bar charts as inline SVG, no external assets.
/// Well-formed XHTML, so any XML parser reads it.
public enum HTMLReport {
    public static func render(_ r: Report, generatedAt: String) -> String {
        var body = ""
        let period = "\(r.period.from ?? "the beginning") – \(r.period.to ?? "today")"
        body += "<h1>Global engagement report</h1><p class=\"sub\">Activities starting \(esc(period)); generated \(esc(generatedAt)).</p>"
        let t = r.coverage.totals
        body += "<div class=\"cards\">" + card("Activities", t.activities) + card("Completed", t.completed)
            + card("Participants trained", t.participants) + card("Countries", r.coverage.countries) + card("Posts", r.coverage.posts) + "</div>"

        body += section("coverage", "Coverage")
        let byGoal = Dictionary(grouping: r.coverage.byGoalCountry, by: \.goal).mapValues { $0.reduce(0) { $0 + $1.tally.activities } }
        body += "<h3>Activities by strategic goal</h3>" + bars(StrategicGoal.allCases.map { ("Goal \($0.rawValue): \($0.title)", byGoal[$0.rawValue] ?? 0) })
        let byCountry = Dictionary(grouping: r.coverage.byGoalCountry, by: \.country).mapValues { rows in rows.map(\.tally.activities).max() ?? 0 }
        body += "<h3>Top countries (activities serving their most-served goal)</h3>"
            + bars(byCountry.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(15).map { ("\($0.key) \(countryName($0.key))", $0.value) })
        body += "<h3>Goal × country</h3>" + table(["Goal", "Country", "Region", "Activities", "Completed", "Participants"],
            r.coverage.byGoalCountry.map { ["\($0.goal)", $0.country, $0.region, "\($0.tally.activities)", "\($0.tally.completed)", "\($0.tally.participants)"] })
        body += "<h3>Kind × quarter</h3>" + table(["Kind", "Quarter", "Activities", "Completed", "Participants"],
            r.coverage.byKindQuarter.map { [$0.kind, $0.quarter, "\($0.tally.activities)", "\($0.tally.completed)", "\($0.tally.participants)"] })
        body += "<h3>Partner agencies</h3>" + bars(r.coverage.byPartner.prefix(15).map { row in (row.name.map { "\(row.partner) — \($0)" } ?? row.partner, row.tally.activities) })

        body += section("shortfalls", "Shortfalls")
        body += "<p>Priority countries whose share of engagement is below their priority share.</p>"
            + table(["Country", "Priority score", "Priority share", "Engagement share", "Activities"],
                    r.shortfalls.countries.map { [$0.country + " " + countryName($0.country), fmt($0.priorityScore), pct($0.priorityShare), pct($0.engagementShare), "\($0.activities)"] })
            + "<h3>Goals with no completed activity in a priority country</h3>"
            + table(["Country", "Goals"], r.shortfalls.goalGaps.map { [$0.country + " " + countryName($0.country), $0.goals.map(String.init).joined(separator: ", ")] })

        body += section("redundancies", "Possible redundancies")
        let red = r.redundancies
        body += "<p>\(red.found) groups of engagements that may duplicate each other: \(esc(red.rule)). "
            + (red.found > red.groups.count ? "The \(red.groups.count) spanning the most posts are shown." : "") + "</p>"
        for g in red.groups {
            body += "<h3>\(esc(countryName(g.country))) · \(esc(g.kind)) · \(esc(g.partners.joined(separator: ", ")))</h3>"
                + "<p class=\"sub\">\(g.activities) engagements from \(esc(g.posts.joined(separator: ", "))), \(esc(g.from)) – \(esc(g.to))</p>"
                + table(["Title", "Post", "Dates"], g.engagements.map { [$0.title, $0.post, $0.startDate + ($0.endDate.map { " – " + $0 } ?? "")] })
        }

        body += section("trend", "Trend")
        body += trendChart(r.trend)
        body += table(["Goal", "Quarter", "Activities", "Change"], r.trend.map { ["\($0.goal)", $0.quarter, "\($0.activities)", $0.change.map { $0 > 0 ? "+\($0)" : "\($0)" } ?? ""] })

        body += section("dataQuality", "Data quality")
        let q = r.dataQuality
        body += "<ul><li>\(q.withoutGoals.count) activities without a strategic goal</li>"
            + "<li>\(q.unknownPartners.count) partners not in the registry: \(esc(q.unknownPartners.map(\.partner).joined(separator: ", ")))</li>"
            + "<li>\(q.openConflicts) conflicts still open</li></ul>"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/><title>Engage — global engagement report</title>
            <style>\(css)</style></head><body>\(body)</body></html>

            """
    }

    static let css = """
        body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1d2733}h1{margin-bottom:0}.sub{color:#5a6b7d}
        h2{border-bottom:2px solid #1f5f99;padding-bottom:.2rem;margin-top:2.5rem}table{border-collapse:collapse;width:100%;font-size:.9rem}
        th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #dde3ea}th{background:#f1f4f8}
        .cards{display:flex;gap:1rem;margin:1.5rem 0}.card{background:#f1f4f8;border-radius:.5rem;padding:.75rem 1rem;flex:1}
        .card b{display:block;font-size:1.6rem;color:#1f5f99}svg text{font-size:12px;fill:#1d2733}
        """

    static func section(_ id: String, _ title: String) -> String { "<h2 id=\"\(id)\">\(esc(title))</h2>" }
    static func card(_ label: String, _ value: Int) -> String { "<div class=\"card\"><b>\(value)</b>\(esc(label))</div>" }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        if rows.isEmpty { return "<p><em>None.</em></p>" }
        return "<table><thead><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }.joined() + "</tbody></table>"
    }

    /// Horizontal bars, one per row.
    static func bars(_ rows: [(String, Int)]) -> String {
        guard let top = rows.map(\.1).max(), top > 0 else { return "<p><em>None.</em></p>" }
        let height = rows.count * 22 + 4
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" height=\"\(height)\" viewBox=\"0 0 900 \(height)\" role=\"img\">"
        for (i, row) in rows.enumerated() {
            let y = i * 22 + 2, width = max(1, Int(Double(row.1) / Double(top) * 480))
            svg += "<text x=\"0\" y=\"\(y + 14)\">\(esc(String(row.0.prefix(52))))</text>"
            svg += "<rect x=\"360\" y=\"\(y + 2)\" width=\"\(width)\" height=\"16\" rx=\"3\" fill=\"#1f5f99\"/>"
            svg += "<text x=\"\(366 + width)\" y=\"\(y + 14)\">\(row.1)</text>"
        }
        return svg + "</svg>"
    }

    /// One line per goal across quarters.
    static func trendChart(_ points: [Report.TrendPoint]) -> String {
        let quarters = Array(Set(points.map(\.quarter))).sorted()
        guard quarters.count > 1, let top = points.map(\.activities).max(), top > 0 else { return "" }
        let colors = ["#1f5f99", "#c2571a", "#2e8b57", "#8a4fbf"]
        let w = 860.0, h = 220.0, step = w / Double(quarters.count - 1)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" height=\"260\" viewBox=\"0 0 900 260\" role=\"img\">"
        for goal in 1...4 {
            let ys = quarters.map { q in points.first { $0.goal == goal && $0.quarter == q }?.activities ?? 0 }
            let path = ys.enumerated().map { "\(Int(20 + Double($0.offset) * step)),\(Int(10 + h - Double($0.element) / Double(top) * h))" }
            svg += "<polyline fill=\"none\" stroke=\"\(colors[goal - 1])\" stroke-width=\"2\" points=\"\(path.joined(separator: " "))\"/>"
            svg += "<text x=\"\(20 + (goal - 1) * 90)\" y=\"255\" fill=\"\(colors[goal - 1])\">Goal \(goal)</text>"
        }
        for (i, q) in quarters.enumerated() where i % max(1, quarters.count / 8) == 0 {
            svg += "<text x=\"\(Int(20 + Double(i) * step) - 20)\" y=\"238\">\(esc(q))</text>"
        }
        return svg + "</svg>"
    }

    static func countryName(_ code: String) -> String { (try? Country(code))?.name ?? "" }
    static func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
    static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
