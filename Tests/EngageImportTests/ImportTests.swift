import EngageHubSQLite
import EngageImport
import EngageModel
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import Testing

/// The importers on the real public files in `real/` (their sources in `real/SOURCE.txt`).
@Suite struct ImportTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("real")
    static let today = try! Day("2026-11-29")
    static func registry() throws -> PartnerRegistry { PartnerRegistry(try DeviceStore.bundledPartners()) }
    static func read(_ format: ImportFormat, _ file: String) throws -> MappingReport {
        try format.read(try Data(contentsOf: folder.appendingPathComponent(file)), post: "SAN-SALVADOR", registry: try registry(), today: today)
    }

    @Test func aForeignAssistanceExportBecomesOneActivityPerActivityID() throws {
        let report = try Self.read(.faGov, "El_Salvador.csv")
        // 4,399 obligation rows of 1,426 activity ids.
        #expect(report.records.count == 1_426)
        #expect(report.records.map(\.rows.count).reduce(0, +) == 4_399)
        let activities = report.activities
        #expect(activities.count > 300)
        #expect(Set(activities.map(\.id)).count == activities.count)
        for a in activities { #expect(throws: Never.self) { try a.validate() } }
        // Every record skipped says why, in a record note.
        for r in report.records where r.skipped { #expect(r.notes.contains { $0.kind == .skipped && $0.field == "record" }, "\(r.source)") }
        #expect(report.records.filter { $0.notes.contains { $0.detail.contains("redacted") && $0.field == "record" } }.count > 100)

        // Several fiscal years' rows are one activity with their summed amount, dated to the month.
        let integrity = try #require(report.records.first { $0.source == "fa-gov:161042" })
        #expect(integrity.rows.count == 8)
        let a = try #require(integrity.activity)
        #expect(a.amount == (try Amount(value: 24_791_708, currency: "USD")))
        #expect(a.title == "Government Integrity" && a.country.code == "SV" && a.post == "SAN-SALVADOR")

        // A border-interdiction course: its attendees read from the title, a training, completed,
        // on the days the record gives.
        let course = try #require(report.records.first { $0.source == "fa-gov:6049" }?.activity)
        #expect(course.participants == 24 && course.kind == .training && course.status == .completed)
        let (start, end) = (try Day("2011-05-29"), try Day("2011-06-11"))
        #expect(course.datePrecision == .day && course.startDate == start && course.endDate == end)
        #expect(course.partners == ["DHS"])  // "U.S. Government - Department of Homeland Security", by its alias
        // A record with no start date is dated from its first fiscal year (October), to the month,
        // and its end date kept to the month; it ends in 2027: in progress.
        let byYear = try #require(report.records.first { $0.source == "fa-gov:172472" })
        #expect(byYear.notes.contains { $0.kind == .guessed && $0.field == "startDate" })
        let planned = try #require(byYear.activity)
        let (fyStart, fyEnd) = (try Day("2021-10-01"), try Day("2027-03-31"))
        #expect(planned.datePrecision == .month && planned.startDate == fyStart && planned.endDate == fyEnd)
        #expect(planned.status == .inProgress)
    }

    @Test func anIATIFileMapsCountriesDatesStatusesAndLanguages() throws {
        let report = try Self.read(.iati, "iati_dportal_activities.xml")
        #expect(report.records.count == 100)
        let activities = report.activities
        #expect(activities.count > 60)
        for a in activities { #expect(throws: Never.self) { try a.validate() } }
        // Regional activities keep every recipient country.
        #expect(activities.contains { $0.otherCountries.count >= 2 })
        // Records with a region and no country are skipped, saying so.
        for r in report.records where r.skipped { #expect(r.notes.contains { $0.field == "record" }, "\(r.source)") }
        // Titles in other languages are kept, and said to be.
        #expect(report.records.contains { $0.notes.contains { $0.field == "title" && $0.detail.contains("no English title") } })
        // IATI status codes: 2 (implementation) is in progress.
        #expect(activities.contains { $0.status == .inProgress })
        // Countries given on the transactions instead of the activity (IATI allows either).
        let usaid = try #require(report.records.first { $0.source == "iati:US-GOV-1-720FDA18CA00052" }?.activity)
        #expect(usaid.country.code == "CD")
        let oxfam = try #require(report.records.first { $0.source == "iati:GB-CHC-202918-MLIB06" }?.activity)
        let (start, end) = (try Day("2014-11-28"), try Day("2015-07-31"))
        #expect(oxfam.country.code == "ML" && oxfam.startDate == start && oxfam.endDate == end)
    }

    @Test func importingTwiceAtTheHubCreatesNothingNew() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try HubStore(path: dir.path("hub.sqlite"), physicalMs: { 1_767_225_600_000 })
        let report = try Self.read(.iati, "iati_dportal_activities.xml")
        let first = try store.importActivities(report.activities)
        let again = try store.importActivities(try Self.read(.iati, "iati_dportal_activities.xml").activities)
        #expect(first.created == report.activities.count && again.created == 0 && again.existing == first.created)
        // What was imported reads back whole, new fields included.
        let stored = try store.activities()
        #expect(Set(stored) == Set(report.activities))
    }

    @Test func filesOfAnotherShapeAreRefusedSayingWhatIsMissing() throws {
        let registry = try Self.registry()
        do {
            _ = try ImportFormat.faGov.read(Data("a,b\n1,2\n".utf8), post: "P1", registry: registry, today: Self.today)
            Issue.record("accepted")
        } catch let error as ImportError {
            #expect(error.description.contains("'Activity ID'") && error.description.contains("foreignassistance.gov"))
        }
        do {
            _ = try ImportFormat.iati.read(Data("<iati-activities><iati-activity>".utf8), post: "P1", registry: registry, today: Self.today)
            Issue.record("accepted")
        } catch let error as ImportError {
            #expect(error.description.contains("not well-formed XML"))
        }
        do {
            _ = try ImportFormat.iati.read(Data("<activities/>".utf8), post: "P1", registry: registry, today: Self.today)
            Issue.record("accepted")
        } catch let error as ImportError {
            #expect(error.description.contains("<iati-activities>"))
        }
    }

    @Test func aRecordThatBreaksTheModelIsSkippedNamingTheFieldAndRule() throws {
        let xml = """
            <iati-activities><iati-activity><iati-identifier>X-1</iati-identifier>
            <title><narrative>Bad dates</narrative></title><recipient-country code="PE"/>
            <activity-date type="2" iso-date="2020-05-01"/><activity-date type="4" iso-date="2019-01-01"/>
            </iati-activity><iati-activity><iati-identifier>X-2</iati-identifier><title><narrative>No country</narrative></title>
            <recipient-region code="298"/><activity-date type="1" iso-date="2020-01-01"/></iati-activity></iati-activities>
            """
        let report = try ImportFormat.iati.read(Data(xml.utf8), post: "LIMA", registry: try Self.registry(), today: Self.today)
        #expect(report.records.count == 2)
        let first = report.records[0]
        #expect(first.notes.contains { $0.kind == .skipped && $0.field == "endDate" && $0.detail.contains("before the start") })
        #expect(first.activity?.endDate == nil)
        #expect(report.records[1].skipped && report.records[1].notes.last?.detail.contains("only a region (298)") == true)
    }

    @Test func participantCountsAreReadFromTitles() throws {
        for (title, n) in [("ILEA course. [24 attendees]", 24), ("Seminar (12 participants)", 12), ("Curso [30 participantes]", 30)] {
            let xml = """
                <iati-activities><iati-activity><iati-identifier>T</iati-identifier><title><narrative>\(title)</narrative></title>
                <recipient-country code="XK"/><activity-date type="1" iso-date="2027-01-01"/></iati-activity></iati-activities>
                """
            let a = try #require(try ImportFormat.iati.read(Data(xml.utf8), post: "P1", registry: try Self.registry(), today: Self.today).activities.first)
            #expect(a.participants == n && a.country.code == "XK" && a.status == .planned)
        }
    }
}
