/// A value that breaks a rule of the domain. The message names the field, the bad
/// value and what is allowed, so the person who typed it knows what to do.
public struct ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The field that holds the bad value, as spelled in activity JSON (`country`, `endDate`, …).
    public let field: String
    /// A stable code for programs: `invalid_value` or `missing_value`.
    public let code: String
    public let message: String

    public init(field: String, code: String = "invalid_value", message: String) {
        self.field = field
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
