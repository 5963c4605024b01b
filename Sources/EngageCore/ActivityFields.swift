import EngageModel
import Foundation

/// How an `Activity` maps onto replicated fields: scalar registers and set fields.
public enum ActivityFields {
    public static let collection = "activities"
    public static let scalars = [
        "kind", "title", "country", "location", "post", "startDate", "endDate", "status", "participants",
        "notes", "sensitivity", "deleted", "datePrecision", "amount",
    ]
    /// Scalars a new record writes only when they differ from `defaults` (added in protocol
    /// 1.1; a record without them reads as the default, so older records need no rewrite).
    public static let defaults: [String: FieldValue] = ["datePrecision": .string(DatePrecision.day.rawValue), "amount": .null]
    /// The scalars every new record writes.
    public static let createdScalars = scalars.filter { defaults[$0] == nil }
    public static let sets = ["partners", "goals", "otherCountries"]

    public static func isKnown(_ field: String) -> Bool { scalars.contains(field) || sets.contains(field) }

    /// The scalar fields' values.
    public static func scalarValues(_ a: Activity) -> [String: FieldValue] {
        [
            "kind": .string(a.kind.rawValue),
            "title": .string(a.title),
            "country": .string(a.country.code),
            "location": a.location.map(FieldValue.string) ?? .null,
            "post": .string(a.post),
            "startDate": .string(a.startDate.description),
            "endDate": a.endDate.map { .string($0.description) } ?? .null,
            "status": .string(a.status.rawValue),
            "participants": a.participants.map { .int(Int64($0)) } ?? .null,
            "notes": .string(a.notes),
            "sensitivity": .string(a.sensitivity.rawValue),
            "deleted": .bool(a.deleted),
            "datePrecision": .string(a.datePrecision.rawValue),
            "amount": a.amount.map { .string($0.description) } ?? .null,
        ]
    }

    /// The set fields' elements (goals as "1"…"4", countries as codes).
    public static func setValues(_ a: Activity) -> [String: Set<String>] {
        [
            "partners": a.partners, "goals": Set(a.goals.map { String($0.rawValue) }),
            "otherCountries": Set(a.otherCountries.map(\.code)),
        ]
    }

    /// Rebuilds an activity from replicated state. Returns nil while a required field has not
    /// arrived; throws when a value breaks the model (a bad change that slipped through).
    public static func activity(
        id: String, scalars: [String: FieldValue], sets: [String: Set<String>]
    ) throws(ModelError) -> Activity? {
        guard let uuid = UUID(uuidString: id),
            let kind = scalars["kind"]?.stringValue, let title = scalars["title"]?.stringValue,
            let country = scalars["country"]?.stringValue, let start = scalars["startDate"]?.stringValue
        else { return nil }
        var activity = Activity(
            id: uuid, kind: try ActivityKind.parse(kind), title: title, country: try Country(country),
            startDate: try Day(start, field: "startDate"))
        activity.location = scalars["location"]?.stringValue
        activity.post = scalars["post"]?.stringValue ?? ""
        if let end = scalars["endDate"]?.stringValue { activity.endDate = try Day(end, field: "endDate") }
        if let status = scalars["status"]?.stringValue { activity.status = try ActivityStatus.parse(status) }
        activity.participants = scalars["participants"]?.intValue.map { Int($0) }
        activity.notes = scalars["notes"]?.stringValue ?? ""
        if let s = scalars["sensitivity"]?.stringValue { activity.sensitivity = try Sensitivity.parse(s) }
        activity.deleted = scalars["deleted"]?.boolValue ?? false
        if let p = scalars["datePrecision"]?.stringValue { activity.datePrecision = try DatePrecision.parse(p) }
        if let a = scalars["amount"]?.stringValue { activity.amount = try Amount(a) }
        activity.otherCountries = Set(try (sets["otherCountries"] ?? []).map { c throws(ModelError) in try Country(c) })
        activity.partners = sets["partners"] ?? []
        activity.goals = Set(
            try (sets["goals"] ?? []).map { g throws(ModelError) in
                guard let n = Int(g) else { throw ModelError(field: "goals", message: "goal '\(g)' is not a number 1–4") }
                return try StrategicGoal.parse(n)
            })
        return activity
    }

