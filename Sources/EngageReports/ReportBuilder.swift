import EngageModel
import Foundation

/// Computes the strategy's reports from activities. Pure: values in, a value out.
///
/// Counted: activities not deleted whose start date falls in the period. Cancelled
/// activities did not happen: they are left out of every figure and counted apart.
public enum ReportBuilder {
    public static func build(
        activities all: [Activity], from: Day? = nil, to: Day? = nil, priorities: Priorities, registry: PartnerRegistry,
        openConflicts: Int
    ) -> Report {
        let inPeriod = all.filter { a in
            !a.deleted && (from.map { a.startDate >= $0 } ?? true) && (to.map { a.startDate <= $0 } ?? true)
        }
        let activities = inPeriod.filter { $0.status != .cancelled }
        return Report(
            period: .init(from: from?.description, to: to?.description),
            coverage: coverage(activities, cancelled: inPeriod.count - activities.count, registry: registry),
            shortfalls: shortfalls(activities, priorities),
            redundancies: redundancies(activities, registry: registry),
            trend: trend(activities),
            dataQuality: dataQuality(activities, registry: registry, openConflicts: openConflicts))
    }

    static func id(_ a: Activity) -> String { a.id.uuidString.lowercased() }

    static func coverage(_ activities: [Activity], cancelled: Int, registry: PartnerRegistry) -> Report.Coverage {
        var goalCountry: [String: Report.GoalCountry] = [:]
        var kindQuarter: [String: Report.KindQuarter] = [:]
        var partners: [String: Report.PartnerRow] = [:]
        var totals = Report.Tally()
        var multiCountry = 0, yearOnly = 0
        for a in activities {
            totals.add(a)
            if !a.otherCountries.isEmpty { multiCountry += 1 }
            for goal in a.goals {
                for country in a.countries {
                    let key = "\(goal.rawValue)|\(country.code)"
                    goalCountry[key, default: .init(goal: goal.rawValue, country: country.code, region: country.region, tally: .init())].tally.add(a)
                }
            }
            if a.datePrecision == .year {
                yearOnly += 1
            } else {
                let kq = "\(a.kind.rawValue)|\(a.startDate.quarter)"
                kindQuarter[kq, default: .init(kind: a.kind.rawValue, quarter: a.startDate.quarter, tally: .init())].tally.add(a)
            }
            // Once per partner agency: a partner named by its code and by its name is one entry.
            // The agency's own government is not a foreign partner: not in this coverage.
            var seen = Set<String>()
            for p in a.partners where registry.lookup(p)?.isForeign != false {
                let code = registry.lookup(p)?.code ?? p
                guard seen.insert(code.lowercased()).inserted else { continue }
                partners[code, default: .init(partner: code, name: registry.lookup(p)?.name, tally: .init())].tally.add(a)
            }
        }
        return .init(
            byGoalCountry: goalCountry.values.sorted { ($0.goal, $0.country) < ($1.goal, $1.country) },
            byKindQuarter: kindQuarter.values.sorted { ($0.kind, $0.quarter) < ($1.kind, $1.quarter) },
            byPartner: partners.values.sorted { ($1.tally.activities, $0.partner) < ($0.tally.activities, $1.partner) },
            totals: totals, countries: Set(activities.flatMap(\.countries)).count, posts: Set(activities.map(\.post)).count,
            cancelled: cancelled, multiCountry: multiCountry, yearOnly: yearOnly)
    }

