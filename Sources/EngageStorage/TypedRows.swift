import EngageCore
import EngageModel
import Foundation

/// The typed rows projected from replicated state: what `activity`, `conflict` and `partner`
/// hold, column for column, in every hub and device store (SQLite's `Projection` binds these).
public enum TypedRows {
    /// An `activity` row. Set fields are JSON arrays of their sorted elements (goals as numbers).
    public struct Activity: Equatable, Sendable {
        public var id, kind, title, country: String
        public var location: String?
        public var post, partners, goals, startDate: String
        public var endDate: String?
        public var status: String
        public var participants: Int64?
        public var notes, sensitivity: String
        public var deleted: Bool
        public var otherCountries, datePrecision: String
        public var amount: String?
    }

    /// The row of an activity record; nil while a required field (kind, title, country, start
    /// date) has not arrived — such a record has no row. Values were validated when written.
    public static func activity(id: String, state: RecordState) -> Activity? {
        let r = state.registers
        guard let kind = r["kind"]?.value.stringValue, let title = r["title"]?.value.stringValue,
            let country = r["country"]?.value.stringValue, let start = r["startDate"]?.value.stringValue
        else { return nil }
        let sets = state.setValues
        return Activity(
            id: id, kind: kind, title: title, country: country, location: r["location"]?.value.stringValue,
            post: r["post"]?.value.stringValue ?? "", partners: JSON.array((sets["partners"] ?? []).sorted()),
            goals: goalsJSON(sets["goals"] ?? []), startDate: start, endDate: r["endDate"]?.value.stringValue,
            status: r["status"]?.value.stringValue ?? "planned", participants: r["participants"]?.value.intValue,
            notes: r["notes"]?.value.stringValue ?? "", sensitivity: r["sensitivity"]?.value.stringValue ?? "unclassified",
            deleted: r["deleted"]?.value.boolValue == true, otherCountries: JSON.array((sets["otherCountries"] ?? []).sorted()),
            datePrecision: r["datePrecision"]?.value.stringValue ?? DatePrecision.day.rawValue, amount: r["amount"]?.value.stringValue)
    }

    public static func goalsJSON(_ goals: Set<String>) -> String {
        "[" + goals.compactMap { Int($0) }.sorted().map(String.init).joined(separator: ",") + "]"
    }

    /// The conflict a conflict record describes, and whether it is settled; nil until its body arrived.
    public static func conflict(state: RecordState) -> (conflict: Conflict, resolved: Bool)? {
        guard let body = state.registers[ConflictRecord.bodyField]?.value.stringValue,
            let c = try? JSONDecoder().decode(Conflict.self, from: Data(body.utf8))
        else { return nil }
        return (c, state.registers[ConflictRecord.resolvedField]?.value.boolValue ?? false)
    }

    /// A `partner` row (code, name, country, agency type, aliases as JSON); nil until its
    /// required fields arrived.
    public static func partner(code: String, state: RecordState) -> (code: String, name: String, country: String, agencyType: String, aliases: String)? {
        let v = state.scalarValues
        guard let name = v["name"]?.stringValue, let country = v["country"]?.stringValue, let type = v["agencyType"]?.stringValue
        else { return nil }
        return (code, name, country, type, v["aliases"]?.stringValue ?? "[]")
    }
}
