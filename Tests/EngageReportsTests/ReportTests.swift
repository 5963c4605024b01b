import EngageModel
import EngageReports
import Foundation
import Testing

/// The report on a small fixture, against figures computed by hand (see each comment).
@Suite struct ReportTests {
    static func activity(_ n: Int, post: String, _ country: String, _ kind: ActivityKind, partners: Set<String>, goals: Set<StrategicGoal>,
                         start: String, end: String? = nil, status: ActivityStatus = .completed, participants: Int? = nil,
                         deleted: Bool = false) -> Activity {
        Activity(id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))!, kind: kind, title: "A\(n)",
                 country: try! Country(country), post: post, partners: partners, goals: goals, startDate: try! Day(start),
                 endDate: end.map { try! Day($0) }, status: status, participants: participants, deleted: deleted)
    }

    static let a1 = activity(1, post: "LIMA", "PE", .training, partners: ["SUNAT"], goals: [.counterThreats], start: "2026-01-10", end: "2026-01-12", participants: 10)
    static let a2 = activity(2, post: "SANTIAGO", "PE", .training, partners: ["SUNAT"], goals: [.counterThreats, .facilitateTrade], start: "2026-02-05", status: .planned)
    static let a3 = activity(3, post: "LIMA", "CL", .agreement, partners: ["SNA"], goals: [.informationSharing], start: "2026-04-01")
    static let a4 = activity(4, post: "LIMA", "PE", .training, partners: ["SUNAT"], goals: [], start: "2026-01-20", participants: 5)
    static let a5 = activity(5, post: "LIMA", "TZ", .training, partners: ["Unknown Agency"], goals: [.counterThreats], start: "2026-05-01", status: .cancelled)
    static let a6 = activity(6, post: "LIMA", "PE", .training, partners: ["SUNAT"], goals: [.counterThreats], start: "2026-01-11", deleted: true)
    static func id(_ a: Activity) -> String { a.id.uuidString.lowercased() }

    static let priorities = Priorities(weights: ["tradeVolume": 1], countries: [
        .init(country: try! Country("PE"), factors: ["tradeVolume": 6]),
        .init(country: try! Country("CL"), factors: ["tradeVolume": 3]),
        .init(country: try! Country("TZ"), factors: ["tradeVolume": 1]),
    ])
    static let registry = PartnerRegistry([
        Partner(code: "SUNAT", name: "Superintendencia", country: try! Country("PE"), agencyType: "customs"),
        Partner(code: "SNA", name: "Servicio Nacional de Aduanas", country: try! Country("CL"), agencyType: "customs"),
    ])

    var report: Report {
        ReportBuilder.build(activities: [Self.a1, Self.a2, Self.a3, Self.a4, Self.a5, Self.a6], priorities: Self.priorities,
                            registry: Self.registry, openConflicts: 2)
    }

    @Test func coverageCountsWhatHappened() {
        let c = report.coverage
        // A1–A4 count; A5 is cancelled, A6 deleted. Completed: A1, A3, A4. Participants 10 + 5.
        #expect(c.totals.activities == 4 && c.totals.completed == 3 && c.totals.participants == 15)
        #expect(c.cancelled == 1 && c.countries == 2 && c.posts == 2)
        #expect(c.byGoalCountry.map { "\($0.goal)\($0.country):\($0.tally.activities)/\($0.tally.completed)/\($0.tally.participants)" }
                == ["1PE:2/1/10", "2PE:1/0/0", "3CL:1/1/0"])
        #expect(c.byGoalCountry.first?.region == "South America")
        #expect(c.byKindQuarter.map { "\($0.kind) \($0.quarter) \($0.tally.activities)" } == ["agreement 2026-Q2 1", "training 2026-Q1 3"])
        #expect(c.byPartner.map { "\($0.partner):\($0.tally.activities)" } == ["SUNAT:3", "SNA:1"])
    }

    @Test func shortfallsCompareEngagementWithPriority() {
        let s = report.shortfalls
        // Priority shares PE .6, CL .3, TZ .1; engagement PE 3/4, CL 1/4, TZ 0 → CL and TZ fall short, TZ most.
        #expect(s.countries.map(\.country) == ["TZ", "CL"])
        #expect(s.countries.map(\.engagementShare) == [0, 0.25] && s.countries.map(\.priorityShare) == [0.1, 0.3])
        // Goals with no completed activity: CL has goal 3 done; PE goal 1; TZ nothing (A5 was cancelled).
        #expect(s.goalGaps.map { "\($0.country)\($0.goals)" } == ["CL[1, 2, 4]", "PE[2, 3, 4]", "TZ[1, 2, 3, 4]"])
    }

    static let registryWithWCO = PartnerRegistry(registry.partners + [
        Partner(code: "WCO", name: "World Customs Organization", country: try! Country("BE"), agencyType: "multilateral"),
        Partner(code: "APN", name: "Autoridad Portuaria Nacional", country: try! Country("PE"), agencyType: "port"),
    ])

    @Test func redundanciesAreGroupsOfOverlappingEngagementsAcrossPosts() {
        func a(_ n: Int, _ post: String, _ country: String = "PE", _ kind: ActivityKind = .training, partners: Set<String> = ["SUNAT"],
               start: String, _ end: String? = nil) -> Activity {
            Self.activity(n, post: post, country, kind, partners: partners, goals: [.counterThreats], start: start, end: end)
        }
        let chain = [a(11, "LIMA", start: "2026-03-01", "2026-03-05"), a(12, "SANTIAGO", start: "2026-03-04", "2026-03-06"),
                     a(13, "QUITO", start: "2026-03-06", "2026-03-08"),
                     // Linked to the chain through SUNAT, and to 15 through APN: one group.
                     a(14, "BOGOTA", partners: ["SUNAT", "APN"], start: "2026-03-05"), a(15, "MANILA", partners: ["APN"], start: "2026-03-05")]
        let apart = [
            a(16, "LIMA", start: "2026-04-01"),  // no overlap
            a(17, "LIMA", partners: ["WCO"], start: "2026-05-01"), a(18, "SANTIAGO", partners: ["WCO"], start: "2026-05-01"),  // multilateral only
            a(19, "NAIROBI", start: "2026-06-01"), a(20, "NAIROBI", start: "2026-06-01"),  // one post
            a(21, "LIMA", "PE", .agreement, start: "2026-03-02"),  // another kind
            a(22, "SANTIAGO", "CL", start: "2026-03-02"),  // another country
        ]
        let r = ReportBuilder.build(activities: chain + apart, priorities: Self.priorities, registry: Self.registryWithWCO, openConflicts: 0)
            .redundancies
        #expect(r.found == 1)
        let g = try! #require(r.groups.first)
        #expect(g.posts == ["BOGOTA", "LIMA", "MANILA", "QUITO", "SANTIAGO"] && g.activities == 5)
        #expect(g.country == "PE" && g.kind == "training" && g.partners == ["APN", "SUNAT"])
        #expect(g.from == "2026-03-01" && g.to == "2026-03-08")
        #expect(g.engagements.map(\.title) == ["A11", "A12", "A14", "A15", "A13"])
        #expect(g.engagements[0].post == "LIMA" && g.engagements[0].endDate == "2026-03-05")
    }

    @Test func redundancyGroupsAreRankedAndCapped() {
        // 60 pairs of two posts, and one group of three posts that should rank first.
        var activities: [Activity] = []
        for i in 0..<60 {
            let day = String(format: "2026-%02d-%02d", 1 + i / 28, 1 + i % 28)
            for (k, post) in ["LIMA", "QUITO"].enumerated() {
                activities.append(Self.activity(1_000 + i * 2 + k, post: post, "PE", .training, partners: ["SUNAT"], goals: [], start: day))
            }
        }
        for (k, post) in ["LIMA", "QUITO", "SANTIAGO"].enumerated() {
            activities.append(Self.activity(5_000 + k, post: post, "CL", .training, partners: ["SNA"], goals: [], start: "2026-09-01"))
        }
        let r = ReportBuilder.build(activities: activities, priorities: Self.priorities, registry: Self.registry, openConflicts: 0).redundancies
        #expect(r.found == 61 && r.groups.count == ReportBuilder.groupsShown)
        #expect(r.groups[0].posts.count == 3 && r.groups[1].from == "2026-01-01")
    }

    /// 8,000 engagements of two posts, one partner, all overlapping: one group, listed briefly
    /// (the pairwise rule made 32 million pairs of this).
    @Test func oneLargeOverlapIsOneShortGroup() throws {
        let activities = (0..<8_000).map {
            Self.activity(10_000 + $0, post: $0 % 2 == 0 ? "LIMA" : "QUITO", "PE", .training, partners: ["SUNAT"], goals: [.counterThreats],
                          start: "2026-03-01", end: "2026-03-31")
        }
        let report = ReportBuilder.build(activities: activities, priorities: Self.priorities, registry: Self.registry, openConflicts: 0)
        #expect(report.redundancies.found == 1 && report.redundancies.groups[0].activities == 8_000)
        #expect(report.redundancies.groups[0].engagements.count == ReportBuilder.membersShown)
        #expect(try JSONEncoder().encode(report).count < 20_000)
    }

    /// Found by an attack run: empty quarters were left out of the trend (an uneven axis, changes
    /// against non-adjacent quarters); a partner named by code and by name counted twice; groups
    /// whose shared partner differed in case showed none, or listed the multilateral one; equal
    /// groups came out in a different order from run to run.
    @Test func trendAxisPartnersAndGroupsAreWhatAnAnalystExpects() {
        let q2 = Self.activity(31, post: "LIMA", "PE", .training, partners: ["SUNAT", "Superintendencia"], goals: [.counterThreats], start: "2026-05-01")
        let q4 = Self.activity(32, post: "LIMA", "PE", .agreement, partners: ["SUNAT"], goals: [.counterThreats], start: "2026-11-01")
        let r = ReportBuilder.build(activities: [q2, q4], priorities: Self.priorities, registry: Self.registryWithWCO, openConflicts: 0)
        #expect(Array(Set(r.trend.map(\.quarter))).sorted() == ["2026-Q2", "2026-Q3", "2026-Q4"])
        #expect(r.trend.first { $0.goal == 1 && $0.quarter == "2026-Q4" }?.change == 1)
        #expect(r.coverage.byPartner.map { "\($0.partner):\($0.tally.activities)" } == ["SUNAT:2"])

        func a(_ n: Int, _ post: String, _ kind: ActivityKind, _ partners: Set<String>) -> Activity {
            Self.activity(n, post: post, "GH", kind, partners: partners, goals: [], start: "2026-03-02", end: "2026-03-04")
        }
        let groups = [a(41, "ACCRA", .training, ["Acme Customs", "WCO"]), a(42, "LIMA", .training, ["ACME CUSTOMS", "WCO"]),
                      a(43, "ACCRA", .standards, ["Port Board"]), a(44, "LIMA", .standards, ["Port Board"])]
        let orders = Set((0..<6).map { _ in
            ReportBuilder.build(activities: groups.shuffled(), priorities: Self.priorities, registry: Self.registryWithWCO, openConflicts: 0)
                .redundancies.groups.map(\.kind)
        })
        #expect(orders.count == 1)
        let red = ReportBuilder.build(activities: groups, priorities: Self.priorities, registry: Self.registryWithWCO, openConflicts: 0).redundancies
        #expect(red.groups.first { $0.kind == "training" }?.partners == ["Acme Customs"])
    }

    @Test func trendIsChangePerGoalQuarterOverQuarter() {
        let t = report.trend.map { "\($0.goal) \($0.quarter) \($0.activities) \($0.change.map(String.init) ?? "-")" }
        #expect(t == ["1 2026-Q1 2 -", "1 2026-Q2 0 -2", "2 2026-Q1 1 -", "2 2026-Q2 0 -1",
                      "3 2026-Q1 0 -", "3 2026-Q2 1 1", "4 2026-Q1 0 -", "4 2026-Q2 0 0"])
    }

    @Test func dataQualityNamesActivities() {
        #expect(report.dataQuality.withoutGoals.count == 1 && report.dataQuality.withoutGoals.first == [Self.id(Self.a4)])
        #expect(report.dataQuality.unknownPartners.isEmpty && report.dataQuality.openConflicts == 2)
        let withUnknown = ReportBuilder.build(activities: [Self.a1, Self.activity(7, post: "LIMA", "PE", .training, partners: ["Port of Paita"],
                                                                                   goals: [.counterThreats], start: "2026-03-01")],
                                              priorities: Self.priorities, registry: Self.registry, openConflicts: 0)
        #expect(withUnknown.dataQuality.unknownPartners.map(\.partner) == ["Port of Paita"])
    }

    @Test func thePeriodFiltersByStartDate() {
        let q1 = ReportBuilder.build(activities: [Self.a1, Self.a2, Self.a3, Self.a4], from: try! Day("2026-01-01"), to: try! Day("2026-03-31"),
                                     priorities: Self.priorities, registry: Self.registry, openConflicts: 0)
        #expect(q1.coverage.totals.activities == 3 && q1.period.from == "2026-01-01")
    }

    @Test func jsonHasTheStableTopLevelKeys() throws {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as! [String: Any]
        #expect(Set(object.keys) == ["period", "coverage", "shortfalls", "redundancies", "trend", "dataQuality"])
    }

    @Test func prioritiesAreValidated() {
        #expect(throws: ModelError.self) { try Priorities(weights: ["x": -1], countries: []).validate() }
        #expect(throws: ModelError.self) {
            try Priorities(weights: ["x": 1], countries: [.init(country: try! Country("PE"), factors: ["x": 11])]).validate()
        }
    }
}
