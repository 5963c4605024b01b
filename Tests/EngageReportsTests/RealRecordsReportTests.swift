import EngageModel
import EngageReports
import Foundation
import Testing

/// The report on what real records bring: several countries, coarse dates, the agency's own
/// government as a partner, partners named by alias.
@Suite struct RealRecordsReportTests {
    static let registry = PartnerRegistry([
        Partner(code: "SUNAT", name: "Superintendencia", country: try! Country("PE"), agencyType: "customs", aliases: ["Aduanas del Perú"]),
        Partner(code: "DHS", name: "Department of Homeland Security", country: try! Country("US"), agencyType: Partner.homeGovernment,
                aliases: ["U.S. Government - Department of Homeland Security"]),
    ])
    static let priorities = Priorities(weights: ["w": 1], countries: [
        .init(country: try! Country("PE"), factors: ["w": 5]), .init(country: try! Country("CL"), factors: ["w": 5]),
    ])

    static func activity(_ n: Int, post: String, _ country: String, others: [String] = [], partners: Set<String>, start: String,
                         end: String? = nil, precision: DatePrecision = .day) -> Activity {
        Activity(id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))!, kind: .training, title: "A\(n)",
                 country: try! Country(country), otherCountries: Set(others.map { try! Country($0) }), post: post, partners: partners,
                 goals: [.counterThreats], startDate: try! Day(start), endDate: end.map { try! Day($0) }, datePrecision: precision, status: .completed)
    }

    @Test func aRegionalActivityCountsOncePerCountryAndOnceInTotals() {
        let regional = Self.activity(1, post: "LIMA", "PE", others: ["CL", "BO"], partners: ["SUNAT"], start: "2026-03-02")
        let r = ReportBuilder.build(activities: [regional], priorities: Self.priorities, registry: Self.registry, openConflicts: 0)
        #expect(r.coverage.totals.activities == 1 && r.coverage.multiCountry == 1 && r.coverage.countries == 3)
        #expect(Set(r.coverage.byGoalCountry.map(\.country)) == ["PE", "CL", "BO"])
        #expect(r.shortfalls.countries.isEmpty)  // PE and CL each have their share
        #expect(r.shortfalls.withoutPriority == ["BO"])
    }

    @Test func theAgencysOwnGovernmentLinksNoEngagementsAsRedundant() {
        let a = Self.activity(1, post: "LIMA", "PE", partners: ["DHS"], start: "2026-03-02", end: "2026-03-20")
        let b = Self.activity(2, post: "CUSCO", "PE", partners: ["U.S. Government - Department of Homeland Security"], start: "2026-03-05")
        let r = ReportBuilder.build(activities: [a, b], priorities: Self.priorities, registry: Self.registry, openConflicts: 0)
        #expect(r.redundancies.found == 0)
        #expect(r.coverage.byPartner.isEmpty)  // not a foreign partner
        // A foreign partner named once by code and once by an alias does link them.
        let c = Self.activity(3, post: "LIMA", "PE", partners: ["SUNAT"], start: "2026-03-02", end: "2026-03-20")
        let d = Self.activity(4, post: "CUSCO", "PE", partners: ["aduanas del peru"], start: "2026-03-05")
        let linked = ReportBuilder.build(activities: [c, d], priorities: Self.priorities, registry: Self.registry, openConflicts: 0)
        #expect(linked.redundancies.found == 1 && linked.redundancies.groups[0].partners == ["SUNAT"])
        #expect(linked.coverage.byPartner.map(\.partner) == ["SUNAT"])
    }

    @Test func activitiesDatedToTheYearStayOutOfTheQuarterlyFigures() {
        let yearOnly = Self.activity(1, post: "LIMA", "PE", partners: ["SUNAT"], start: "2025-01-01", end: "2025-12-31", precision: .year)
        let quarter = Self.activity(2, post: "LIMA", "PE", partners: ["SUNAT"], start: "2025-07-01", end: "2025-09-30", precision: .quarter)
        let r = ReportBuilder.build(activities: [yearOnly, quarter], priorities: Self.priorities, registry: Self.registry, openConflicts: 0)
        #expect(r.coverage.totals.activities == 2 && r.coverage.yearOnly == 1)
        #expect(r.coverage.byKindQuarter.map(\.quarter) == ["2025-Q3"])
        #expect(r.trend.filter { $0.goal == 1 }.map(\.quarter) == ["2025-Q3"])
    }
}