    static func shortfalls(_ activities: [Activity], _ priorities: Priorities) -> Report.Shortfalls {
        let scores = priorities.countries.map { ($0.country, priorities.score($0)) }
        let totalScore = scores.reduce(0) { $0 + $1.1 }
        let priorityCountries = Set(scores.map(\.0))
        var counts: [Country: Int] = [:]
        for a in activities { for c in a.countries where priorityCountries.contains(c) { counts[c, default: 0] += 1 } }
        let engaged = counts.values.reduce(0, +)
        var rows: [Report.Shortfall] = []
        for (country, score) in scores where totalScore > 0 {
            let priorityShare = score / totalScore
            let engagementShare = engaged == 0 ? 0 : Double(counts[country] ?? 0) / Double(engaged)
            if engagementShare < priorityShare {
                rows.append(.init(country: country.code, priorityScore: round3(score), priorityShare: round3(priorityShare),
                                  engagementShare: round3(engagementShare), activities: counts[country] ?? 0))
            }
        }
        rows.sort { ($1.priorityShare - $1.engagementShare, $0.country) < ($0.priorityShare - $0.engagementShare, $1.country) }
        var completedGoals: [Country: Set<StrategicGoal>] = [:]
        for a in activities where a.status == .completed {
            for c in a.countries where priorityCountries.contains(c) { completedGoals[c, default: []].formUnion(a.goals) }
        }
        let gaps: [Report.GoalGap] = scores.map(\.0).sorted().compactMap { country in
            let done = completedGoals[country] ?? []
            let missing = StrategicGoal.allCases.filter { !done.contains($0) }.map(\.rawValue)
            return missing.isEmpty ? nil : .init(country: country.code, goals: missing)
        }
        let withoutPriority = Set(activities.flatMap(\.countries)).subtracting(priorityCountries).map(\.code).sorted()
        return .init(countries: rows, goalGaps: gaps, withoutPriority: withoutPriority)
    }

    public static let groupsShown = 50
    public static let membersShown = 12
    static let redundancyRule = "same country and kind, overlapping dates, a partner agency in common, more than one post; "
        + "multilateral partners (e.g. WCO committees several posts attend) and the agency's own government link nothing; "
        + "an activity in several countries is compared in each"

