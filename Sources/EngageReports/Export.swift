import EngageModel
import Foundation

/// Exports of the consolidated activity: filters, the shareable form, CSV, JSON, NDJSON.
public enum Export {
    public enum Format: String, CaseIterable, Sendable { case csv, json, ndjson }

    public struct Filter: Sendable, Equatable {
        public var from: Day?
        public var to: Day?
        public var country: Country?
        public var goal: StrategicGoal?
        public var kind: ActivityKind?
        public var post: String?

        public init(
            from: Day? = nil, to: Day? = nil, country: Country? = nil, goal: StrategicGoal? = nil, kind: ActivityKind? = nil,
            post: String? = nil
        ) {
            self.from = from
            self.to = to
            self.country = country
            self.goal = goal
            self.kind = kind
            self.post = post
        }

        public func matches(_ a: Activity) -> Bool {
            !a.deleted && (from.map { a.startDate >= $0 } ?? true) && (to.map { a.startDate <= $0 } ?? true)
                && (country.map { a.country == $0 || a.otherCountries.contains($0) } ?? true)
                && (goal.map { a.goals.contains($0) } ?? true)
                && (kind.map { a.kind == $0 } ?? true) && (post.map { a.post == $0 } ?? true)
        }
    }

    /// Whether an activity may go to partner agencies: only one explicitly `unclassified`. A
    /// marking this version does not know, or none, is not shareable (fail closed).
    public static func isShareable(_ activity: Activity) -> Bool { activity.sensitivity == .unclassified }

    /// The form that may go to partner agencies: only shareable activities, and no free-text notes.
    public static func shareable(_ activities: [Activity]) -> [Activity] {
        activities.filter(isShareable).map {
            var a = $0
            a.notes = ""
            return a
        }
    }

    /// The activity's JSON keys, in their declared order.
    public static let columns = Activity.CodingKeys.allCases.map(\.stringValue)

    /// RFC 4180: CRLF line ends, a header row, fields quoted when they hold a comma, quote or
    /// line break (quotes doubled); set fields joined with ";". UTF-8. A cell a spreadsheet would
    /// run as a formula — starting with `=`, `+`, `-`, `@`, a tab or a carriage return — is
    /// written with a leading `'` (OWASP's CSV injection rule), in every export, shareable or not.
    public static func csv(_ activities: [Activity]) -> String {
        var lines = [columns.joined(separator: ",")]
        for a in activities {
            let fields = [
                a.id.uuidString.lowercased(), a.kind.rawValue, a.title, a.country.code,
                a.otherCountries.sorted().map(\.code).joined(separator: ";"), a.location ?? "", a.post,
                a.partners.sorted().joined(separator: ";"), a.goals.sorted().map { String($0.rawValue) }.joined(separator: ";"),
                a.startDate.description, a.endDate?.description ?? "", a.datePrecision.rawValue, a.status.rawValue,
                a.participants.map(String.init) ?? "", a.amount?.description ?? "", a.notes, a.sensitivity.rawValue,
                a.deleted ? "true" : "false",
            ]
            lines.append(fields.map(quote).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    public static func quote(_ field: String) -> String {
        var field = field
        if let first = field.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { field = "'" + field }
        // Scalars, not Characters: "\r\n" is one Character that is neither "\r" nor "\n".
        // Leading or trailing spaces are quoted too: some readers trim them otherwise.
        guard
            field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                || field.first?.isWhitespace == true || field.last?.isWhitespace == true
        else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func json(_ activities: [Activity]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(activities), as: UTF8.self) + "\n"
    }

    public static func ndjson(_ activities: [Activity]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try activities.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
    }

    public static func render(_ activities: [Activity], as format: Format) throws -> String {
        switch format {
        case .csv: csv(activities)
        case .json: try json(activities)
        case .ndjson: try ndjson(activities)
        }
    }
}
