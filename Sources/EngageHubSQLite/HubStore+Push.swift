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
            var result = PushResult()
            var (received, heldIDs) = try Self.receivedKeys(changes, device: device.id, db: db)
            let highWater = try Self.highWater(node: device.nodeId, db: db)
            var newHighWater = highWater
            let logStatement = try db.cachedStatement(sql: """
                INSERT INTO change_log (stamp, collection, record_id, field, element, op, new_value, observed, base, seen,
                  old_value, applied, device_id, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var batchPosts: [String: [(stamp: HLC, post: String)]] = [:]
            for c in changes where c.collection == ActivityFields.collection && c.field == "post" {
                if case .set(.string(let p)) = c.op { batchPosts[c.recordId, default: []].append((c.stamp, p)) }
            }
            let postsBefore = try Self.posts(of: changes, db: db)
            let lookups = Self.lookups(db)
            for change in changes {
                let key = ReplicaWriter.RecordKey(collection: change.collection, recordId: change.recordId)
                let state = try writer.state(key)
                let relayed = relay && change.stamp.node.rawValue != device.nodeId
                let element = change.target.element ?? ""
                let logKey = Self.logKey(change.stamp.encoded, change.collection, change.recordId, change.field, element)
                // Another value under a stamp held already, relayed: two databases wrote under one
                // identity at the same instant, and the hub heard of one first (see `HubRules`).
                var clash = false
                if let held = received[logKey], relayed || change.stamp.node.rawValue == device.nodeId {
                    // Held already (a retry, or twice in this batch): acknowledged again, whatever
                    // has changed since — even the activity's post.
                    guard held == Self.signature(change.op) || relayed else { throw Self.identityConflict(device) }
                    // A relayed removal is merged again: two copies may have removed under one
                    // stamp having seen different tags (merging a removal twice changes nothing).
                    let removal = if case .remove = change.op { true } else { false }
                    clash = (held != Self.signature(change.op) || (relayed && removal)) && change.collection == ActivityFields.collection
                    if !clash {
                        result.accepted.append(change.stamp)
                        if let id = heldIDs[logKey] { result.heldIDs.append(id) }
                        continue
                    }
                }
                if let (code, message) = try relayed
                    ? HubPushRules.relayRefusal(change, device: device, state: state, batchPosts: batchPosts, now: now, lookups: lookups)
                    : HubPushRules.refusal(change, device: device, state: state, batchPosts: batchPosts, now: now, lookups: lookups)
                {
                    let current: Register? = if case .set = change.op { state.registers[change.field] } else { nil }
                    result.rejected.append(.init(stamp: change.stamp, code: code, message: message, current: current))
                    continue
                }
                if !relayed {
                    if let highWater, change.stamp <= highWater { throw Self.identityConflict(device) }
                    newHighWater = max(newHighWater ?? change.stamp, change.stamp)
                }
                let heldBefore = received[logKey]
                received[logKey] = Self.signature(change.op)
                context.clock.observe(change.stamp, physicalMs: now)
                // Other fields written since the author's cursor matter only to a delete.
                let writtenSince = change.field == HubRules.deletedField
                    ? state.registers.filter { $0.key != HubRules.deletedField && $0.value.seq > change.seen }.map(\.value) : []
                let view = HubRules.View(
                    current: state.registers[change.field], deleted: state.registers[HubRules.deletedField], writtenSince: writtenSince)
                var conflicts = change.collection == ActivityFields.collection ? HubRules.conflicts(for: change, in: view) : []
                if clash, let held = heldBefore.flatMap(Self.heldValue),
                    let conflict = HubRules.sameStampConflict(change, held: held), !conflicts.contains(where: { $0.id == conflict.id })
                {
                    conflicts.append(conflict)
                }
                let old = state.registers[change.field]?.value
                let applied = try writer.apply(change)
                if !clash {  // a clash's other value lives in its conflict: the log holds one entry per stamp
                    try logStatement.execute(
                        arguments: [change.stamp.encoded, change.collection, change.recordId, change.field, element,
                                    Self.opName(change.op), Self.newValue(change.op), Self.observed(change.op), change.base?.encoded, change.seen,
                                    old?.jsonText, applied, device.id, now])
                    let id = db.lastInsertedRowID
                    result.logIDs = (result.logIDs?.lowerBound ?? id)...id
                    heldIDs[logKey] = nil
                }
                for var conflict in conflicts {
                    let conflictKey = ReplicaWriter.RecordKey(collection: ConflictRecord.collection, recordId: conflict.id)
                    guard try writer.state(conflictKey).registers.isEmpty else { continue }
                    // People read conflicts: each side names the device that wrote it.
                    conflict.current.by = try Self.deviceName(node: conflict.current.author, db: db)
                    conflict.other.by = try Self.deviceName(node: conflict.other.author, db: db)
                    for c in HubRules.recordChanges(for: conflict, stamp: { context.clock.tick(physicalMs: now) }) {
                        try writer.apply(c)
                    }
                    result.conflictsRaised += 1
                }
                result.accepted.append(change.stamp)
                result.newlyAccepted += 1
            }
            try writer.project()
            try Self.resequenceMoved(postsBefore, writer: &writer, db: db)
            context.seq = writer.seq
            try context.save(db)
            if let newHighWater, newHighWater != highWater {
                try db.execute(
                    sql: "INSERT INTO node_stamp (node_id, max_stamp) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET max_stamp = excluded.max_stamp",
                    arguments: [device.nodeId, newHighWater.encoded])
            }
            result.conflicts = try Self.conflicts(involving: result.accepted, db: db)
            return result
        }
    }

    static func identityConflict(_ device: DeviceRecord) -> StoreError {
        StoreError(
            .identityConflict,
            "another database is using this device's identity (\(device.id)), e.g. a copy restored onto a second tablet; "
                + "this copy takes a new identity and sends its changes again (the app does it by itself)")
    }

    /// The greatest stamp accepted from `node`, if any.
    static func highWater(node: String, db: Database) throws -> HLC? {
        try String.fetchOne(db, sql: "SELECT max_stamp FROM node_stamp WHERE node_id = ?", arguments: [node]).flatMap(HLC.init(encoded:))
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
            guard now != post, now != nil else { continue }
            try writer.resequence(.init(collection: ActivityFields.collection, recordId: id))
            for conflict in try String.fetchAll(db, sql: "SELECT id FROM conflict WHERE record_id = ? ORDER BY id", arguments: [id]) {
                try writer.resequence(.init(collection: ConflictRecord.collection, recordId: conflict))
            }
        }
    }

    /// The log keys of the batch's changes the hub already holds, with what each wrote
    /// (`signature`), and the log ids of those `device` sent (for `PushResult.held`), read in a
    /// few queries.
    static func receivedKeys(_ changes: [Change], device: String, db: Database) throws -> (keys: [String: String], ids: [String: Int64]) {
        var keys: [String: String] = [:], ids: [String: Int64] = [:]
        let stamps = Array(Set(changes.map(\.stamp.encoded)))
        for start in stride(from: 0, to: stamps.count, by: 500) {
            let chunk = Array(stamps[start..<min(start + 500, stamps.count)])
            let rows = try Row.fetchCursor(
                db, sql: "SELECT stamp, collection, record_id, field, element, op, new_value, id, device_id FROM change_log WHERE stamp IN (\(databaseQuestionMarks(count: chunk.count)))",
                arguments: StatementArguments(chunk))
            while let row = try rows.next() {
                let key = logKey(row[0], row[1], row[2], row[3], row[4])
                keys[key] = signature(op: row[5], newValue: row[6])
                if (row[8] as String?) == device { ids[key] = row[7] }
            }
        }
        return (keys, ids)
    }

    static func logKey(_ stamp: String, _ collection: String, _ record: String, _ field: String, _ element: String) -> String {
        [stamp, collection, record, field, element].joined(separator: "\u{1F}")
    }

    /// What a change wrote, to tell a retried change from another one with the same stamp.
    static func signature(_ op: Change.Op) -> String { signature(op: opName(op), newValue: newValue(op)) }

    static func signature(op: String, newValue: String?) -> String { op + ":" + (newValue ?? "") }

    /// The value a held `set` wrote, read back from its signature.
    static func heldValue(_ signature: String) -> FieldValue? {
        guard signature.hasPrefix("set:") else { return nil }
        return try? JSONDecoder().decode(FieldValue.self, from: Data(signature.dropFirst(4).utf8))
    }

    static func opName(_ op: Change.Op) -> String {
        switch op {
        case .set: "set"
        case .add: "add"
        case .remove: "remove"
        }
    }

    static func newValue(_ op: Change.Op) -> String? { if case .set(let v) = op { v.jsonText } else { nil } }

    static func observed(_ op: Change.Op) -> String? {
        if case .remove(_, let tags) = op { "[" + tags.map { "\"" + $0.encoded + "\"" }.joined(separator: ",") + "]" } else { nil }
    }

    /// The rules' reads, from this transaction.
    static func lookups(_ db: Database) -> HubPushRules.Lookups {
        HubPushRules.Lookups(
            postWrites: { id in
                try Row.fetchAll(
                    db, sql: "SELECT stamp, new_value FROM change_log WHERE record_id = ? AND collection = 'activities' AND field = 'post'",
                    arguments: [id]
                ).map { (stamp: $0[0] as String, newValue: $0[1] as String?) }
            },
            conflictPost: { id in
                try String.fetchOne(
                    db, sql: "SELECT a.post FROM conflict c JOIN activity a ON a.id = c.record_id WHERE c.id = ?", arguments: [id])
            },
            activityPost: { id in try String.fetchOne(db, sql: "SELECT post FROM activity WHERE id = ?", arguments: [id]) })
    }

    /// The enrolled name of the device writing under `node` (a device keeps its name across
    /// new identities), nil for the hub's own node.
    static func deviceName(node: NodeID, db: Database) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM device WHERE node_id = ? LIMIT 1"), arguments: [node.rawValue])
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
            let rows = try Row.fetchAll(db, sql: conflictsByStampSQL(count: chunk.count), arguments: StatementArguments(chunk + chunk))
            for row in rows { found[row[0]] = (row[0], row[1], row[2]) }
        }
        return found.values.sorted { $0.0 < $1.0 }.map { (id: $0.0, activityId: $0.1, field: $0.2) }
    }
}
