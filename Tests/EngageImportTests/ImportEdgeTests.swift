import EngageImport
import EngageModel
import EngageStorage
import EngageStore
import Foundation
import Testing

/// Inputs an attack run found mishandled: each kind is now refused or noted, never crashed on
/// and never dropped without a word.
@Suite struct ImportEdgeTests {
    static let today = try! Day("2026-11-29")
    static let header = "Activity ID,Activity Name,Country Code,Fiscal Year,Current Dollar Amount,Activity Start Date,Activity End Date"
    static func faGov(_ rows: [String]) throws -> MappingReport {
        try ImportFormat.faGov.read(Data(([header] + rows).joined(separator: "\n").utf8), post: "LIMA",
                                    registry: PartnerRegistry(try DeviceStore.bundledPartners()), today: today)
    }
    static func iati(_ body: String) throws -> MappingReport {
        try ImportFormat.iati.read(Data("<iati-activities>\(body)</iati-activities>".utf8), post: "LIMA",
                                   registry: PartnerRegistry(try DeviceStore.bundledPartners()), today: today)
    }
    static func activity(_ id: String, _ inner: String) -> String {
        "<iati-activity><iati-identifier>\(id)</iati-identifier><title><narrative>Course \(id)</narrative></title>"
            + "<recipient-country code=\"PE\"/><activity-date type=\"2\" iso-date=\"2025-01-10\"/>\(inner)</iati-activity>"
    }

    @Test(arguments: ["0", "-5", "1850", "3500", "99999"])
    func aFiscalYearOutOfRangeIsNotedNotCrashedOn(_ year: String) throws {
        let r = try Self.faGov(["1,Border course,PER,\(year),1000,,"]).records[0]
        #expect(r.skipped && r.notes.contains { $0.detail.contains("Fiscal Year '\(year)' is not a year") })
    }

    @Test func amountsNotTakenAreNotedAndTheSumSaysWhatItAdds() throws {
        let r = try Self.faGov(["7,Border course,PER,2020,1000,,", "7,Border course,PER,2021,\"1,000\",,", "7,Border course,PER,2022,$500,,"]).records[0]
        #expect(r.activity?.amount?.description == "1000 USD")
        #expect(r.notes.filter { $0.kind == .skipped && $0.field == "amount" }.count == 2)
        #expect(r.notes.contains { $0.field == "amount" && $0.detail.contains("the sum of 1 ") })
        let dates = try Self.faGov(["8,Course,PER,2020,5,3/3/2016,", "8,Course,PER,2021,5,2016-04-01,2017-01-01", "8,Course,PER,2021,5,2016-02-01,2016-06-01"]).records[0]
        #expect(dates.activity?.startDate.description == "2016-02-01" && dates.activity?.endDate?.description == "2017-01-01")
        #expect(dates.notes.contains { $0.kind == .skipped && $0.detail.contains("'3/3/2016' is not a date") })
    }

    @Test func iatiBudgetsNotTakenAreNotedAndXDRIsACurrency() throws {
        let budgets = "<budget><value currency=\"XDR\">100</value></budget><budget><value currency=\"XDR\">1e3</value></budget>"
            + "<budget><value>200</value></budget><budget><value currency=\"EUR\">5</value></budget>"
        let r = try Self.iati(Self.activity("B-1", budgets)).records[0]
        #expect(r.activity?.amount?.description == "100 XDR")
        let skipped = r.notes.filter { $0.kind == .skipped && $0.field == "amount" }.map(\.detail)
        #expect(skipped.contains { $0.contains("'1e3'") } && skipped.contains { $0.contains("no currency") } && skipped.contains { $0.contains("EUR") })
        #expect(try Amount("1 XDR").currency == "XDR" && (try? Amount("1 XXY")) == nil)
    }

