import EngageModel
import Foundation

/// Partner agencies replicate as reference data: records of the `partners` collection keyed by code.
public enum PartnerFields {
    public static let collection = "partners"

    public static func scalarValues(_ p: Partner) -> [String: FieldValue] {
        [
            "name": .string(p.name), "country": .string(p.country.code), "agencyType": .string(p.agencyType),
            "aliases": .string(aliasesJSON(p.aliases)),
        ]
    }

    /// The value of a field a record does not hold (added after it was written).
    public static let defaults: [String: FieldValue] = ["aliases": .string("[]")]

    /// Aliases as one JSON array of strings, in the registry's order: replicated as one value
    /// (headquarters edits the registry; the last list written wins).
    public static func aliasesJSON(_ aliases: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(aliases)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// Most aliases one registry entry holds.
    public static let maxAliases = 100

    /// Checks one change to a registry record against the model, as `ActivityFields.validate`
    /// does for activities: the error naming the field, or nil. Names are one line
    /// (`TextRules.checkLine`): they are shown in tables and in `engage partners`.
    public static func validate(_ change: Change) -> ModelError? {
        guard ActivityFields.isFieldName(change.field) else {
            return ModelError(
                field: "field", message: "'\(change.field)' is not a field name; use letters and digits, starting with a letter")
        }
        let known = ["name", "country", "agencyType", "aliases"]
        guard known.contains(change.field) else { return ActivityFields.unknownValueRefusal(change) }
        guard case .set(.string(let text)) = change.op else {
            return ModelError(field: change.field, message: "\(change.field) of a partner is a text value; use set")
        }
        do {
            switch change.field {
            case "country":
                guard (try Country(text)).code == text else {
                    return ModelError(
                        field: "country",
                        message: "country '\(text.prefix(40))' is not written as its code; use upper case, e.g. PE")
                }
            case "aliases":
                guard let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), list.count <= maxAliases else {
                    return ModelError(field: "aliases", message: "aliases is not a JSON array of at most \(maxAliases) names")
                }
                for alias in list { try TextRules.checkLine("aliases", alias, maxLength: TextRules.maxPartner) }
            default:
                if change.field == "name", text.trimmingCharacters(in: .whitespaces).isEmpty {
                    return ModelError(field: "name", message: "name is empty; give the agency's name")
                }
                try TextRules.checkLine(change.field, text, maxLength: TextRules.maxPartner)
            }
        } catch { return error }
        return nil
    }

    public static func aliases(_ json: String?) -> [String] {
        json.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
    }
}
