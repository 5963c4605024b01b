/// Parsing of the closed vocabularies (kind, status, sensitivity) with errors that list what is allowed.
public protocol Vocabulary: RawRepresentable, CaseIterable, Codable, Sendable, Hashable
where RawValue == String {
    /// The activity JSON field that holds this vocabulary.
    static var field: String { get }
}

extension Vocabulary {
    public static func parse(_ text: String) throws(ModelError) -> Self {
        if let value = Self(rawValue: text.lowercased()) { return value }
        let allowed = allCases.map(\.rawValue).joined(separator: ", ")
        throw ModelError(field: field, message: "\(field) '\(text)' is not allowed; use one of: \(allowed)")
    }
}

/// What kind of engagement an activity is. New kinds are added here (and nowhere else).
public enum ActivityKind: String, Vocabulary {
    case training
    case capacityBuilding = "capacity-building"
    case jointOperation = "joint-operation"
    case informationSharing = "information-sharing"
    case agreement
    case standards
    public static let field = "kind"
}

public enum ActivityStatus: String, Vocabulary {
    case planned
    /// Under way: an ongoing programme, or a course that has started.
    case inProgress = "in-progress"
    case completed, cancelled
    public static let field = "status"
}

/// How precisely an activity's dates are known: planned work and fiscal-year records often
/// give only a month, a quarter or a year. `startDate` is then the first day of its period and
/// `endDate` the last day of its own (see `Day.period(_:field:)`).
public enum DatePrecision: String, Vocabulary, Comparable {
    case day, month, quarter, year
    public static let field = "datePrecision"

    /// Coarser is greater: a year is less precise than a month.
    public static func < (lhs: DatePrecision, rhs: DatePrecision) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The handling marking that governs what may leave headquarters.
public enum Sensitivity: String, Vocabulary {
    case unclassified, sensitive
    public static let field = "sensitivity"
}

/// The four goals of the Global Engagement Strategy.
public enum StrategicGoal: Int, CaseIterable, Codable, Sendable, Comparable {
    case counterThreats = 1
    case facilitateTrade = 2
    case informationSharing = 3
    case sharedStandards = 4

    public static func parse(_ number: Int) throws(ModelError) -> StrategicGoal {
        guard let goal = StrategicGoal(rawValue: number) else {
            throw ModelError(
                field: "goals",
                message: "goal \(number) does not exist; the strategy's goals are 1 (counter threats), "
                    + "2 (facilitate lawful trade and travel), 3 (information sharing), 4 (shared standards)")
        }
        return goal
    }

    public var title: String {
        switch self {
        case .counterThreats: "Counter threats at the earliest point"
        case .facilitateTrade: "Facilitate lawful trade and travel"
        case .informationSharing: "Information sharing and risk management"
        case .sharedStandards: "Shared values, norms and standards"
        }
    }

    public static func < (lhs: StrategicGoal, rhs: StrategicGoal) -> Bool { lhs.rawValue < rhs.rawValue }
}
