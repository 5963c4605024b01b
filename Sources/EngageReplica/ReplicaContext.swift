import EngageCore
import EngageStorage
import GRDB

/// The replica's identity, clock and change sequence, read and saved inside a write transaction.
package struct ReplicaContext {
    package var clock: HybridClock
    package var seq: Int64
    package var cursor: Int64

    package static func load(_ db: Database) throws -> ReplicaContext {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT node_id, clock, clock_offset_ms, local_seq, server_cursor FROM sync_state WHERE id = 1"),
            let node = NodeID(row[0])
        else { throw StoreError(.database, "the database has no replica identity; it was not created by engage") }
        let last = (row[1] as String?).flatMap(HLC.init(encoded:))
        return ReplicaContext(clock: HybridClock(node: node, last: last, offsetMs: row[2]), seq: row[3], cursor: row[4])
    }

    package func save(_ db: Database) throws {
        try db.execute(
            sql: "UPDATE sync_state SET clock = ?, clock_offset_ms = ?, local_seq = ?, server_cursor = ? WHERE id = 1",
            arguments: [clock.last.encoded, clock.offsetMs, seq, cursor])
    }
}
