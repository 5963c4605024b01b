import Foundation
import EngageModel

/// Partner agencies replicate as reference data: records of the `partners` collection keyed by code.
public enum PartnerFields {
    public static let collection = "partners"

    public static func scalarValues(_ p: Partner) -> [String: FieldValue] {
        ["name": .string(p.name), "country": .string(p.country.code), "agencyType": .string(p.agencyType), "aliases": .string(aliasesJSON(p.aliases))]
    }

    /// The value of a field a record does not hold (added after it was written).
    public static let defaults: [String: FieldValue] = ["aliases": .string("[]")]

    /// Aliases as one JSON array of strings, in the registry's order: replicated as one value
    /// (headquarters edits the registry; the last list written wins).
    public static func aliasesJSON(_ aliases: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(aliases)) ?? Data("[]".utf8), as: UTF8.self)
    }

    public static func aliases(_ json: String?) -> [String] {
        json.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
    }
}
