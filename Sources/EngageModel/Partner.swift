/// A foreign partner agency, as registered by headquarters (reference data).
public struct Partner: Hashable, Codable, Sendable {
    /// Short registry code, e.g. "SUNAT".
    public var code: String
    public var name: String
    public var country: Country
    /// customs, border, police, port, multilateral, …
    public var agencyType: String

    public init(code: String, name: String, country: Country, agencyType: String) {
        self.code = code
        self.name = name
        self.country = country
        self.agencyType = agencyType
    }
}

/// Looks partners up by code or by name, case-insensitively.
public struct PartnerRegistry: Sendable {
    public let partners: [Partner]
    private let index: [String: Partner]

    public init(_ partners: [Partner]) {
        self.partners = partners.sorted { $0.code < $1.code }
        var index: [String: Partner] = [:]
        for p in partners {
            index[p.code.lowercased()] = p
            index[p.name.lowercased()] = p
        }
        self.index = index
    }

    public func lookup(_ codeOrName: String) -> Partner? { index[codeOrName.lowercased()] }

    /// Warnings for partners the registry does not know. They are accepted: an advisor in
    /// the field must be able to record an agency headquarters has not registered yet.
    public func warnings(for partners: Set<String>) -> [String] {
        partners.sorted().filter { lookup($0) == nil }.map {
            "partner '\($0)' is not in the registry; it was recorded as typed (see `engage partners`)"
        }
    }
}
