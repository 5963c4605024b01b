import EngageModel
import Foundation

/// One self-contained page: tables and bar charts as inline SVG, no external assets.
/// Well-formed XHTML, so any XML parser reads it.
public enum HTMLReport {
    public static func render(_ r: Report, generatedAt: String) -> String {
        var body = ""
        // The quarter the report was generated in has not ended: its figures are partial.
        let unfinished = Day.quarter(ofISODate: generatedAt)
        let period = "\(r.period.from ?? "the beginning") – \(r.period.to ?? "today")"
        body += "<section id=\"summary\"><h1>Global engagement report</h1><p class=\"sub\">Activities starting \(esc(period)); generated \(esc(generatedAt)).</p>"
        let t = r.coverage.totals
        body += "<div class=\"cards\">" + card("Activities", t.activities) + card("Completed", t.completed)
            + card("Participants trained", t.participants) + card("Countries", r.coverage.countries) + card("Posts", r.coverage.posts) + "</div>"
        if r.coverage.multiCountry > 0 {
            body += "<p class=\"note\">\(r.coverage.multiCountry) activities take place in several countries: each counts once per country "
                + "in the country figures and once in the totals.</p>"
        }
        if r.coverage.yearOnly > 0 {
            body += "<p class=\"note\">\(r.coverage.yearOnly) activities are dated only to the year: they count in the totals and by "
                + "country, not in the quarterly figures.</p>"
        }

        body += section("coverage", "Coverage")
        let byGoal = Dictionary(grouping: r.coverage.byGoalCountry, by: \.goal).mapValues { $0.reduce(0) { $0 + $1.tally.activities } }
        body += "<h3>Activities by strategic goal</h3>" + bars(StrategicGoal.allCases.map { ("Goal \($0.rawValue): \($0.title)", byGoal[$0.rawValue] ?? 0) })
        let byCountry = Dictionary(grouping: r.coverage.byGoalCountry, by: \.country).mapValues { rows in rows.map(\.tally.activities).max() ?? 0 }
        body += "<h3>Top countries (activities serving their most-served goal)</h3>"
            + bars(byCountry.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(15).map { ("\($0.key) \(countryName($0.key))", $0.value) })
        body += "<h3>Activities by country and goal</h3><p class=\"note\">One row per country, most engaged first; an activity "
            + "serving two goals counts under each.</p>" + goalCountryTable(r.coverage.byGoalCountry)
        body += "<h3>Kind × quarter</h3>" + kindQuarterCharts(r.coverage.byKindQuarter, unfinished: unfinished)
            + "<details><summary>The numbers</summary>" + table(["Kind", "Quarter", "Activities", "Completed", "Participants"],
            r.coverage.byKindQuarter.map { [$0.kind, $0.quarter, "\($0.tally.activities)", "\($0.tally.completed)", "\($0.tally.participants)"] })
            + "</details>"
        body += "<h3>Partner agencies</h3>" + bars(r.coverage.byPartner.prefix(15).map { row in (row.name.map { "\(row.partner) — \($0)" } ?? row.partner, row.tally.activities) })

        body += section("shortfalls", "Shortfalls")
        body += "<p>Priority countries whose share of engagement is below their priority share.</p>"
            + table(["Country", "Gap (points) ▼", "Priority share", "Engagement share", "Priority score", "Activities"],
                    r.shortfalls.countries.map {
                        [$0.country + " " + countryName($0.country), String(format: "%.1f", ($0.priorityShare - $0.engagementShare) * 100),
                         pct($0.priorityShare), pct($0.engagementShare), fmt($0.priorityScore), "\($0.activities)"]
                    })
            + (r.shortfalls.withoutPriority.isEmpty ? "" :
                "<p class=\"note\">Engaged but without a priority entry (no share to compare): "
                + esc(r.shortfalls.withoutPriority.map { "\($0) \(countryName($0))" }.joined(separator: ", ")) + ".</p>")
            + "<h3>Goals with no completed activity in a priority country</h3>"
            + table(["Country", "Goals"], r.shortfalls.goalGaps.map { [$0.country + " " + countryName($0.country), $0.goals.map(String.init).joined(separator: ", ")] })

        body += section("redundancies", "Possible redundancies")
        let red = r.redundancies
        body += "<p>\(red.found) group\(red.found == 1 ? "" : "s") of engagements that may duplicate each other: \(esc(red.rule)). "
            + (red.found > red.groups.count ? "The \(red.groups.count) spanning the most posts are shown." : "") + "</p>"
        for g in red.groups {
            body += "<h3>\(esc(countryName(g.country))) · \(esc(g.kind)) · \(esc(g.partners.joined(separator: ", ")))</h3>"
                + "<p class=\"sub\">\(g.activities) engagements from \(esc(g.posts.joined(separator: ", "))), \(esc(g.from)) – \(esc(g.to))</p>"
                + table(["Title", "Post", "Dates"], g.engagements.map { [$0.title, $0.post, $0.startDate + ($0.endDate.map { " – " + $0 } ?? "")] })
        }

        body += section("trend", "Trend")
        body += trendChart(r.trend, unfinished: unfinished)
        body += "<details><summary>The numbers</summary>"
            + table(["Goal", "Quarter", "Activities", "Change"], r.trend.map { ["\($0.goal)", $0.quarter, "\($0.activities)", $0.change.map { $0 > 0 ? "+\($0)" : "\($0)" } ?? ""] })
            + "</details>"

        body += section("dataQuality", "Data quality")
        let q = r.dataQuality
        body += "<ul><li>\(q.withoutGoals.count) activities without a strategic goal</li>"
            + "<li>\(q.unknownPartners.count) partner names not in the registry"
            + (q.unknownPartners.isEmpty ? "" : ", most used: " + esc(q.unknownPartners.prefix(10).map { "\($0.partner) (\($0.activities.count))" }.joined(separator: ", ")))
            + "</li>"
            + "<li>\(q.openConflicts) conflicts still open</li></ul>"
        body += "</section>"
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
        .card b{display:block;font-size:1.6rem;color:#1f5f99}svg text{font-size:12px;fill:#1d2733}.note{color:#5a6b7d;font-size:.9rem}
        .multiples{display:grid;grid-template-columns:repeat(3,1fr);gap:.5rem}.small-multiple .kind{font-weight:600;font-size:13px}
        .axis-title{font-weight:600}details{margin:.5rem 0}summary{cursor:pointer;color:#1f5f99}
        """

    /// Closes the section before and opens one: each part of the page is a `<section id>`.
    static func section(_ id: String, _ title: String) -> String { "</section><section id=\"\(id)\"><h2>\(esc(title))</h2>" }
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

    /// Countries down, goals across: a country's activities per goal.
    static func goalCountryTable(_ rows: [Report.GoalCountry]) -> String {
        let byCountry = Dictionary(grouping: rows, by: \.country)
        let ordered = byCountry.sorted { a, b in
            let x = a.value.map(\.tally.activities).max() ?? 0, y = b.value.map(\.tally.activities).max() ?? 0
            return (y, a.key) < (x, b.key)
        }
        return table(["Country", "Region"] + StrategicGoal.allCases.map { "Goal \($0.rawValue)" }, ordered.map { country, cells in
            let goal = Dictionary(cells.map { ($0.goal, $0.tally.activities) }, uniquingKeysWith: +)
            return ["\(country) \(countryName(country))", cells.first?.region ?? ""]
                + StrategicGoal.allCases.map { goal[$0.rawValue].map(String.init) ?? "–" }
        })
    }

    static let goalColors = ["#1f5f99", "#c2571a", "#2e8b57", "#8a4fbf"]

    /// A step of 1, 2 or 5 × 10ⁿ that cuts `top` into about five intervals.
    static func niceStep(_ top: Int) -> Int {
        let raw = max(1.0, Double(top) / 5)
        let magnitude = pow(10, floor(log10(raw)))
        return Int([1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw)
    }

    /// Activities per goal and quarter as lines, with axes, gridlines, axis titles and a legend;
    /// the unfinished quarter's segment is dashed and its label starred.
    static func trendChart(_ points: [Report.TrendPoint], unfinished: String?) -> String {
        let quarters = Array(Set(points.map(\.quarter))).sorted()
        guard quarters.count > 1, let top = points.map(\.activities).max(), top > 0 else { return "<p><em>Too few quarters for a trend.</em></p>" }
        let step = niceStep(top), yMax = (top + step - 1) / step * step
        let left = 70.0, right = 850.0, topY = 20.0, bottom = 240.0
        func x(_ i: Int) -> Double { left + (right - left) * Double(i) / Double(quarters.count - 1) }
        func y(_ v: Int) -> Double { bottom - (bottom - topY) * Double(v) / Double(yMax) }
        var cells: [String: Int] = [:]
        for p in points { cells["\(p.goal)|\(p.quarter)"] = p.activities }
        var svg = "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 900 340\" role=\"img\" aria-label=\"Activities per strategic goal and quarter\">"
        for v in stride(from: 0, through: yMax, by: step) {
            svg += "<line class=\"grid\" x1=\"\(left)\" x2=\"\(right)\" y1=\"\(y(v))\" y2=\"\(y(v))\" stroke=\"#dde3ea\"/>"
            svg += "<text class=\"tick\" x=\"\(left - 8)\" y=\"\(y(v) + 4)\" text-anchor=\"end\">\(v)</text>"
        }
        svg += "<line class=\"axis\" x1=\"\(left)\" x2=\"\(left)\" y1=\"\(topY)\" y2=\"\(bottom)\" stroke=\"#1d2733\"/>"
        svg += "<line class=\"axis\" x1=\"\(left)\" x2=\"\(right)\" y1=\"\(bottom)\" y2=\"\(bottom)\" stroke=\"#1d2733\"/>"
        let every = max(1, quarters.count / 10)
        for (i, q) in quarters.enumerated() where i % every == 0 || i == quarters.count - 1 {
            svg += "<text class=\"tick\" x=\"\(x(i))\" y=\"\(bottom + 18)\" text-anchor=\"middle\">\(esc(q))\(q == unfinished ? "*" : "")</text>"
        }
        svg += "<text class=\"axis-title\" x=\"\((left + right) / 2)\" y=\"\(bottom + 40)\" text-anchor=\"middle\">Quarter the activity started</text>"
        svg += "<text class=\"axis-title\" transform=\"rotate(-90)\" x=\"\(-(topY + bottom) / 2)\" y=\"18\" text-anchor=\"middle\">Activities</text>"
        for goal in 1...4 {
            let color = goalColors[goal - 1]
            // Solid runs between finished quarters; a segment that touches the unfinished one dashed.
            var run: [String] = []
            func flush() {
                if run.count > 1 {
                    svg += "<polyline class=\"goal-\(goal)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.5\" points=\"\(run.joined(separator: " "))\"/>"
                }
                run = []
            }
            for (i, q) in quarters.enumerated() {
                let point = "\(x(i)),\(y(cells["\(goal)|\(q)"] ?? 0))"
                if i > 0, q == unfinished || quarters[i - 1] == unfinished {
                    flush()
                    let before = "\(x(i - 1)),\(y(cells["\(goal)|\(quarters[i - 1])"] ?? 0))"
                    svg += "<polyline class=\"goal-\(goal) unfinished\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.5\" "
                        + "stroke-dasharray=\"6 5\" points=\"\(before) \(point)\"/>"
                }
                if q != unfinished { run.append(point) }
            }
            flush()
            let lx = 70 + ((goal - 1) % 2) * 410, ly = 290 + ((goal - 1) / 2) * 22
            svg += "<g class=\"legend-item\"><rect x=\"\(lx)\" y=\"\(ly)\" width=\"14\" height=\"14\" rx=\"2\" fill=\"\(color)\"/>"
                + "<text x=\"\(lx + 20)\" y=\"\(ly + 12)\">Goal \(goal): \(esc(StrategicGoal(rawValue: goal)?.title ?? ""))</text></g>"
        }
        svg += "</svg>"
        if let unfinished, quarters.contains(unfinished) {
            svg += "<p class=\"note\">* \(esc(unfinished)) is still in progress: its figures are partial (dashed).</p>"
        }
        return svg
    }

    /// One small bar chart per kind, quarters along the bottom, all on the same scale; the
    /// unfinished quarter's bar is pale.
    static func kindQuarterCharts(_ rows: [Report.KindQuarter], unfinished: String?) -> String {
        let quarters = Array(Set(rows.map(\.quarter))).sorted()
        guard let top = rows.map(\.tally.activities).max(), top > 0 else { return "<p><em>None.</em></p>" }
        var cells: [String: Int] = [:]
        for r in rows { cells["\(r.kind)|\(r.quarter)"] = r.tally.activities }
        let kinds = Dictionary(grouping: rows, by: \.kind).mapValues { $0.reduce(0) { $0 + $1.tally.activities } }
            .sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        var out = "<div class=\"multiples\">"
        for (kind, total) in kinds {
            let w = 260.0, h = 110.0, barW = w / Double(max(quarters.count, 1))
            var svg = "<svg class=\"small-multiple\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 300 160\" role=\"img\" aria-label=\"\(esc(kind)) per quarter\">"
            svg += "<text x=\"0\" y=\"14\" class=\"kind\">\(esc(kind)) — \(total)</text>"
            svg += "<text class=\"tick\" x=\"32\" y=\"34\" text-anchor=\"end\">\(top)</text><text class=\"tick\" x=\"32\" y=\"140\" text-anchor=\"end\">0</text>"
            svg += "<line x1=\"36\" x2=\"36\" y1=\"26\" y2=\"136\" stroke=\"#1d2733\"/><line x1=\"36\" x2=\"\(36 + w)\" y1=\"136\" y2=\"136\" stroke=\"#1d2733\"/>"
            for (i, q) in quarters.enumerated() {
                let v = cells["\(kind)|\(q)"] ?? 0, bh = h * Double(v) / Double(top)
                svg += "<rect x=\"\(36 + Double(i) * barW + 1)\" y=\"\(136 - bh)\" width=\"\(max(1, barW - 2))\" height=\"\(bh)\" fill=\"#1f5f99\""
                    + (q == unfinished ? " fill-opacity=\"0.35\" class=\"unfinished\"" : "") + "><title>\(esc(q)): \(v)</title></rect>"
            }
            if let first = quarters.first, let last = quarters.last {
                svg += "<text class=\"tick\" x=\"36\" y=\"152\">\(esc(first))</text>"
                svg += "<text class=\"tick\" x=\"\(36 + w)\" y=\"152\" text-anchor=\"end\">\(esc(last))\(last == unfinished ? "*" : "")</text>"
            }
            out += svg + "</svg>"
        }
        return out + "</div>" + (unfinished.map { quarters.contains($0) ? "<p class=\"note\">* \(esc($0)) is still in progress (pale bars).</p>" : "" } ?? "")
    }

    static func countryName(_ code: String) -> String { (try? Country(code))?.name ?? "" }
    static func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
    static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension Day {
    /// The quarter ("2026-Q4") of an ISO 8601 date or timestamp's date part; nil if it has none.
    static func quarter(ofISODate text: String) -> String? { (try? Day(String(text.prefix(10))))?.quarter }
}
