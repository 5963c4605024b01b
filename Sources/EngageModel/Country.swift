import Foundation

/// An ISO 3166-1 alpha-2 country code, checked against the complete list from
/// Debian's iso-codes data (see `scripts/generate-iso3166.py`), or one of the user-assigned
/// codes in real use (`userAssigned`, docs/data-model.md).
public struct Country: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// Codes from ISO 3166-1's user-assigned range (AA, QM–QZ, XA–XZ, ZZ) that governments and
    /// data publishers use for places ISO has not assigned a code: `XK`, Kosovo, used by the
    /// European Commission, the U.S. Government, IATI and ForeignAssistance.gov. Only these are
    /// taken; the rest of the range stays refused, so a typo is still caught.
    public static let userAssigned = ["XK": "Kosovo"]

    public let code: String

    /// Accepts any letter case ("pe" → "PE"); throws for anything that is not an assigned code.
    public init(_ text: String) throws(ModelError) {
        // Stored codes are already two upper-case letters: no trimming or case mapping needed.
        let stored = text.utf8.count == 2 && text.utf8.allSatisfy { (0x41...0x5A).contains($0) }
        let code = stored ? text : text.trimmingCharacters(in: .whitespaces).uppercased()
        guard Country.names[code] != nil || Country.userAssigned[code] != nil else {
            throw ModelError(
                field: "country",
                message: "country '\(text)' is not an ISO 3166-1 code; use two letters, e.g. PE for Peru (XK for Kosovo)")
        }
        self.code = code
    }

    /// The country of an ISO 3166-1 alpha-3 code ("SLV" → SV; "XKX", the user-assigned code
    /// for Kosovo, → XK); nil for anything else.
    public init?(alpha3: String) {
        let code = alpha3.trimmingCharacters(in: .whitespaces).uppercased()
        guard let two = code == "XKX" ? "XK" : Country.alpha3[code], let country = try? Country(two) else { return nil }
        self = country
    }

    /// The English short name ("Peru").
    public var name: String { Country.names[code] ?? Country.userAssigned[code] ?? code }

    /// The UN M49 sub-region (e.g. "South America"), from Foundation's region data.
    public var region: String {
        if code == "XK" { return "Southern Europe" }  // not in Foundation's region data
        guard let parent = Locale.Region(code).containingRegion else { return "Other" }
        return Locale(identifier: "en").localizedString(forRegionCode: parent.identifier) ?? parent.identifier
    }

    /// Every code taken: the assigned ones and `userAssigned`, sorted.
    public static var allCodes: [String] { (Array(names.keys) + userAssigned.keys).sorted() }

    public var description: String { code }

    public static func < (lhs: Country, rhs: Country) -> Bool { lhs.code < rhs.code }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
