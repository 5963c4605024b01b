import EngageCore
import EngageReplica
import EngageStorage
import EngageTestSupport
import Foundation
import GRDB
import Testing

@testable import EngageStore

/// `MemoryReplica` (the write path a PostgreSQL hub merges through) writes exactly the rows,
/// values, tags and sequence numbers that SQLite's `ReplicaWriter` writes, for the same changes
/// in the same batches: random schedules of sets, adds and removes, duplicates and stale writes.
@Suite struct MemoryReplicaTests {
    @Test(arguments: 0..<40) func writesTheSameRowsAsTheSQLiteWritePath(_ seed: UInt64) throws {
        let store = try DeviceStore.inMemory()
        var memory = MemoryReplica(seq: try store.read { db in try Int64.fetchOne(db, sql: "SELECT local_seq FROM sync_state") ?? 0 })
        for batch in ReplicaSchedule.batches(seed: seed) {
            _ = try store.applyRemote(batch)
            for change in batch {
                let key = MemoryReplica.RecordKey(collection: change.collection, recordId: change.recordId)
                if !memory.isLoaded(key) { memory.load(key, RecordState()) }
                memory.apply(change)
            }
        }
        let (sqliteFields, sqliteElements, sqliteSeq) = try store.read { db in
            (try Row.fetchAll(db, sql: "SELECT record_id, field, value_type, value, stamp, seq FROM field_state WHERE collection = 'tests' ORDER BY seq, record_id, field")
                .map { "\($0[0] as String) \($0[1] as String) \(FieldValue(sqlType: $0[2], value: $0[3]).jsonText) \($0[4] as String) \($0[5] as Int64)" },
             try Row.fetchAll(db, sql: "SELECT record_id, field, element, tag, removed, seq FROM element_state WHERE collection = 'tests' ORDER BY seq, tag")
                .map { "\($0[0] as String) \($0[1] as String) \($0[2] as String) \($0[3] as String) \(($0[4] as String?) ?? "-") \($0[5] as Int64)" },
             try Int64.fetchOne(db, sql: "SELECT local_seq FROM sync_state") ?? -1)
        }
        let memoryFields = memory.fieldRows.sorted { ($0.seq, $0.key.recordId, $0.field) < ($1.seq, $1.key.recordId, $1.field) }
            .map { "\($0.key.recordId) \($0.field) \($0.value.jsonText) \($0.stamp.encoded) \($0.seq)" }
        let memoryElements = memory.elementRows.map {
            "\($0.key.recordId) \($0.field) \($0.element) \($0.tag.encoded) \($0.removed?.encoded ?? "-") \($0.seq)"
        }
        #expect(memoryFields == sqliteFields)
        #expect(memoryElements == sqliteElements)
        #expect(memory.seq == sqliteSeq)
        #expect(!sqliteFields.isEmpty && !sqliteElements.isEmpty, "the schedule exercised both kinds of rows")
    }
}