    /// Checks one incoming change against the model, field by field, so a bad change is
    /// rejected alone. Returns an error message naming the field, or nil when it is acceptable.
    public static func validate(_ change: Change) -> ModelError? {
        guard isCanonicalID(change.recordId) else {
            return ModelError(
                field: "id",
                message:
                    "activity id '\(change.recordId.prefix(40))' is not a lower-case UUID (8-4-4-4-12 hex digits, like 3f2b6c1e-…); "
                    + "one activity has one spelling of its id")
        }
        guard isKnown(change.field) else {
            // A field a newer client knows and this version does not: kept and replicated
            // as it is, never dropped. Its name, and its values as text, are checked.
            guard isFieldName(change.field) else {
                return ModelError(
                    field: "field",
                    message: "'\(change.field)' is not a field name; use letters and digits, starting with a letter")
            }
            return unknownValueRefusal(change)
        }
        do {
            switch change.op {
            case .add(let element), .remove(let element, _):
                guard sets.contains(change.field) else {
                    return ModelError(field: change.field, message: "\(change.field) is a single value; use set, not add/remove")
                }
                if change.field == "goals" {
                    _ = try StrategicGoal.parse(Int(element) ?? 0)
                } else if change.field == "otherCountries" {
                    guard (try Country(element)).code == element else {
                        return ModelError(
                            field: "otherCountries",
                            message: "country '\(element)' is not written as its code; use upper case, e.g. PE")
                    }
                } else if element.trimmingCharacters(in: .whitespaces).isEmpty {
                    return ModelError(field: "partners", message: "partner '' is empty; give the agency's name or code")
                } else {
                    try TextRules.checkLine("partners", element, maxLength: TextRules.maxPartner)
                }
            case .set(let value):
                guard scalars.contains(change.field) else {
                    return ModelError(field: change.field, message: "\(change.field) is a set; use add/remove")
                }
                try validateScalar(change.field, value)
            }
        } catch { return error }
        return nil
    }

    // MARK: Fields of a newer version

    /// Most characters, and most UTF-8 bytes, of one value of a field this version does not
    /// know: a scalar's string value as much as a note; a set element as much as a partner.
    public static let maxUnknownValueCharacters = TextRules.maxNotes
    public static let maxUnknownValueBytes = 32 * 1024
    public static let maxUnknownElementBytes = 1_024
    /// Most fields this version does not know on one record, and most UTF-8 bytes their values
    /// and elements hold together. Every one is a value each device of the post pulls and keeps.
    public static let maxUnknownFields = 16
    public static let maxUnknownBytes = 64 * 1024

    /// Why a value of an unknown field breaks the rules every value follows, or nil: a string
    /// (or set element) obeys the text rules and a size bound. Other value kinds (null, bool,
    /// integer) are small already.
    public static func unknownValueRefusal(_ change: Change) -> ModelError? {
        do {
            switch change.op {
            case .set(.string(let text)):
                try TextRules.check(change.field, text, maxLength: maxUnknownValueCharacters)
                if text.utf8.count > maxUnknownValueBytes {
                    return ModelError(
                        field: change.field,
                        message: "\(change.field) holds \(text.utf8.count) bytes; a value holds at most \(maxUnknownValueBytes)")
                }
            case .set: return nil
            case .add(let element), .remove(let element, _):
                try TextRules.checkLine(change.field, element, maxLength: TextRules.maxPartner)
                if element.utf8.count > maxUnknownElementBytes {
                    return ModelError(
                        field: change.field,
                        message:
                            "an element of \(change.field) holds \(element.utf8.count) bytes; at most \(maxUnknownElementBytes)")
                }
            }
        } catch { return error }
        return nil
    }

    /// The fields of `state` this version does not know, and the UTF-8 bytes of their string
    /// values and set elements.
    public static func unknownFields(_ state: RecordState) -> (fields: Set<String>, bytes: Int) {
        var fields = Set<String>()
        var bytes = 0
        for (field, register) in state.registers where !isKnown(field) {
            fields.insert(field)
            bytes += register.value.stringValue?.utf8.count ?? 0
        }
        for (field, elements) in state.tags where !isKnown(field) {
            fields.insert(field)
            bytes += elements.keys.reduce(0) { $0 + $1.utf8.count }
        }
        return (fields, bytes)
    }

