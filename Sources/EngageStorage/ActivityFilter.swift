import EngageModel

/// Filters for listing activities.
public struct ActivityFilter: Sendable {
    public var kind: ActivityKind?
    public var country: Country?
    public var post: String?
    public var includeDeleted = false
    /// Only activities that may go to partner agencies: those explicitly `unclassified`
    /// (`Export.isShareable`). Every store says it in its query too.
    public var shareable = false

    public init(
        kind: ActivityKind? = nil, country: Country? = nil, post: String? = nil, includeDeleted: Bool = false,
        shareable: Bool = false
    ) {
        self.kind = kind
        self.country = country
        self.post = post
        self.includeDeleted = includeDeleted
        self.shareable = shareable
    }
}
