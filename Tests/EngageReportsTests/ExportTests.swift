import EngageModel
import EngageReports
import EngageTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SwiftCSV
import Testing

@Suite struct ExportTests {
    /// Random activities with hostile text: commas, quotes, line breaks, non-ASCII.
    static func randomActivities(seed: UInt64, count: Int) -> [Activity] {
        var rng = SeededRandom(seed: seed)
        let texts = ["plain", "with, comma", "with \"quotes\"", "two\nlines", "crlf\r\nline", "Señal — ünïcödé 日本", " padded ", ""]
        let countries = ["PE", "CL", "TZ", "KE", "BE"]
        return (0..<count).map { i in
            var a = Activity(
                id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", i))!, kind: ActivityKind.allCases.randomElement(using: &rng)!,
                title: "T\(i) " + texts.randomElement(using: &rng)!, country: try! Country(countries.randomElement(using: &rng)!),
                startDate: try! Day("2026-0\(Int.random(in: 1...9, using: &rng))-1\(Int.random(in: 0...9, using: &rng))"))
            a.location = rng.chance(0.5) ? texts.randomElement(using: &rng)! : nil
            a.post = ["LIMA", "SANTIAGO", "NAIROBI"].randomElement(using: &rng)!
            a.partners = Set((0..<Int.random(in: 0...3, using: &rng)).map { _ in ["SUNAT", "WCO", "Port of Paita", "A;B"].randomElement(using: &rng)! })
            a.goals = Set(StrategicGoal.allCases.filter { _ in rng.chance(0.4) })
            a.participants = rng.chance(0.5) ? Int.random(in: 0...50, using: &rng) : nil
            a.notes = rng.chance(0.2) ? "" : "note \(i): " + texts.randomElement(using: &rng)!
            a.sensitivity = rng.chance(0.3) ? .sensitive : .unclassified
            a.status = ActivityStatus.allCases.randomElement(using: &rng)!
            return a
        }
    }

    @Test func csvParsedBackByARealParserEqualsTheData() throws {
        let activities = Self.randomActivities(seed: 5, count: 200).filter { !$0.partners.contains("A;B") }
        let csv = try CSV<Named>(string: Export.csv(activities))
        #expect(csv.header == Export.columns)
        #expect(csv.rows.count == activities.count)
        for (row, a) in zip(csv.rows, activities) {
            #expect(row["id"] == a.id.uuidString.lowercased() && row["title"] == a.title && row["notes"] == a.notes)
            #expect(row["location"] == (a.location ?? ""), "\(String(reflecting: row["location"])) vs \(String(reflecting: a.location))")
            #expect(row["country"] == a.country.code && row["kind"] == a.kind.rawValue)
            #expect(Set((row["partners"] ?? "").split(separator: ";").map(String.init)) == a.partners)
            #expect((row["goals"] ?? "").split(separator: ";").compactMap { Int($0) } == a.goals.map(\.rawValue).sorted())
            #expect(row["participants"] == a.participants.map(String.init) ?? "" && row["startDate"] == a.startDate.description)
        }
    }

    @Test func csvFollowsRFC4180() {
        let text = Export.csv(Self.randomActivities(seed: 9, count: 20))
        #expect(text.hasSuffix("\r\n") && text.hasPrefix(Export.columns.joined(separator: ",") + "\r\n"))
        #expect(Export.quote("a \"b\", c") == "\"a \"\"b\"\", c\"")
    }

    @Test(arguments: 0..<100 as Range<UInt64>)
    func shareableNeverEmitsASensitiveActivityOrANote(seed: UInt64) throws {
        let activities = Self.randomActivities(seed: seed, count: 30)
        let shared = Export.shareable(activities)
        #expect(shared.allSatisfy { $0.sensitivity == .unclassified && $0.notes.isEmpty })
        #expect(shared.count == activities.filter { $0.sensitivity != .sensitive }.count)
        for format in Export.Format.allCases {
            let text = try Export.render(shared, as: format)
            for a in activities where a.sensitivity == .sensitive { #expect(!text.contains(a.id.uuidString.lowercased())) }
            for a in activities where !a.notes.isEmpty { #expect(!text.contains("note \(a.title.split(separator: " ")[0].dropFirst()):")) }
        }
    }

    @Test func jsonAndNDJSONUseTheActivityKeys() throws {
        let activities = Self.randomActivities(seed: 3, count: 5)
        #expect(try JSONDecoder().decode([Activity].self, from: Data(Export.json(activities).utf8)) == activities)
        let lines = try Export.ndjson(activities).split(separator: "\n")
        #expect(lines.count == 5)
        #expect(try lines.map { try JSONDecoder().decode(Activity.self, from: Data($0.utf8)) } == activities)
    }

    @Test func filtersSelectByPeriodCountryGoalKindAndPost() {
        let activities = Self.randomActivities(seed: 11, count: 100)
        let filter = Export.Filter(from: try! Day("2026-03-01"), to: try! Day("2026-06-30"), country: try! Country("PE"), goal: .counterThreats)
        let selected = activities.filter(filter.matches)
        #expect(selected.allSatisfy { $0.country.code == "PE" && $0.goals.contains(.counterThreats) && $0.startDate.month >= 3 && $0.startDate.month <= 6 })
        #expect(selected.count == activities.filter { $0.country.code == "PE" && $0.goals.contains(.counterThreats) && (3...6).contains($0.startDate.month) }.count)
    }

    @Test func theHTMLReportIsWellFormedAndHoldsEverySection() throws {
        let report = ReportBuilder.build(activities: Self.randomActivities(seed: 1, count: 80), priorities: ReportTests.priorities,
                                         registry: ReportTests.registry, openConflicts: 1)
        let html = HTMLReport.render(report, generatedAt: "2026-11-29T08:00:00Z")
        let parser = XMLParser(data: Data(html.utf8))
        let collector = IDCollector()
        parser.delegate = collector
        #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(collector.ids.isSuperset(of: ["coverage", "shortfalls", "redundancies", "trend", "dataQuality"]))
        #expect(collector.svgCount >= 3)
        #expect(!html.contains("http://") || !html.contains("src="))  // no external assets
    }
}

final class IDCollector: NSObject, XMLParserDelegate {
    var ids: Set<String> = []
    var svgCount = 0
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if let id = attributes["id"] { ids.insert(id) }
        if name == "svg" { svgCount += 1 }
    }
}
