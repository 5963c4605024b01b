import EngageModel

/// Partner agencies replicate as reference data: records of the `partners` collection keyed by code.
public enum PartnerFields {
    public static let collection = "partners"

    public static func scalarValues(_ p: Partner) -> [String: FieldValue] {
        ["name": .string(p.name), "country": .string(p.country.code), "agencyType": .string(p.agencyType)]
    }
}
