import Foundation

/// An ISO 3166-1 alpha-2 country code, checked against the complete list from
/// Debian's iso-codes data (see `scripts/generate-iso3166.py`).
public struct Country: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let code: String

    /// Accepts any letter case ("pe" → "PE"); throws for anything that is not an assigned code.
    public init(_ text: String) throws(ModelError) {
        // Stored codes are already two upper-case letters: no trimming or case mapping needed.
        let stored = text.utf8.count == 2 && text.utf8.allSatisfy { (0x41...0x5A).contains($0) }
        let code = stored ? text : text.trimmingCharacters(in: .whitespaces).uppercased()
        guard Country.names[code] != nil else {
            throw ModelError(
                field: "country",
                message: "country '\(text)' is not an ISO 3166-1 code; use two letters, e.g. PE for Peru")
        }
        self.code = code
    }

    /// The English short name ("Peru").
    public var name: String { Country.names[code] ?? code }

    /// The UN M49 sub-region (e.g. "South America"), from Foundation's region data.
    public var region: String {
        guard let parent = Locale.Region(code).containingRegion else { return "Other" }
        return Locale(identifier: "en").localizedString(forRegionCode: parent.identifier) ?? parent.identifier
    }

    /// Every assigned code, sorted.
    public static var allCodes: [String] { names.keys.sorted() }

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
