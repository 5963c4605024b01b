import Foundation
import ArgumentParser
import EngageModel

/// Parses the text a person typed into domain values, with the model's error messages.
enum Parse {
    static func kind(_ text: String?) throws -> ActivityKind? { try text.map { t throws(ModelError) in try ActivityKind.parse(t) } }
    static func status(_ text: String?) throws -> ActivityStatus? { try text.map { t throws(ModelError) in try ActivityStatus.parse(t) } }
    static func sensitivity(_ text: String?) throws -> Sensitivity? { try text.map { t throws(ModelError) in try Sensitivity.parse(t) } }
    static func country(_ text: String?) throws -> Country? { try text.map { t throws(ModelError) in try Country(t) } }
    static func day(_ text: String?, _ field: String) throws -> Day? { try text.map { t throws(ModelError) in try Day(t, field: field) } }
    /// "2026-03-15", or "2026-03", "2026-Q1", "2026" when only that is known.
    static func period(_ text: String?, _ field: String) throws -> (first: Day, last: Day, precision: DatePrecision)? {
        try text.map { t throws(ModelError) in try Day.period(t, field: field) }
    }
    static func countries(_ codes: [String]) throws -> Set<Country> { Set(try codes.map { c throws(ModelError) in try Country(c) }) }
    static func amount(_ text: String?) throws -> Amount? { try text.map { t throws(ModelError) in try Amount(t) } }
    static func goals(_ numbers: [Int]) throws -> Set<StrategicGoal> { Set(try numbers.map { n throws(ModelError) in try StrategicGoal.parse(n) }) }

    static func post(_ text: String?) throws -> String? {
        guard let text else { return nil }
        let post = text.uppercased()
        guard Activity.isValidPost(post) else {
            throw ModelError(field: "post", message: "post '\(text)' is not a post code; use letters, digits and '-', e.g. LIMA")
        }
        return post
    }
}

/// The allowed values, for help texts (from the model's own lists).
enum Allowed {
    static let kinds = ActivityKind.allCases.map(\.rawValue).joined(separator: ", ")
    static let statuses = ActivityStatus.allCases.map(\.rawValue).joined(separator: ", ")
    static let sensitivities = Sensitivity.allCases.map(\.rawValue).joined(separator: ", ")
    static let goals = StrategicGoal.allCases.map { "\($0.rawValue) \($0.title)" }.joined(separator: "; ")
}
