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

        public init(
            id: String, kind: String, title: String, country: String, location: String?, post: String, partners: String,
            goals: String,
            startDate: String, endDate: String?, status: String, participants: Int64?, notes: String, sensitivity: String,
            deleted: Bool,
            otherCountries: String, datePrecision: String, amount: String?
        ) {
            self.id = id
            self.kind = kind
            self.title = title
            self.country = country
            self.location = location
            self.post = post
            self.partners = partners
            self.goals = goals
            self.startDate = startDate
            self.endDate = endDate
            self.status = status
            self.participants = participants
            self.notes = notes
            self.sensitivity = sensitivity
            self.deleted = deleted
            self.otherCountries = otherCountries
            self.datePrecision = datePrecision
            self.amount = amount
        }
    }

    /// The row of an activity record; nil while a required field (kind, title, country, start
    /// date) has not arrived — such a record has no row. Values were validated when written.
    /// A record whose `sensitivity` has not arrived (a pull cut short) has a row whose
    /// sensitivity is `unknownSensitivity`: it keeps its post for the hub's rules, but no
    /// reader shows it (`model` is nil) until it is known — so it is never taken as shareable.
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
            notes: r["notes"]?.value.stringValue ?? "", sensitivity: r["sensitivity"]?.value.stringValue ?? unknownSensitivity,
            deleted: r["deleted"]?.value.boolValue == true, otherCountries: JSON.array((sets["otherCountries"] ?? []).sorted()),
            datePrecision: r["datePrecision"]?.value.stringValue ?? DatePrecision.day.rawValue,
            amount: r["amount"]?.value.stringValue)
    }

    /// The typed row's sensitivity while the record's has not arrived: no `Sensitivity`.
    public static let unknownSensitivity = ""

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
    public static func partner(code: String, state: RecordState) -> (
        code: String, name: String, country: String, agencyType: String, aliases: String
    )? {
        let v = state.scalarValues
        guard let name = v["name"]?.stringValue, let country = v["country"]?.stringValue, let type = v["agencyType"]?.stringValue
        else { return nil }
        return (code, name, country, type, v["aliases"]?.stringValue ?? "[]")
    }

    /// The elements of a typed row's JSON array column (`["SUNAT","WCO"]`, `[1,3]`) as strings.
    /// Without a backslash no element can hold a quote, so splitting on the separators is exact;
    /// anything else goes to Foundation's parser. A per-row JSONDecoder made listing 7× slower
    /// than reading the rows.
    public static func stringArray(_ json: String?) -> [String] {
        guard let json, json.utf8.count > 2 else { return [] }
        let fast: [String]? =
            json.utf8.withContiguousStorageIfAvailable { b in
                let n = b.count
                guard b[0] == 0x5B, b[n - 1] == 0x5D, !b.contains(0x5C) else { return nil }  // [ … ], no backslash
                var out: [String] = []
                if b[1] == 0x22 {  // ["a","b"]: every quote delimits, elements are separated by `","`
                    var i = 2
                    while i < n - 1 {
                        var j = i
                        while j < n - 1, b[j] != 0x22 { j += 1 }
                        guard j < n - 1 else { return nil }
                        out.append(String(decoding: UnsafeBufferPointer(rebasing: b[i..<j]), as: UTF8.self))
                        i = j + 3
                    }
                } else {  // [1,3]
                    var i = 1
                    while i < n - 1 {
                        var j = i
                        while j < n - 1, b[j] != 0x2C { j += 1 }
                        out.append(String(decoding: UnsafeBufferPointer(rebasing: b[i..<j]), as: UTF8.self).filter { $0 != " " })
                        i = j + 1
                    }
                }
                return out
            } ?? nil
        if let fast { return fast }
        let parsed = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [Any] ?? []
        return parsed.map { "\($0)" }
    }

}

extension TypedRows.Activity {
    /// The activity this row holds; nil for a row that no longer parses (written by a newer
    /// version) or whose sensitivity is not known yet, which readers skip.
    public var model: Activity? {
        guard let uuid = UUID(uuidString: id), let kind = ActivityKind(rawValue: kind), let country = try? Country(country),
            let start = try? Day(startDate, field: "startDate"), let status = ActivityStatus(rawValue: status),
            let sensitivity = Sensitivity(rawValue: sensitivity), let precision = DatePrecision(rawValue: datePrecision)
        else { return nil }
        var goals = Set<StrategicGoal>()
        for g in TypedRows.stringArray(self.goals) {
            guard let n = Int(g), let goal = StrategicGoal(rawValue: n) else { return nil }
            goals.insert(goal)
        }
        var end: Day?
        if let endDate {
            guard let day = try? Day(endDate, field: "endDate") else { return nil }
            end = day
        }
        var others = Set<Country>()
        for code in TypedRows.stringArray(otherCountries) {
            guard let c = try? Country(code) else { return nil }
            others.insert(c)
        }
        var money: Amount?
        if let amount {
            guard let a = try? Amount(amount) else { return nil }
            money = a
        }
        return Activity(
            id: uuid, kind: kind, title: title, country: country, otherCountries: others, location: location, post: post,
            partners: Set(TypedRows.stringArray(partners)), goals: goals, startDate: start, endDate: end,
            datePrecision: precision,
            status: status, participants: participants.map { Int($0) }, amount: money, notes: notes, sensitivity: sensitivity,
            deleted: deleted)
    }
}
