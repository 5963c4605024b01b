import Foundation

extension DecodingError {
    /// What is wrong and where, for a person ("'title' is missing at [3]"); never the data itself.
    public var readableDescription: String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch self {
        case .keyNotFound(let key, let c): return "'\(key.stringValue)' is missing at \(path(c.codingPath))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type at \(path(c.codingPath))"
        case .dataCorrupted(let c): return "\(c.debugDescription) at \(path(c.codingPath))"
        @unknown default: return "unreadable"
        }
    }
}
