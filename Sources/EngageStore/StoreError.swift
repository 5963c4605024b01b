import EngageModel

/// What the store reports. Codes are stable; messages say what to do and never carry
/// record contents beyond the id or value the person typed.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound = "not_found"
        case ambiguousID = "ambiguous_id"
        case invalid = "invalid_value"
        case deleted = "deleted"
        case database = "database"
        case file = "file"
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
