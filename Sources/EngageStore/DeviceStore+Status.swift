import EngageCore
import EngageReplica
import EngageStorage
import Foundation
import GRDB

/// What `engage status` shows.
public struct DeviceStatus: Sendable, Codable, Equatable {
    public var nodeId: String
    public var activities: Int
    public var deleted: Int
    public var partners: Int
    public var openConflicts: Int
    public var pendingChanges: Int
    public var serverURL: String?
    public var serverCursor: Int64
    public var lastSync: String?
    public var clockOffsetMs: Int64
    public var rejectedChanges: Int
}

extension DeviceStore {
    public func status() throws(StoreError) -> DeviceStatus {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT node_id, server_url, server_cursor, last_sync, clock_offset_ms,
                  (SELECT COUNT(*) FROM activity WHERE deleted = 0), (SELECT COUNT(*) FROM activity WHERE deleted = 1),
                  (SELECT COUNT(*) FROM partner), (SELECT COUNT(*) FROM conflict WHERE resolved = 0),
                  (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM rejected_change)
                FROM sync_state WHERE id = 1
                """)
            else { throw StoreError(.database, "the database has no replica identity") }
            return DeviceStatus(
                nodeId: row[0], activities: row[5], deleted: row[6], partners: row[7], openConflicts: row[8],
                pendingChanges: row[9], serverURL: row[1], serverCursor: row[2], lastSync: row[3], clockOffsetMs: row[4], rejectedChanges: row[10])
        }
    }

    /// Where the device stands with the server after a sync: its cursor, the clock offset it
    /// learnt and its open conflicts — each read through a key or an index (`conflict_open`), so
    /// a sync's end costs what it shows, not the size of the device's tables.
    public func syncPosition() throws(StoreError) -> (cursor: Int64, clockOffsetMs: Int64, openConflicts: Int) {
        try read { db in
            let row = try Row.fetchOne(db, sql: Self.syncPositionSQL)
            return (row?[0] ?? 0, row?[1] ?? 0, row?[2] ?? 0)
        }
    }

    static let syncPositionSQL = """
        SELECT server_cursor, clock_offset_ms, (SELECT COUNT(*) FROM conflict WHERE resolved = 0)
        FROM sync_state WHERE id = 1
        """

    /// This replica's node id.
    public func nodeID() throws(StoreError) -> NodeID {
        try read { db in try ReplicaContext.load(db).clock.node }
    }

    /// Every node id this database has written under: the current one and earlier identities.
    public func ownNodes() throws(StoreError) -> Set<NodeID> {
        try read { db in
            Set(try String.fetchAll(db, sql: "SELECT node_id FROM earlier_node").compactMap(NodeID.init))
                .union([try ReplicaContext.load(db).clock.node])
        }
    }

    /// The current stamp of one field of a record (nil if never written): for tests and tools.
    public func stamp(collection: String, recordId: String, field: String) throws(StoreError) -> HLC? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT stamp FROM field_state WHERE collection = ? AND record_id = ? AND field = ?",
                                arguments: [collection, recordId, field]).flatMap(HLC.init(encoded:))
        }
    }
}
