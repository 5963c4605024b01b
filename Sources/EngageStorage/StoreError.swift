import EngageModel

/// What the store reports. Codes are stable; messages say what to do and never carry
/// record contents beyond the id or value the person typed.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound = "not_found"
        case ambiguousID = "ambiguous_id"
        case invalid = "invalid_value"
        case deleted = "deleted"
        /// What this device's enrolment may not do (it would be refused by the hub).
        case outOfScope = "out_of_scope"
        case database = "database"
        case file = "file"
        /// Two databases push under one device identity (a copied database).
        case identityConflict = "identity_conflict"
        /// A new identity asked for by a device the hub has not just told `identity_conflict`.
        case noIdentityConflict = "no_identity_conflict"
        /// The node id is already another enrolled device's.
        case nodeInUse = "node_in_use"
        /// A device's pull cursor is ahead of the hub (restored from a backup).
        case cursorAhead = "cursor_ahead"
        /// The hub does not hold the mark of its sequence a device names (`checkpoint`): it went
        /// back (restored from a copy taken before it), whatever tool restored it.
        case hubWentBack = "hub_went_back"
        /// No room left on the disk holding the database: nothing was written.
        case diskFull = "disk_full"
        /// The database server cannot be reached (PostgreSQL down or unreachable): nothing was written.
        case unavailable = "database_unavailable"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public init(_ error: ModelError) { self.init(.invalid, error.message) }

    public var description: String { message }
}