    @Test func aRepeatedIdentifierIsSkippedSayingSo() throws {
        let report = try Self.iati(Self.activity("D-1", "") + Self.activity("D-1", "") + Self.activity("D-2", "<recipient-country code=\"PE\"/>"))
        #expect(report.activities.count == 2)
        #expect(report.records[1].skipped && report.records[1].notes.last?.detail.contains("the same identifier") == true)
        #expect(report.records[2].activity?.otherCountries == [])  // a repeated country is one country
    }

    @Test func xmlWithADocumentTypeOrBrokenMarkupIsRefusedSayingWhere() throws {
        #expect(throws: ImportError.self) { try Self.iati("") ; try ImportFormat.iati.read(Data("<!DOCTYPE x [<!ENTITY a \"b\">]><iati-activities/>".utf8), post: "P1", registry: PartnerRegistry([]), today: Self.today) }
        do {
            _ = try ImportFormat.iati.read(Data("<iati-activities>\n<iati-activity>\n</iati-activities>".utf8), post: "P1", registry: PartnerRegistry([]), today: Self.today)
            Issue.record("accepted")
        } catch let error as ImportError {
            #expect(error.description.contains("line 3"), "\(error)")
        }
    }

    @Test func engageJSONWithOneIdForTwoActivitiesIsRefused() throws {
        let json = #"[{"id":"3f2b6c1e-0000-4000-8000-000000000001","kind":"training","title":"A","country":"PE","startDate":"2026-01-05"},{"id":"3f2b6c1e-0000-4000-8000-000000000001","kind":"training","title":"B","country":"PE","startDate":"2026-01-05"}]"#
        do { _ = try ActivityFile.decode(Data(json.utf8)); Issue.record("accepted") } catch let error as DecodingError {
            #expect(error.readableDescription.contains("entries [0] and [1] have the same id"))
        }
        let same = #"[{"kind":"training","title":"A","country":"PE","startDate":"2026-01-05"},{"kind":"training","title":"A","country":"PE","startDate":"2026-01-05"}]"#
        #expect(try ActivityFile.decode(Data(same.utf8)).count == 1)
    }

    @Test func datesOfTwoPrecisionsOrADayInsideItsStatedPeriodAreRefused() throws {
        let mixed = #"[{"kind":"training","title":"A","country":"PE","startDate":"2026","endDate":"2026-03"}]"#
        do { _ = try ActivityFile.decode(Data(mixed.utf8)); Issue.record("accepted") } catch let error as DecodingError {
            #expect(error.readableDescription.contains("give both to the same precision"))
        }
        let inner = #"[{"kind":"training","title":"A","country":"PE","startDate":"2026-07-15","datePrecision":"month"}]"#
        let a = try #require(try ActivityFile.decode(Data(inner.utf8)).first)
        do { try a.validate(); Issue.record("accepted") } catch { #expect(error.message.contains("write 2026-07-01")) }
    }
}

/// An entry without an id keeps the id earlier versions derived for it (the 1.1 keys at their
/// defaults are left out of the hash), so importing an old file again finds its activities.
@Suite struct DerivedIDTests {
    @Test func anEntryWithoutAnIDKeepsTheIDVersion1Derived() throws {
        // Derived by engage-server at eb0b995 (before the 1.1 fields) from this very entry.
        let json = #"[{"kind": "training", "title": "Canine detection team training for port and airport units", "country": "TZ", "location": "Dar es Salaam", "post": "DAR-ES-SALAAM", "partners": ["TPF", "TRA"], "goals": [1], "startDate": "2025-02-10", "endDate": "2025-03-07", "status": "completed", "participants": 18, "notes": "Six handler\u2013dog teams certified; two teams posted to Julius Nyerere International Airport.", "sensitivity": "unclassified", "deleted": false}]"#
        let a = try #require(try ActivityFile.decode(Data(json.utf8)).first)
        #expect(a.id.uuidString.lowercased() == "c2fb09e5-6211-847c-91f3-7c2a719c4d0a")
    }
}
