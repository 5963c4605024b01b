import Foundation

/// A partner agency, as registered by headquarters (reference data).
public struct Partner: Hashable, Codable, Sendable {
    /// Short registry code, e.g. "SUNAT".
    public var code: String
    public var name: String
    public var country: Country
    /// customs, border, police, port, multilateral, home-government, …
    /// `home-government` marks the agency's own government (its ministries and sister agencies):
    /// they are not foreign partners, and link no engagements as redundant.
    public var agencyType: String
    /// Other names and acronyms the agency goes by, in any language ("DHS", "U.S. Government -
    /// Department of Homeland Security"): input naming one is resolved to this entry.
    public var aliases: [String]

    public static let homeGovernment = "home-government"
    public static let multilateral = "multilateral"

    public init(code: String, name: String, country: Country, agencyType: String, aliases: [String] = []) {
        self.code = code
        self.name = name
        self.country = country
        self.agencyType = agencyType
        self.aliases = aliases
    }

    /// Whether the agency is a foreign partner: not the agency's own government.
    public var isForeign: Bool { agencyType.lowercased() != Partner.homeGovernment }

    enum CodingKeys: String, CodingKey { case code, name, country, agencyType, aliases }

    /// `aliases` may be left out (a registry file of an earlier version).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        name = try c.decode(String.self, forKey: .name)
        country = try c.decode(Country.self, forKey: .country)
        agencyType = try c.decode(String.self, forKey: .agencyType)
        aliases = try c.decodeIfPresent([String].self, forKey: .aliases) ?? []
        do { try validate() } catch {
            throw DecodingError.dataCorruptedError(
                forKey: CodingKeys(stringValue: error.field) ?? .name, in: c, debugDescription: error.message)
        }
    }

    /// Names are shown on one line, in tables and on partner agencies' copies: code, name, type
    /// and each alias follow `TextRules.checkLine`.
    public func validate() throws(ModelError) {
        try TextRules.checkLine("code", code, maxLength: TextRules.maxPartner)
        try TextRules.checkLine("name", name, maxLength: TextRules.maxPartner)
        try TextRules.checkLine("agencyType", agencyType, maxLength: TextRules.maxPartner)
        for alias in aliases { try TextRules.checkLine("aliases", alias, maxLength: TextRules.maxPartner) }
    }
}

/// Looks partners up by code, name or alias, case- and accent-insensitively, with spaces and
/// punctuation folded ("U.S. Government – Department of Homeland Security" finds "DHS").
public struct PartnerRegistry: Sendable {
    public let partners: [Partner]
    /// By lower-cased spelling (the common case, cheap), then by folded key.
    private let exact: [String: Partner]
    private let folded: [String: Partner]

    public init(_ partners: [Partner]) {
        self.partners = partners.sorted { $0.code < $1.code }
        var exact: [String: Partner] = [:]
        var folded: [String: Partner] = [:]
        // Codes win over names, names over aliases: an alias never hides another entry's code.
        for names in [{ (p: Partner) in p.aliases }, { [$0.name] }, { [$0.code] }] {
            for p in partners {
                for n in names(p) {
                    exact[n.lowercased()] = p
                    folded[Self.key(n)] = p
                }
            }
        }
        self.exact = exact
        self.folded = folded
    }

    /// Folded for lookup: lower case, without accents, letters and digits only (the text
    /// lower-cased when nothing is left).
    static func key(_ text: String) -> String {
        let kept = String(
            text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).unicodeScalars
                .filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
        return kept.isEmpty ? text.lowercased() : kept
    }

    /// The entry for a code, name or alias; "Name (ACRONYM)", as publishers often write, is
    /// also found by the name or the acronym alone.
    public func lookup(_ codeOrName: String) -> Partner? {
        if let p = exact[codeOrName.lowercased()] ?? folded[Self.key(codeOrName)] { return p }
        guard codeOrName.hasSuffix(")"), let open = codeOrName.lastIndex(of: "("), open > codeOrName.startIndex else {
            return nil
        }
        let name = codeOrName[..<open].trimmingCharacters(in: .whitespaces)
        let acronym = codeOrName[codeOrName.index(after: open)..<codeOrName.index(before: codeOrName.endIndex)]
        return folded[Self.key(name)] ?? exact[acronym.lowercased()]
    }

    /// Warnings for partners the registry does not know. They are accepted: an advisor in
    /// the field must be able to record an agency headquarters has not registered yet.
    public func warnings(for partners: Set<String>) -> [String] {
        partners.sorted().filter { lookup($0) == nil }.map {
            "partner '\($0)' is not in the registry; it was recorded as typed (see `engage partners`)"
        }
    }
}