    /// Redundancy groups by a sweep, O(n log n): per (country, kind, partner) the engagements
    /// sorted by start date are chained while each starts before the chain's latest end; chains
    /// that share an engagement are merged (union–find). Groups spanning one post are dropped;
    /// the rest are ranked by posts, then engagements, then date, and the first `groupsShown` kept.
    static func redundancies(_ activities: [Activity], registry: PartnerRegistry) -> Report.Redundancies {
        var buckets: [String: [Int]] = [:]
        for (i, a) in activities.enumerated() {
            for p in a.partners where links(p, registry) {
                let partner = registry.lookup(p)?.code ?? p
                for country in a.countries { buckets["\(country.code)|\(a.kind.rawValue)|\(partner.lowercased())", default: []].append(i) }
            }
        }
        var parent = Array(activities.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        var linked = Set<Int>()
        for var members in buckets.values where members.count > 1 {
            members.sort { (activities[$0].startDate, $0) < (activities[$1].startDate, $1) }
            var anchor = members[0], end = activities[members[0]].lastDay
            for i in members.dropFirst() {
                if activities[i].startDate <= end {
                    parent[root(i)] = root(anchor)
                    linked.formUnion([i, anchor])
                    end = max(end, activities[i].lastDay)
                } else {
                    anchor = i
                    end = activities[i].lastDay
                }
            }
        }
        let components = Dictionary(grouping: linked, by: root)
        var groups: [Report.RedundancyGroup] = []
        for members in components.values {
            let list = members.map { activities[$0] }.sorted { ($0.startDate, id($0)) < ($1.startDate, id($1)) }
            let posts = Set(list.map(\.post))
            guard posts.count > 1 else { continue }
            var partnerCounts: [String: Int] = [:], spelling: [String: String] = [:]
            for a in list {
                let linking = a.partners.filter { links($0, registry) }
                for p in Set(linking.map { registry.lookup($0)?.code ?? $0 }.map { name in
                    let key = name.lowercased()
                    if spelling[key] == nil { spelling[key] = name }
                    return key
                }) { partnerCounts[p, default: 0] += 1 }
            }
            // The country most of the group shares (a regional activity is in several).
            var countryCounts: [Country: Int] = [:]
            for a in list { for c in a.countries { countryCounts[c, default: 0] += 1 } }
            let country = countryCounts.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
            groups.append(.init(
                country: country.code, kind: list[0].kind.rawValue,
                partners: partnerCounts.filter { $0.value > 1 }.keys.compactMap { spelling[$0] }.sorted(), posts: posts.sorted(),
                from: list[0].startDate.description, to: list.map(\.lastDay).max()!.description, activities: list.count,
                engagements: list.prefix(membersShown).map {
                    .init(id: id($0), title: $0.title, post: $0.post, startDate: $0.startDate.description, endDate: $0.endDate?.description)
                }))
        }
        groups.sort {
            ($1.posts.count, $1.activities, $0.from, $0.country, $0.kind, $0.engagements[0].id)
                < ($0.posts.count, $0.activities, $1.from, $1.country, $1.kind, $1.engagements[0].id)
        }
        return .init(rule: redundancyRule, found: groups.count, groups: Array(groups.prefix(groupsShown)))
    }

    /// Whether a partner can link engagements as redundant: not a multilateral body, not the
    /// agency's own government.
    static func links(_ partner: String, _ registry: PartnerRegistry) -> Bool {
        guard let entry = registry.lookup(partner) else { return true }
        return entry.agencyType.lowercased() != Partner.multilateral && entry.isForeign
    }

    /// Activities per goal and quarter, with the change from the quarter before: one pass.
    /// Activities dated only to the year are left out (`Coverage.yearOnly` counts them).
    static func trend(_ activities: [Activity]) -> [Report.TrendPoint] {
        var counts: [StrategicGoal: [String: Int]] = [:]
        var quarters = Set<String>()
        for a in activities where a.datePrecision != .year {
            let quarter = a.startDate.quarter
            quarters.insert(quarter)
            for goal in a.goals { counts[goal, default: [:]][quarter, default: 0] += 1 }
        }
        // Every quarter from the first to the last, empty ones included: an even axis, and each
        // change is against the quarter just before.
        var allQuarters: [String] = []
        if let first = quarters.min().flatMap(parseQuarter), let last = quarters.max().flatMap(parseQuarter) {
            var (year, q) = first
            while (year, q) <= last {
                allQuarters.append("\(year)-Q\(q)")
                (year, q) = q == 4 ? (year + 1, 1) : (year, q + 1)
            }
        }
        var points: [Report.TrendPoint] = []
        for goal in StrategicGoal.allCases {
            var previous: Int?
            for quarter in allQuarters {
                let n = counts[goal]?[quarter] ?? 0
                points.append(.init(goal: goal.rawValue, quarter: quarter, activities: n, change: previous.map { n - $0 }))
                previous = n
            }
        }
        return points
    }

    static func dataQuality(_ activities: [Activity], registry: PartnerRegistry, openConflicts: Int) -> Report.DataQuality {
        var unknown: [String: [String]] = [:]
        var withoutGoals: [String] = []
        for a in activities {
            for p in a.partners where registry.lookup(p) == nil { unknown[p, default: []].append(id(a)) }
            if a.goals.isEmpty { withoutGoals.append(id(a)) }
        }
        return .init(
            withoutGoals: .init(withoutGoals),
            unknownPartners: unknown.map { .init(partner: $0.key, activities: .init($0.value)) }
                .sorted { ($1.activities.count, $0.partner) < ($0.activities.count, $1.partner) },
            openConflicts: openConflicts)
    }

    /// "2026-Q3" → (2026, 3).
    static func parseQuarter(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "-Q")
        guard parts.count == 2, let year = Int(parts[0]), let q = Int(parts[1]), (1...4).contains(q) else { return nil }
        return (year, q)
    }

    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}

extension Activity {
    /// The day an activity ends: its end date, or its start date when it has none.
    var lastDay: Day { endDate ?? startDate }
}
