import EngageModel

/// What `engage hq report` computes. Keys are stable: coverage, shortfalls, redundancies,
/// trend, dataQuality; activities are named by id.
public struct Report: Codable, Sendable, Equatable {
    public struct Period: Codable, Sendable, Equatable {
        public var from: String?
        public var to: String?
    }

    public struct Tally: Codable, Sendable, Equatable {
        public var activities = 0
        public var completed = 0
        public var participants = 0

        mutating func add(_ a: Activity) {
            activities += 1
            if a.status == .completed { completed += 1 }
            // Saturates rather than traps: a count stored before the model's bound cannot kill a report.
            let (sum, overflow) = participants.addingReportingOverflow(max(0, a.participants ?? 0))
            participants = overflow ? .max : sum
        }
    }

    public struct GoalCountry: Codable, Sendable, Equatable {
        public var goal: Int
        public var country: String
        public var region: String
        public var tally: Tally
    }

    public struct KindQuarter: Codable, Sendable, Equatable {
        public var kind: String
        public var quarter: String
        public var tally: Tally
    }

    public struct PartnerRow: Codable, Sendable, Equatable {
        public var partner: String
        public var name: String?
        public var tally: Tally
    }

    public struct Coverage: Codable, Sendable, Equatable {
        public var byGoalCountry: [GoalCountry]
        public var byKindQuarter: [KindQuarter]
        public var byPartner: [PartnerRow]
        public var totals: Tally
        public var countries: Int
        public var posts: Int
        public var cancelled: Int
        /// Activities in more than one country: each counts once per country in the country
        /// figures (by goal and country, shortfalls, redundancies) and once in totals.
        public var multiCountry: Int
        /// Activities whose dates are known only to the year: counted in totals and by country,
        /// left out of the quarterly figures (kind × quarter, trend), which they cannot be placed in.
        public var yearOnly: Int
    }

    public struct Shortfall: Codable, Sendable, Equatable {
        public var country: String
        public var priorityScore: Double
        public var priorityShare: Double
        public var engagementShare: Double
        public var activities: Int
    }

    public struct GoalGap: Codable, Sendable, Equatable {
        public var country: String
        /// Goals with no completed activity in this priority country.
        public var goals: [Int]
    }

    public struct Shortfalls: Codable, Sendable, Equatable {
        public var countries: [Shortfall]
        public var goalGaps: [GoalGap]
        /// Countries engaged in the period that have no entry in the priorities: they have no
        /// priority share to fall short of (listed, not shown as 0 %).
        public var withoutPriority: [String]
    }

    /// One activity of a redundancy group, as an analyst reads it.
    public struct Engagement: Codable, Sendable, Equatable {
        public var id: String
        public var title: String
        public var post: String
        public var startDate: String
        public var endDate: String?
    }

    /// Engagements that may duplicate each other: the same country and kind, dates that overlap
    /// (each with at least one other of the group, as a chain), a partner agency in common, and
    /// more than one post. Multilateral partners (registry type "multilateral", e.g. WCO
    /// committees several posts attend) and the agency's own government (type "home-government")
    /// link nothing.
    public struct RedundancyGroup: Codable, Sendable, Equatable {
        public var country: String
        public var kind: String
        /// Partners that at least two engagements of the group share.
        public var partners: [String]
        public var posts: [String]
        /// The first start and the last end of the group's engagements.
        public var from: String
        public var to: String
        public var activities: Int
        /// The engagements, earliest first, at most `ReportBuilder.membersShown`.
        public var engagements: [Engagement]
    }

    public struct Redundancies: Codable, Sendable, Equatable {
        /// The rule, in words, for the reader.
        public var rule: String
        /// Groups found; the largest `ReportBuilder.groupsShown` are listed.
        public var found: Int
        public var groups: [RedundancyGroup]
    }

    public struct TrendPoint: Codable, Sendable, Equatable {
        public var goal: Int
        public var quarter: String
        public var activities: Int
        /// Against the previous quarter (nil for the first).
        public var change: Int?
    }

    /// A count with the first few ids (sorted), so a report stays small whatever it counts.
    public struct Listing: Codable, Sendable, Equatable {
        public static let shown = 20
        public var count: Int
        public var first: [String]

        init(_ ids: [String]) {
            count = ids.count
            first = Array(ids.sorted().prefix(Self.shown))
        }
    }

    public struct UnknownPartner: Codable, Sendable, Equatable {
        public var partner: String
        public var activities: Listing
    }

    public struct DataQuality: Codable, Sendable, Equatable {
        public var withoutGoals: Listing
        /// Most used first.
        public var unknownPartners: [UnknownPartner]
        public var openConflicts: Int
    }

    public var period: Period
    public var coverage: Coverage
    public var shortfalls: Shortfalls
    public var redundancies: Redundancies
    public var trend: [TrendPoint]
    public var dataQuality: DataQuality
}
