import EngageCore
import EngageModel
import EngageReplica
import EngageStorage
import Foundation
import GRDB

extension HubStore {
    /// Applies a batch from `device` through the merge core in one transaction. Each change is
    /// checked alone (validation, author, stamp bound, scope); a bad one is rejected with a
    /// reason and the hub's current value, and the rest are applied. Changes already received
    /// are acknowledged again and change nothing.
    ///
    /// Throws `identity_conflict`, applying nothing, when the batch holds a new change stamped
    /// at or below the greatest stamp already accepted from its node: another database is
    /// using this device's identity (see `node_stamp` in `schema/hub/0002_node_stamps.sql`).
    ///
    /// With `relay`, the batch is history the device re-sends for others to a hub that lost it
    /// (restored from a backup): changes stamped by other nodes are taken if the device may see
    /// their record, never count as the device's own stamps, and a stamp held already with
    /// other contents is simply acknowledged.
    public func push(_ changes: [Change], from device: DeviceRecord, relay: Bool = false) throws(StoreError) -> PushResult {
        let now = physicalMs()
        return try write { db in
            var context = try ReplicaContext.load(db)
            var writer = try ReplicaWriter(db: db, seq: context.seq)
            writer.register = registerRule
            let (received, heldIDs) = try Self.receivedKeys(changes, device: device.id, db: db)
            let reads = HubPush.Reads(
                received: received, heldIDs: heldIDs, highWater: try Self.highWater(node: device.nodeId, db: db),
                lookups: Self.lookups(db))
            let postsBefore = try Self.posts(of: changes, db: db)
            var outcome = try HubPush.run(
                changes, from: device, relay: relay, now: now, clock: &context.clock, writer: &writer, reads: reads)
            outcome.result.logIDs = try Self.append(outcome.log, device: device, now: now, db: db)
            try writer.project()
            try Self.resequenceMoved(postsBefore, writer: &writer, db: db)
            context.seq = writer.seq
            try context.save(db)
            if let stamp = outcome.newHighWater {
                try db.execute(
                    sql:
                        "INSERT INTO node_stamp (node_id, max_stamp) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET max_stamp = excluded.max_stamp",
                    arguments: [device.nodeId, stamp.encoded])
            }
            outcome.result.conflicts = try Self.conflicts(involving: outcome.result.accepted, db: db)
            return outcome.result
        }
    }

