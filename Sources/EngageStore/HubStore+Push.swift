import EngageCore
import EngageModel
import Foundation
import GRDB

/// What the hub did with a pushed batch. It depends only on the batch and the state it met,
/// so a retried batch gets the same result.
public struct PushResult: Sendable {
    public struct Rejection: Sendable, Equatable {
        public var stamp: HLC
        public var code: String
        public var message: String
    }

    public var accepted: [HLC] = []
    public var rejected: [Rejection] = []
    /// Conflicts (id, activity, field) that involve the batch's changes.
    public var conflicts: [(id: String, activityId: String, field: String)] = []
    /// New for this push (not a retry): what the metrics count.
    public var newlyAccepted = 0
    public var conflictsRaised = 0
}

extension HubStore {
    /// Applies a batch from `device` through the merge core in one transaction. Each change is
    /// checked alone (validation, author, scope); a bad one is rejected with a reason and the
    /// rest are applied. Changes already received are acknowledged again and change nothing.
    public func push(_ changes: [Change], from device: DeviceRecord) throws(StoreError) -> PushResult {
        let now = physicalMs()
        return try write { db in
            var context = try ReplicaContext.load(db)
            var writer = try ReplicaWriter(db: db, seq: context.seq)
            if reverseTieBreak { writer.register = { Merge.registerReversed($0, $1, stamp: $2) } }
            var result = PushResult()
            var received = try Self.receivedKeys(changes, db: db)
            let logStatement = try db.cachedStatement(sql: """
                INSERT INTO change_log (stamp, collection, record_id, field, element, op, new_value, observed, base, seen,
                  old_value, applied, device_id, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let batchPosts = Dictionary(changes.compactMap { c -> (String, String)? in
                guard c.collection == ActivityFields.collection, c.field == "post", case .set(.string(let p)) = c.op else { return nil }
                return (c.recordId, p)
            }, uniquingKeysWith: { _, last in last })
            for change in changes {
                let key = ReplicaWriter.RecordKey(collection: change.collection, recordId: change.recordId)
                if let (code, message) = try Self.refusal(change, device: device, state: try writer.state(key), batchPosts: batchPosts, db: db) {
                    result.rejected.append(.init(stamp: change.stamp, code: code, message: message))
                    continue
                }
                let element = change.target.element ?? ""
                let logKey = Self.logKey(change.stamp.encoded, change.collection, change.recordId, change.field, element)
                if !received.insert(logKey).inserted {  // held already, or twice in this batch
                    result.accepted.append(change.stamp)
                    continue
                }
                context.clock.observe(change.stamp, physicalMs: now)
                let state = try writer.state(key)
                // Other fields written since the author's cursor matter only to a delete.
                let writtenSince = change.field == HubRules.deletedField
                    ? state.registers.filter { $0.key != HubRules.deletedField && $0.value.seq > change.seen }.map(\.value) : []
                let view = HubRules.View(
                    current: state.registers[change.field], deleted: state.registers[HubRules.deletedField], writtenSince: writtenSince)
                let conflicts = change.collection == ActivityFields.collection ? HubRules.conflicts(for: change, in: view) : []
                let old = state.registers[change.field]?.value
                let applied = try writer.apply(change)
                try logStatement.execute(
                    arguments: [change.stamp.encoded, change.collection, change.recordId, change.field, element,
                                Self.opName(change.op), Self.newValue(change.op), Self.observed(change.op), change.base?.encoded, change.seen, old?.jsonText, applied, device.id, now])
                for conflict in conflicts {
                    let conflictKey = ReplicaWriter.RecordKey(collection: ConflictRecord.collection, recordId: conflict.id)
                    guard try writer.state(conflictKey).registers.isEmpty else { continue }
                    for c in HubRules.recordChanges(for: conflict, stamp: { context.clock.tick(physicalMs: now) }) {
                        try writer.apply(c)
                    }
                    result.conflictsRaised += 1
                }
                result.accepted.append(change.stamp)
                result.newlyAccepted += 1
            }
            try writer.project()
            context.seq = writer.seq
            try context.save(db)
            result.conflicts = try Self.conflicts(involving: result.accepted, db: db)
            return result
        }
    }

    /// The log keys of the batch's changes the hub already holds, read in a few queries.
    static func receivedKeys(_ changes: [Change], db: Database) throws -> Set<String> {
        var keys: Set<String> = []
        let stamps = Array(Set(changes.map(\.stamp.encoded)))
        for start in stride(from: 0, to: stamps.count, by: 500) {
            let chunk = Array(stamps[start..<min(start + 500, stamps.count)])
            let rows = try Row.fetchCursor(
                db, sql: "SELECT stamp, collection, record_id, field, element FROM change_log WHERE stamp IN (\(databaseQuestionMarks(count: chunk.count)))",
                arguments: StatementArguments(chunk))
            while let row = try rows.next() { keys.insert(logKey(row[0], row[1], row[2], row[3], row[4])) }
        }
        return keys
    }

    static func logKey(_ stamp: String, _ collection: String, _ record: String, _ field: String, _ element: String) -> String {
        [stamp, collection, record, field, element].joined(separator: "\u{1F}")
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

    /// Why a change may not be applied, or nil.
    static func refusal(
        _ change: Change, device: DeviceRecord, state: RecordState, batchPosts: [String: String], db: Database
    ) throws -> (String, String)? {
        if change.stamp.node.rawValue != device.nodeId {
            return ("wrong_author", "a device may push only changes stamped with its own node id (\(device.nodeId))")
        }
        switch change.collection {
        case ActivityFields.collection:
            if let error = ActivityFields.validate(change) { return ("invalid_value", error.message) }
            guard device.role == .advisor else {
                return ("out_of_scope", "a \(device.role.rawValue) device may not edit activities; advisors of the activity's post do")
            }
            let post = state.registers["post"]?.value.stringValue ?? batchPosts[change.recordId]
            guard let post else {
                return ("invalid_value", "activity \(change.recordId.prefix(8)) has no post; log it with --post \(device.post)")
            }
            if post != device.post {
                return ("out_of_scope", "activity \(change.recordId.prefix(8)) belongs to post \(post); you may edit activities of \(device.post) only")
            }
            if change.field == "post", case .set(let value) = change.op, value != .string(device.post) {
                return ("out_of_scope", "you may not move an activity to another post (\(value)); ask headquarters")
            }
            return nil
        case ConflictRecord.collection:
            guard change.field == ConflictRecord.resolvedField, case .set(.bool) = change.op else {
                return ("invalid_value", "a conflict can only be marked resolved (true or false)")
            }
            guard let post = try String.fetchOne(
                db, sql: "SELECT a.post FROM conflict c JOIN activity a ON a.id = c.record_id WHERE c.id = ?", arguments: [change.recordId])
            else { return ("not_found", "conflict \(change.recordId) does not exist at the server") }
            if device.role == .advisor, post != device.post { return ("out_of_scope", "conflict \(change.recordId) belongs to post \(post)") }
            return nil
        case PartnerFields.collection:
            guard device.role != .advisor else {
                return ("out_of_scope", "the partner registry is reference data kept by headquarters; advisors record new partners on activities")
            }
            return ActivityFields.isFieldName(change.field) ? nil : ("invalid_value", "'\(change.field)' is not a field name")
        default:
            return ("invalid_value", "collection '\(change.collection)' does not exist; use activities, conflicts or partners")
        }
    }

    static func conflicts(involving stamps: [HLC], db: Database) throws -> [(id: String, activityId: String, field: String)] {
        guard !stamps.isEmpty else { return [] }
        var found: [String: (String, String, String)] = [:]
        for start in stride(from: 0, to: stamps.count, by: 400) {
            let chunk = stamps[start..<min(start + 400, stamps.count)].map(\.encoded)
            let marks = databaseQuestionMarks(count: chunk.count)
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, record_id, field FROM conflict WHERE current_stamp IN (\(marks)) OR other_stamp IN (\(marks))",
                arguments: StatementArguments(chunk + chunk))
            for row in rows { found[row[0]] = (row[0], row[1], row[2]) }
        }
        return found.values.sorted { $0.0 < $1.0 }.map { (id: $0.0, activityId: $0.1, field: $0.2) }
    }
}
