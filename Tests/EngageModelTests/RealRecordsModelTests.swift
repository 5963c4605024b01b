import EngageModel
import Foundation
import Testing

/// The model's fields for real records: periods as dates, amounts, several countries, in-progress.
@Suite struct RealRecordsModelTests {
    @Test(arguments: [
        ("2026", "2026-01-01", "2026-12-31", DatePrecision.year), ("2026-Q3", "2026-07-01", "2026-09-30", .quarter),
        ("2024-02", "2024-02-01", "2024-02-29", .month), ("2026-03-15", "2026-03-15", "2026-03-15", .day),
    ])
    func periodsReadAsTheirFirstAndLastDay(_ text: String, _ first: String, _ last: String, _ precision: DatePrecision) throws {
        let p = try Day.period(text)
        #expect(p.first.description == first && p.last.description == last && p.precision == precision)
        #expect(p.first.text(precision) == text)
    }

    @Test(arguments: ["2026-Q5", "2026-13", "26", "2026-Q", "2026/03", "2026-03-32", ""])
    func otherPeriodsAreRefusedSayingHowToWriteThem(_ text: String) {
        do { _ = try Day.period(text, field: "startDate"); Issue.record("accepted \(text)") } catch {
            #expect(error.field == "startDate" && error.message.contains("YYYY-MM, YYYY-Qn or YYYY"))
        }
    }

    @Test func activityJSONTakesPeriodsAndKeepsThePrecision() throws {
        let json = #"{"kind":"training","title":"Planned course","country":"XK","otherCountries":["AL","MK"],"startDate":"2027-Q2","endDate":"2027-Q4","status":"in-progress","amount":{"value":"1500.50","currency":"eur"}}"#
        let a = try JSONDecoder().decode(Activity.self, from: Data(json.utf8))
        #expect(a.datePrecision == .quarter)
        #expect(a.startDate.description == "2027-04-01" && a.endDate?.description == "2027-12-31")
        #expect(a.status == .inProgress && a.countries.map(\.code) == ["XK", "AL", "MK"])
        #expect(a.amount?.description == "1500.5 EUR")
        try a.validate()
        let again = try JSONDecoder().decode(Activity.self, from: try JSONEncoder().encode(a))
        #expect(again == a)
    }

    @Test func aDayInsideItsPeriodIsRefusedNamingTheDayToWrite() {
        var a = Activity(kind: .training, title: "T", country: try! Country("PE"), startDate: try! Day("2026-05-10"), datePrecision: .month)
        do { try a.validate(); Issue.record("accepted") } catch { #expect(error.field == "startDate" && error.message.contains("2026-05-01")) }
        a.startDate = try! Day("2026-05-01")
        a.endDate = try! Day("2026-06-15")
        do { try a.validate(); Issue.record("accepted") } catch { #expect(error.field == "endDate" && error.message.contains("2026-06-30")) }
        a.endDate = nil
        a.otherCountries = [try! Country("PE")]
        do { try a.validate(); Issue.record("accepted") } catch { #expect(error.field == "otherCountries") }
    }

    @Test(arguments: ["12 DOLLARS", "1,200 USD", "1e5 USD", "12 usd x", "abc EUR", "12 XXY"])
    func amountsThatAreNotASumAndACurrencyAreRefused(_ text: String) {
        #expect(throws: ModelError.self) { try Amount(text) }
    }

    @Test func amountsKeepDecimalsExactly() throws {
        #expect(try Amount("0.1 USD").description == "0.1 USD")
        #expect(try Amount("-1321 USD").value == -1321)
        #expect(try Amount(value: Decimal(string: "24791708")!, currency: "usd").description == "24791708 USD")
    }

    @Test func registryLookupsFindAliasesAcrossSpellings() throws {
        let dhs = Partner(code: "DHS", name: "Department of Homeland Security", country: try Country("US"), agencyType: Partner.homeGovernment,
                          aliases: ["U.S. Government - Department of Homeland Security"])
        let registry = PartnerRegistry([dhs, Partner(code: "SAT-GT", name: "Superintendencia de Administración Tributaria", country: try Country("GT"), agencyType: "customs")])
        #expect(registry.lookup("u.s. government – department of homeland security")?.code == "DHS")
        #expect(registry.lookup("dhs")?.code == "DHS" && registry.lookup("DHS")?.isForeign == false)
        #expect(registry.lookup("superintendencia de administracion tributaria")?.code == "SAT-GT")
        #expect(registry.lookup("Department of State") == nil)
        // "Name (ACRONYM)" finds the entry by either part.
        #expect(registry.lookup("Department of Homeland Security (DHS)")?.code == "DHS")
        #expect(registry.lookup("Homeland agency (DHS)")?.code == "DHS")
        #expect(registry.lookup("Unknown (XYZ)") == nil)
    }
}
