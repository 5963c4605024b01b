import EngageModel

/// Filters for listing activities.
public struct ActivityFilter: Sendable {
    public var kind: ActivityKind?
    public var country: Country?
    public var post: String?
    public var includeDeleted = false

    public init(kind: ActivityKind? = nil, country: Country? = nil, post: String? = nil, includeDeleted: Bool = false) {
        self.kind = kind
        self.country = country
        self.post = post
        self.includeDeleted = includeDeleted
    }
}
