import EngageCore
import EngageStorage
import Foundation
import GRDB

/// Scalar values are stored with their type: 0 null, 1 bool, 2 integer, 3 text.
extension FieldValue {
    package var sqlType: Int64 {
        switch self {
        case .null: 0
        case .bool: 1
        case .int: 2
        case .string: 3
        }
    }

    package init(sqlType: Int64, value: DatabaseValue) {
        switch (sqlType, value.storage) {
        case (1, .int64(let i)): self = .bool(i != 0)
        case (2, .int64(let i)): self = .int(i)
        case (3, .string(let s)): self = .string(s)
        default: self = .null
        }
    }

}
