import EngageCore
import EngageStorage
import GRDB

/// The replicated state a replica holds, record by record, as the merge sees it: every
/// register with its stamp and every element tag. For diagnostics, tools and the checks that
/// compare replicas; reads never change anything.
package enum ReplicatedState {
    /// Keyed by `collection/recordId`.
    package static func read(_ db: Database) throws -> [String: RecordState] {
        var records: [String: RecordState] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT collection, record_id, field, value_type, value, stamp, seq FROM field_state") {
            guard let stamp = HLC(encoded: row[5]) else { continue }
            let key = (row[0] as String) + "/" + (row[1] as String)
            records[key, default: RecordState()].registers[row[2]] =
                Register(value: FieldValue(sqlType: row[3], value: row[4]), stamp: stamp, seq: 0)
        }
        for row in try Row.fetchAll(db, sql: "SELECT collection, record_id, field, element, tag, removed FROM element_state ORDER BY tag") {
            guard let tag = HLC(encoded: row[4]) else { continue }
            let key = (row[0] as String) + "/" + (row[1] as String)
            records[key, default: RecordState()].tags[row[2], default: [:]][row[3], default: []]
                .append(ElementTag(tag: tag, removed: (row[5] as String?).flatMap(HLC.init(encoded:))))
        }
        return records
    }
}
