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
        var rng = SplitMix(seed)
        let store = try DeviceStore.inMemory()
        var memory = MemoryReplica(seq: try store.read { db in try Int64.fetchOne(db, sql: "SELECT local_seq FROM sync_state") ?? 0 })
        let nodes = ["a", "b", "c"].map { NodeID($0)! }
        var made: [Change] = []
        for _ in 0..<(5 + Int(rng.next() % 10)) {
            var batch: [Change] = []
            for _ in 0..<(1 + Int(rng.next() % 30)) {
                // Often a change seen before (a retried page), else a new one over a few records and fields.
                if !made.isEmpty, rng.next() % 5 == 0 {
                    batch.append(made[Int(rng.next() % UInt64(made.count))])
                    continue
                }
                let stamp = HLC(wallMs: 1_000 + Int64(rng.next() % 50), counter: UInt16(rng.next() % 3), node: nodes[Int(rng.next() % 3)])
                let record = "r\(rng.next() % 4)"
                let op: Change.Op
                let field: String
                switch rng.next() % 4 {
                case 0: (field, op) = ("title", .set(.string("t\(rng.next() % 5)")))
                case 1: (field, op) = ("participants", rng.next() % 4 == 0 ? .set(.null) : .set(.int(Int64(rng.next() % 9))))
                case 2: (field, op) = ("partners", .add("P\(rng.next() % 3)"))
                default:
                    let element = "P\(rng.next() % 3)"
                    let seen = made.filter { $0.recordId == record && $0.field == "partners" && $0.target.element == element }.map(\.stamp)
                    (field, op) = ("partners", .remove(element, observed: Array(seen.prefix(Int(rng.next() % 3)))))
                }
                let change = Change(collection: "tests", recordId: record, field: field, op: op, stamp: stamp)
                made.append(change)
                batch.append(change)
            }
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

/// A small seeded generator (SplitMix64): the same schedule for the same seed.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
