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
    }

    public struct Redundancy: Codable, Sendable, Equatable {
        public var first: String
        public var second: String
        public var posts: [String]
        public var partners: [String]
        public var kind: String
        /// 0 when the dates overlap.
        public var daysApart: Int
    }

    public struct TrendPoint: Codable, Sendable, Equatable {
        public var goal: Int
        public var quarter: String
        public var activities: Int
        /// Against the previous quarter (nil for the first).
        public var change: Int?
    }

    public struct UnknownPartner: Codable, Sendable, Equatable {
        public var partner: String
        public var activities: [String]
    }

    public struct DataQuality: Codable, Sendable, Equatable {
        public var withoutGoals: [String]
        public var unknownPartners: [UnknownPartner]
        public var openConflicts: Int
    }

    public var period: Period
    public var coverage: Coverage
    public var shortfalls: Shortfalls
    public var redundancies: [Redundancy]
    public var trend: [TrendPoint]
    public var dataQuality: DataQuality
}
