import EngageModel
import Foundation

/// Computes the strategy's reports from activities. Pure: values in, a value out.
///
/// Counted: activities not deleted whose start date falls in the period. Cancelled
/// activities did not happen: they are left out of every figure and counted apart.
public enum ReportBuilder {
    public static let redundancyWindowDays = 30

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
            redundancies: redundancies(activities),
            trend: trend(activities),
            dataQuality: dataQuality(activities, registry: registry, openConflicts: openConflicts))
    }

    static func id(_ a: Activity) -> String { a.id.uuidString.lowercased() }

    static func coverage(_ activities: [Activity], cancelled: Int, registry: PartnerRegistry) -> Report.Coverage {
        var goalCountry: [String: Report.GoalCountry] = [:]
        var kindQuarter: [String: Report.KindQuarter] = [:]
        var partners: [String: Report.PartnerRow] = [:]
        var totals = Report.Tally()
        for a in activities {
            totals.add(a)
            for goal in a.goals {
                let key = "\(goal.rawValue)|\(a.country.code)"
                goalCountry[key, default: .init(goal: goal.rawValue, country: a.country.code, region: a.country.region, tally: .init())].tally.add(a)
            }
            let kq = "\(a.kind.rawValue)|\(a.startDate.quarter)"
            kindQuarter[kq, default: .init(kind: a.kind.rawValue, quarter: a.startDate.quarter, tally: .init())].tally.add(a)
            for p in a.partners {
                let code = registry.lookup(p)?.code ?? p
                partners[code, default: .init(partner: code, name: registry.lookup(p)?.name, tally: .init())].tally.add(a)
            }
        }
        return .init(
            byGoalCountry: goalCountry.values.sorted { ($0.goal, $0.country) < ($1.goal, $1.country) },
            byKindQuarter: kindQuarter.values.sorted { ($0.kind, $0.quarter) < ($1.kind, $1.quarter) },
            byPartner: partners.values.sorted { ($1.tally.activities, $0.partner) < ($0.tally.activities, $1.partner) },
            totals: totals, countries: Set(activities.map(\.country)).count, posts: Set(activities.map(\.post)).count,
            cancelled: cancelled)
    }

    static func shortfalls(_ activities: [Activity], _ priorities: Priorities) -> Report.Shortfalls {
        let scores = priorities.countries.map { ($0.country, priorities.score($0)) }
        let totalScore = scores.reduce(0) { $0 + $1.1 }
        let priorityCountries = Set(scores.map(\.0))
        let counts = Dictionary(grouping: activities.filter { priorityCountries.contains($0.country) }, by: \.country).mapValues(\.count)
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
        let gaps: [Report.GoalGap] = scores.map(\.0).sorted().compactMap { country in
            let done = Set(activities.filter { $0.country == country && $0.status == .completed }.flatMap(\.goals))
            let missing = StrategicGoal.allCases.filter { !done.contains($0) }.map(\.rawValue)
            return missing.isEmpty ? nil : .init(country: country.code, goals: missing)
        }
        return .init(countries: rows, goalGaps: gaps)
    }

    static func redundancies(_ activities: [Activity]) -> [Report.Redundancy] {
        var buckets: [String: [Activity]] = [:]
        for a in activities {
            for p in a.partners { buckets["\(p.lowercased())|\(a.kind.rawValue)", default: []].append(a) }
        }
        var found: [String: Report.Redundancy] = [:]
        for list in buckets.values where list.count > 1 {
            let sorted = list.sorted { ($0.startDate, id($0)) < ($1.startDate, id($1)) }
            for i in sorted.indices {
                for j in (i + 1)..<sorted.count {
                    let a = sorted[i], b = sorted[j]
                    let gap = b.startDate.ordinal - (a.endDate ?? a.startDate).ordinal
                    if gap > redundancyWindowDays { break }  // later ones start later still
                    guard a.post != b.post else { continue }
                    let (x, y) = id(a) < id(b) ? (a, b) : (b, a)
                    let shared = x.partners.intersection(y.partners).sorted()
                    found["\(id(x))|\(id(y))"] = .init(
                        first: id(x), second: id(y), posts: [x.post, y.post], partners: shared, kind: a.kind.rawValue, daysApart: max(0, gap))
                }
            }
        }
        return found.values.sorted { ($0.first, $0.second) < ($1.first, $1.second) }
    }

    static func trend(_ activities: [Activity]) -> [Report.TrendPoint] {
        let quarters = Array(Set(activities.map(\.startDate.quarter))).sorted()
        var points: [Report.TrendPoint] = []
        for goal in StrategicGoal.allCases {
            var previous: Int?
            for quarter in quarters {
                let n = activities.filter { $0.goals.contains(goal) && $0.startDate.quarter == quarter }.count
                points.append(.init(goal: goal.rawValue, quarter: quarter, activities: n, change: previous.map { n - $0 }))
                previous = n
            }
        }
        return points
    }

    static func dataQuality(_ activities: [Activity], registry: PartnerRegistry, openConflicts: Int) -> Report.DataQuality {
        var unknown: [String: [String]] = [:]
        for a in activities {
            for p in a.partners where registry.lookup(p) == nil { unknown[p, default: []].append(id(a)) }
        }
        return .init(
            withoutGoals: activities.filter { $0.goals.isEmpty }.map(id).sorted(),
            unknownPartners: unknown.map { .init(partner: $0.key, activities: $0.value.sorted()) }.sorted { $0.partner < $1.partner },
            openConflicts: openConflicts)
    }

    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