    /// Appends `entries` to the change log; returns their ids.
    static func append(_ entries: [HubPush.LogEntry], device: DeviceRecord, now: Int64, db: Database) throws -> ClosedRange<
        Int64
    >? {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO change_log (stamp, collection, record_id, field, element, op, new_value, observed, base, seen,
                  old_value, applied, device_id, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        var ids: ClosedRange<Int64>?
        for e in entries {
            let c = e.change
            try statement.execute(
                arguments: [
                    c.stamp.encoded, c.collection, c.recordId, c.field, e.element, e.opName, e.newValue, e.observed,
                    c.base?.encoded, c.seen, e.old?.jsonText, e.applied, device.id, now,
                ])
            let id = db.lastInsertedRowID
            ids = (ids?.lowerBound ?? id)...id
        }
        return ids
    }

    /// The greatest stamp accepted from `node`, if any.
    static func highWater(node: String, db: Database) throws -> HLC? {
        try String.fetchOne(db, sql: "SELECT max_stamp FROM node_stamp WHERE node_id = ?", arguments: [node]).flatMap(
            HLC.init(encoded:))
    }

    /// The post of each activity the batch writes (nil while it has no typed row).
    static func posts(of changes: [Change], db: Database) throws -> [String: String?] {
        var posts: [String: String?] = [:]
        let select = try db.cachedStatement(sql: "SELECT post FROM activity WHERE id = ?")
        for change in changes where change.collection == ActivityFields.collection && posts[change.recordId] == nil {
            posts[change.recordId] = .some(try String.fetchOne(select, arguments: [change.recordId]))
        }
        return posts
    }

    /// A record whose typed row appeared or changed post is now visible to devices that have
    /// not received its earlier fields (completed across batches, or moved by headquarters):
    /// it is given new sequence numbers, with its conflicts, so their next pull carries it whole.
    static func resequenceMoved(_ before: [String: String?], writer: inout ReplicaWriter, db: Database) throws {
        let select = try db.cachedStatement(sql: "SELECT post FROM activity WHERE id = ?")
        for (id, post) in before.sorted(by: { $0.key < $1.key }) {
            let now = try String.fetchOne(select, arguments: [id])
            guard now != post, let now else { continue }
            try writer.resequence(.init(collection: ActivityFields.collection, recordId: id))
            if let post {
                // The post it left learns where it went (`hub/0011_moved_activities.sql`).
                let register = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT seq, stamp FROM field_state WHERE collection = 'activities' AND record_id = ? AND field = 'post'",
                    arguments: [id])
                if let register {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO moved_activity (id, from_post, to_post, stamp, seq) VALUES (?, ?, ?, ?, ?)",
                        arguments: [id, post, now, register[1] as String, register[0] as Int64])
                    // Posts it left before learn where it went on to, too.
                    try db.execute(
                        sql: "UPDATE moved_activity SET to_post = ?, stamp = ?, seq = ? WHERE id = ?",
                        arguments: [now, register[1] as String, register[0] as Int64, id])
                }
            }
            try db.execute(sql: "DELETE FROM moved_activity WHERE id = ? AND from_post = ?", arguments: [id, now])
            for conflict in try String.fetchAll(
                db, sql: "SELECT id FROM conflict WHERE record_id = ? ORDER BY id", arguments: [id])
            {
                try writer.resequence(.init(collection: ConflictRecord.collection, recordId: conflict))
            }
        }
    }

    /// The log keys of the batch's changes the hub already holds, with what each wrote
    /// (`signature`), and the log ids of those `device` sent (for `PushResult.held`), read in a
    /// few queries.
    static func receivedKeys(_ changes: [Change], device: String, db: Database) throws -> (
        keys: [String: String], ids: [String: Int64]
    ) {
        var keys: [String: String] = [:]
        var ids: [String: Int64] = [:]
        let stamps = Array(Set(changes.map(\.stamp.encoded)))
        for start in stride(from: 0, to: stamps.count, by: 500) {
            let chunk = Array(stamps[start..<min(start + 500, stamps.count)])
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT stamp, collection, record_id, field, element, op, new_value, id, device_id FROM change_log WHERE stamp IN (\(databaseQuestionMarks(count: chunk.count)))",
                arguments: StatementArguments(chunk))
            while let row = try rows.next() {
                let key = HubPush.logKey(row[0], row[1], row[2], row[3], row[4])
                keys[key] = HubPush.signature(op: row[5], newValue: row[6])
                if (row[8] as String?) == device { ids[key] = row[7] }
            }
        }
        return (keys, ids)
    }

    /// The rules' reads, from this transaction.
    static func lookups(_ db: Database) -> HubPushRules.Lookups {
        HubPushRules.Lookups(
            conflictPost: { id in
                try String.fetchOne(
                    db, sql: "SELECT a.post FROM conflict c JOIN activity a ON a.id = c.record_id WHERE c.id = ?", arguments: [id]
                )
            },
            activityPost: { id in try String.fetchOne(db, sql: "SELECT post FROM activity WHERE id = ?", arguments: [id]) },
            author: { node in
                // The device enrolled under `node` (revoked ones included); none for the hub's own node.
                try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM device WHERE node_id = ?"), arguments: [node.rawValue])
                    .map(Self.device(from:))
            })
    }

    /// Conflicts whose either side has one of `count` stamps: through both stamp indexes
    /// (checked by `QueryPlanTests`), so a push costs the same with 60,000 conflicts held.
    static func conflictsByStampSQL(count: Int) -> String {
        let marks = databaseQuestionMarks(count: count)
        return "SELECT id, record_id, field FROM conflict WHERE current_stamp IN (\(marks)) OR other_stamp IN (\(marks))"
    }

    static func conflicts(involving stamps: [HLC], db: Database) throws -> [(id: String, activityId: String, field: String)] {
        guard !stamps.isEmpty else { return [] }
        var found: [String: (String, String, String)] = [:]
        for start in stride(from: 0, to: stamps.count, by: 400) {
            let chunk = stamps[start..<min(start + 400, stamps.count)].map(\.encoded)
            let rows = try Row.fetchAll(
                db, sql: conflictsByStampSQL(count: chunk.count), arguments: StatementArguments(chunk + chunk))
            for row in rows { found[row[0]] = (row[0], row[1], row[2]) }
        }
        return found.values.sorted { $0.0 < $1.0 }.map { (id: $0.0, activityId: $0.1, field: $0.2) }
    }
}
