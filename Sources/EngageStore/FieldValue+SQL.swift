import EngageCore
import Foundation
import GRDB

/// Scalar values are stored with their type: 0 null, 1 bool, 2 integer, 3 text.
extension FieldValue {
    var sqlType: Int64 {
        switch self {
        case .null: 0
        case .bool: 1
        case .int: 2
        case .string: 3
        }
    }

    var sqlValue: (any DatabaseValueConvertible)? {
        switch self {
        case .null: nil
        case .bool(let b): b ? 1 : 0
        case .int(let i): i
        case .string(let s): s
        }
    }

    init(sqlType: Int64, value: DatabaseValue) {
        switch (sqlType, value.storage) {
        case (1, .int64(let i)): self = .bool(i != 0)
        case (2, .int64(let i)): self = .int(i)
        case (3, .string(let s)): self = .string(s)
        default: self = .null
        }
    }

    /// The value as JSON text (for the conflict table).
    var json: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .string(let s): JSONText.quote(s)
        }
    }
}

enum JSONText {
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func array(_ strings: [String]) -> String { "[" + strings.map(quote).joined(separator: ",") + "]" }

    static func decodeStrings(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