    /// Why `change` may not be added to a record holding `state`, or nil: a field this version
    /// does not know is one of at most `maxUnknownFields` on the record, whose unknown values
    /// hold at most `maxUnknownBytes` together once it is written. A pure check for every
    /// replica that takes a change: the hub's push rules, the device's own settlements.
    public static func unknownFieldsRefusal(_ change: Change, state: RecordState) -> ModelError? {
        guard change.collection == collection, !isKnown(change.field) else { return nil }
        let held = unknownFields(state)
        if !held.fields.contains(change.field), held.fields.count >= maxUnknownFields {
            return ModelError(
                field: change.field,
                message:
                    "this activity holds \(held.fields.count) fields this server does not know, the most one may; \(change.field) is not taken"
            )
        }
        let added: Int
        let replaced: Int
        switch change.op {
        case .set(let value):
            added = value.stringValue?.utf8.count ?? 0
            replaced = state.registers[change.field]?.value.stringValue?.utf8.count ?? 0
        case .add(let element):
            added = state.tags[change.field]?[element] == nil ? element.utf8.count : 0
            replaced = 0
        case .remove: (added, replaced) = (0, 0)
        }
        if held.bytes - replaced + added > maxUnknownBytes {
            return ModelError(
                field: change.field,
                message:
                    "the fields of this activity this server does not know would hold \(held.bytes - replaced + added) bytes; they hold at most \(maxUnknownBytes)"
            )
        }
        return nil
    }

    /// An activity id as every replica writes it: a UUID in lower-case hex, 8-4-4-4-12
    /// (RFC 9562 §4). The upper-case spelling of the same UUID is refused, not folded, so one
    /// activity never has two records.
    public static func isCanonicalID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count == 36 else { return false }
        for (i, b) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard b == UInt8(ascii: "-") else { return false }
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b)
                else { return false }
            }
        }
        return true
    }

    /// camelCase identifiers of up to 64 characters.
    public static func isFieldName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, (1...64).contains(name.utf8.count), first.properties.isLowercase,
            first.isASCII
        else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    private static func validateScalar(_ field: String, _ value: FieldValue) throws(ModelError) {
        let wrongType = ModelError(field: field, message: "\(field) has the wrong type (\(value))")
        switch (field, value) {
        case ("kind", .string(let s)): _ = try ActivityKind.parse(s)
        case ("status", .string(let s)): _ = try ActivityStatus.parse(s)
        case ("sensitivity", .string(let s)): _ = try Sensitivity.parse(s)
        case ("country", .string(let s)): _ = try Country(s)
        case ("startDate", .string(let s)), ("endDate", .string(let s)): _ = try Day(s, field: field)
        case ("endDate", .null), ("location", .null), ("participants", .null), ("amount", .null): break
        case ("datePrecision", .string(let s)): _ = try DatePrecision.parse(s)
        case ("amount", .string(let s)):
            guard (try Amount(s)).description == s else {
                throw ModelError(field: field, message: "amount '\(s)' is not written plainly; write it like 12000 USD")
            }
        case ("participants", .int(let n)):
            if n < 0 { throw ModelError(field: field, message: "participants \(n) is negative; use 0 or more") }
            if n > TextRules.maxParticipants {
                throw ModelError(field: field, message: "participants \(n) is more than \(TextRules.maxParticipants)")
            }
        case ("title", .string(let s)):
            if s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ModelError(field: field, message: "title is empty; give the activity a title")
            }
            try TextRules.checkLine(field, s, maxLength: TextRules.maxTitle)
        case ("location", .string(let s)): try TextRules.checkLine(field, s, maxLength: TextRules.maxLocation)
        case ("notes", .string(let s)): try TextRules.check(field, s, maxLength: TextRules.maxNotes)
        case ("post", .string(let s)):
            guard Activity.isValidPost(s) else {
                throw ModelError(
                    field: field, message: "post '\(s.prefix(40))' is not a post code; use letters, digits and '-', e.g. LIMA")
            }
        case ("deleted", .bool): break
        default: throw wrongType
        }
    }
}

extension ActivityFields {
    /// Reads a value typed by a person for a scalar field ("" clears an optional field).
    public static func parseValue(field: String, _ text: String) throws(ModelError) -> FieldValue {
        switch field {
        case "participants":
            if text.isEmpty { return .null }
            guard let n = Int64(text) else {
                throw ModelError(field: field, message: "participants '\(text)' is not a whole number; use e.g. 25")
            }
            return .int(n)
        case "deleted":
            guard let b = Bool(text.lowercased()) else {
                throw ModelError(field: field, message: "deleted '\(text)' is not true or false")
            }
            return .bool(b)
        case "endDate", "location":
            return text.isEmpty ? .null : .string(text)
        case "amount":
            return text.isEmpty ? .null : .string((try Amount(text)).description)
        case "datePrecision":
            return .string((try DatePrecision.parse(text)).rawValue)
        case "kind", "status", "sensitivity":
            return .string(text.lowercased())
        case "country":
            return .string(text.uppercased())
        default:
            return .string(text)
        }
    }
}
