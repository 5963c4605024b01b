import EngageCore
import EngageReplica
import EngageStorage
import Foundation
import GRDB

/// What the hub answered about one pushed change it refused.
public struct PushRejection: Sendable, Equatable {
    public var change: Change
    public var code: String
    public var message: String
    /// For a scalar field: the hub's register, which the device returns to (nil: none).
    public var current: Register?

    public init(change: Change, code: String, message: String, current: Register? = nil) {
        self.change = change
        self.code = code
        self.message = message
        self.current = current
    }
}

extension DeviceStore {
    /// After a push is answered, in one transaction: drops the outbox entries the answer
    /// acknowledged (`acknowledged`: their local sequence numbers), and for each refused change
    /// keeps it with the reason in `rejected_change` and, where it is still in force, returns
    /// the field to the hub's value — so the device never shows what the hub refused. `taken`
    /// is the latest stamp of this device's node the answer lists as accepted.
    public func completePush(
        acknowledged: [Int64], rejected: [PushRejection], at: String, checkpoint: String? = nil, taken: HLC? = nil
    ) throws(StoreError) {
        try write { db in
            try Self.keep(checkpoint: checkpoint, db: db)
            if let taken {
                // The latest of this node's stamps the hub took: the floor of the device clock.
                let held = try String.fetchOne(db, sql: "SELECT taken_stamp FROM sync_state WHERE id = 1").flatMap(
                    HLC.init(encoded:))
                if held.map({ $0.node != taken.node || $0 < taken }) ?? true {
                    try db.execute(sql: "UPDATE sync_state SET taken_stamp = ? WHERE id = 1", arguments: [taken.encoded])
                }
            }
            let encoder = JSONEncoder()
            var writer = try ReplicaWriter(db: db, seq: try ReplicaContext.load(db).seq)
            for r in rejected {
                if r.code == HubRules.existsCode {
                    // An import's value for an activity the hub already holds: not work anyone
                    // typed; it gives way to the hub's, which the pull brings.
                    if try Self.revert(r, db: db) {
                        try writer.refresh(.init(collection: r.change.collection, recordId: r.change.recordId))
                    }
                    continue
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO rejected_change (stamp, change, code, message, at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [
                        r.change.stamp.encoded, String(decoding: try encoder.encode(r.change), as: UTF8.self), r.code, r.message,
                        at,
                    ])
                if try Self.revert(r, db: db) {
                    try writer.refresh(.init(collection: r.change.collection, recordId: r.change.recordId))
                }
            }
            try writer.project()
            for chunk in stride(from: 0, to: acknowledged.count, by: 500).map({
                acknowledged[$0..<min($0 + 500, acknowledged.count)]
            }) {
                try db.execute(
                    sql: "DELETE FROM outbox WHERE seq IN (\(databaseQuestionMarks(count: chunk.count)))",
                    arguments: StatementArguments(Array(chunk)))
            }
        }
    }

    /// Undoes a refused change where it is still in force; returns whether anything changed.
    static func revert(_ r: PushRejection, db: Database) throws -> Bool {
        let c = r.change
        let args: StatementArguments = [c.collection, c.recordId, c.field]
        switch c.op {
        case .set:
            if let current = r.current {
                try db.execute(
                    sql:
                        "UPDATE field_state SET value_type = ?, value = ?, stamp = ?, node = ? WHERE collection = ? AND record_id = ? AND field = ? AND stamp = ?",
                    arguments: [
                        current.value.sqlType, current.value.databaseValue, current.stamp.encoded, current.stamp.node.rawValue,
                    ]
                        + args + [c.stamp.encoded])
            } else {
                try db.execute(
                    sql: "DELETE FROM field_state WHERE collection = ? AND record_id = ? AND field = ? AND stamp = ?",
                    arguments: args + [c.stamp.encoded])
            }
        case .add(let element):
            try db.execute(
                sql: "DELETE FROM element_state WHERE collection = ? AND record_id = ? AND field = ? AND element = ? AND tag = ?",
                arguments: args + [element, c.stamp.encoded])
        case .remove(let element, _):
            try db.execute(
                sql:
                    "UPDATE element_state SET removed = NULL WHERE collection = ? AND record_id = ? AND field = ? AND element = ? AND removed = ?",
                arguments: args + [element, c.stamp.encoded])
        }
        return db.changesCount > 0
    }

    /// Stamps again, with the clock as it now reads, the outbox entries whose stamps are in
    /// `stamps` (all of them when nil), in the replicated state as in the outbox: used after
    /// the hub refused stamps too far ahead of its clock, and when the device takes a new
    /// identity. Returns the new stamp of each old one.
    @discardableResult
    public func restamp(_ stamps: Set<HLC>? = nil) throws(StoreError) -> [HLC: HLC] {
        try write { db in
            var context = try ReplicaContext.load(db)
            let mapping = try Self.restamp(db, stamps, clock: &context.clock, seq: &context.seq, now: physicalMs())
            try context.save(db)
            return mapping
        }
    }

    @discardableResult
    static func restamp(
        _ db: Database, _ stamps: Set<HLC>?, clock: inout HybridClock, seq: inout Int64, now: Int64
    ) throws -> [HLC: HLC] {
        let entries = try outbox(db)
        var mapping: [HLC: HLC] = [:]
        for entry in entries where stamps?.contains(entry.change.stamp) ?? true {
            mapping[entry.change.stamp] = clock.tick(physicalMs: now)
        }
        guard !mapping.isEmpty else { return [:] }
        for entry in entries {
            var change = entry.change
            let old = change.stamp
            change.stamp = mapping[old] ?? old
            change.base = change.base.map { mapping[$0] ?? $0 }
            if case .remove(let element, let observed) = change.op {
                change.op = .remove(element, observed: observed.map { mapping[$0] ?? $0 })
            }
            guard change != entry.change else { continue }
            if change.stamp != old {
                // A new stamp goes to the end of the outbox, which stays in stamp order.
                try db.execute(sql: "DELETE FROM outbox WHERE seq = ?", arguments: [entry.seq])
                seq += 1
                try db.execute(sql: "INSERT INTO outbox (seq, change) VALUES (?, ?)", arguments: [seq, change.jsonText])
            } else {
                try db.execute(sql: "UPDATE outbox SET change = ? WHERE seq = ?", arguments: [change.jsonText, entry.seq])
            }
            guard change.stamp != old else { continue }
            let args: StatementArguments = [change.collection, change.recordId, change.field]
            switch change.op {
            case .set:
                try db.execute(
                    sql:
                        "UPDATE field_state SET stamp = ?, node = ? WHERE collection = ? AND record_id = ? AND field = ? AND stamp = ?",
                    arguments: [change.stamp.encoded, change.stamp.node.rawValue] + args + [old.encoded])
            case .add(let element):
                try db.execute(
                    sql:
                        "UPDATE element_state SET tag = ? WHERE collection = ? AND record_id = ? AND field = ? AND element = ? AND tag = ?",
                    arguments: [change.stamp.encoded] + args + [element, old.encoded])
            case .remove(let element, _):
                try db.execute(
                    sql:
                        "UPDATE element_state SET removed = ? WHERE collection = ? AND record_id = ? AND field = ? AND element = ? AND removed = ?",
                    arguments: [change.stamp.encoded] + args + [element, old.encoded])
            }
        }
        for table in ["field_state", "element_state"] { try db.notifyChanges(in: Table(table)) }
        return mapping
    }

    /// Takes the node id `node` and the enrolment that goes with it, in one transaction: after
    /// the hub found another database using this one's identity (a copy), or on enrolling a
    /// database whose node id the hub already knows. Pending changes keep their stamps: they
    /// are the old identity's history, sent as relays, which the hub takes once each (and a
    /// stamp it holds with another value becomes a conflict). Stamping them again would turn
    /// history both copies share into new writes — an add the other copy had removed would
    /// come back. What this database writes from now on is stamped under the new id. The
    /// cursor starts over, since the enrolment (and what it may see) is new.
    public func takeNewIdentity(_ node: NodeID, enrollment: Enrollment) throws(StoreError) {
        try write { db in
            var context = try ReplicaContext.load(db)
            try db.execute(
                sql: "INSERT OR IGNORE INTO earlier_node (node_id) VALUES (?)", arguments: [context.clock.node.rawValue])
            context.clock = context.clock.renamed(to: node)
            try db.execute(sql: "UPDATE sync_state SET node_id = ? WHERE id = 1", arguments: [node.rawValue])
            context.cursor = 0
            try context.save(db)
            try Self.save(enrollment, db)
        }
    }

    /// Sets a change aside that can never be sent (larger than the hub accepts): kept in
    /// `rejected_change` with the reason, out of the outbox; the value stays as typed.
    public func setAside(_ change: Change, code: String, message: String, outboxSeqs: [Int64], at: String) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO rejected_change (stamp, change, code, message, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [change.stamp.encoded, change.jsonText, code, message, at])
            for seq in outboxSeqs { try db.execute(sql: "DELETE FROM outbox WHERE seq = ?", arguments: [seq]) }
        }
    }

    public static func newNodeID() -> NodeID {
        NodeID(String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)))!
    }

    /// The generation of the hub database this device's cursor belongs to (nil before the first sync).
    public func hubGeneration() throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT hub_generation FROM sync_state WHERE id = 1") }
    }

    /// The latest mark of the hub's change sequence this device was given (`SEQ.MARK`), named at
    /// its next exchange so that a hub that went back says so; nil after a start-over.
    public func hubCheckpoint() throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT hub_checkpoint FROM sync_state WHERE id = 1") }
    }

    /// Keeps `checkpoint` if it is later than the one held, in the transaction that saves what
    /// the answer carrying it brought: a mark never certifies more than the device holds.
    static func keep(checkpoint: String?, db: Database) throws {
        guard let checkpoint else { return }
        let held = try String.fetchOne(db, sql: "SELECT hub_checkpoint FROM sync_state WHERE id = 1")
        let later = HubCheckpoint.later(held, checkpoint)
        if later != held { try db.execute(sql: "UPDATE sync_state SET hub_checkpoint = ? WHERE id = 1", arguments: [later]) }
    }

    /// Records the hub's generation the first time it is seen.
    public func setHubGeneration(_ generation: String) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE sync_state SET hub_generation = ? WHERE id = 1", arguments: [generation]) }
    }

    /// Starts over with a hub that lost what this device had synced (restored from a backup, or
    /// replaced): every value this device holds of activities, and settlements of conflicts, is
    /// queued again — its own writes, and others' to be relayed (the hub keeps each stamp once),
    /// never the hub's own — the outbox
    /// is kept in stamp order, and the cursor goes back to the start so the next pull brings
    /// the hub's state whole. One transaction.
    public func startOver(withHubGeneration generation: String?) throws(StoreError) {
        try write { db in
            var context = try ReplicaContext.load(db)
            var changes = try Self.outbox(db).map(\.change)
            var queued = Set(changes.map(\.stamp))
            func queue(_ change: Change) {
                if queued.insert(change.stamp).inserted { changes.append(change) }
            }
            // Every value this device holds of activities and conflicts: its own, and — relayed —
            // what others wrote, in case their authors cannot send them again.
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT collection, record_id, field, value_type, value, stamp FROM field_state WHERE collection IN ('activities', 'conflicts')"
            ) {
                // The hub's own writes (imports, the conflicts it raised) are never taken back from
                // a device (docs/security.md): it raises a conflict again when its sides meet again.
                guard let stamp = HLC(encoded: row[5]), stamp.node != HubRules.node,
                    row[0] as String != ConflictRecord.collection || row[2] as String == ConflictRecord.resolvedField
                else { continue }
                queue(
                    Change(
                        collection: row[0], recordId: row[1], field: row[2],
                        op: .set(FieldValue(sqlType: row[3], value: row[4])), stamp: stamp))
            }
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT collection, record_id, field, element, tag, removed FROM element_state WHERE collection = 'activities'"
            ) {
                guard let tag = HLC(encoded: row[4]) else { continue }
                let element: String = row[3]
                if tag.node != HubRules.node {
                    queue(Change(collection: row[0], recordId: row[1], field: row[2], op: .add(element), stamp: tag))
                }
                if let removed = (row[5] as String?).flatMap(HLC.init(encoded:)), removed.node != HubRules.node {
                    queue(
                        Change(
                            collection: row[0], recordId: row[1], field: row[2], op: .remove(element, observed: [tag]),
                            stamp: removed))
                }
            }
            // Removals by one stamp of several tags travel as one change.
            changes = Self.mergingRemovals(changes).sorted { $0.stamp < $1.stamp }
            try db.execute(sql: "DELETE FROM outbox")
            for change in changes {
                context.seq += 1
                try db.execute(sql: "INSERT INTO outbox (seq, change) VALUES (?, ?)", arguments: [context.seq, change.jsonText])
            }
            context.cursor = 0
            try context.save(db)
            try db.execute(
                sql: "UPDATE sync_state SET hub_generation = ?, hub_checkpoint = NULL WHERE id = 1", arguments: [generation])
        }
    }

    static func mergingRemovals(_ changes: [Change]) -> [Change] {
        var result: [Change] = []
        var index: [HLC: Int] = [:]
        for change in changes {
            if case .remove(let element, let observed) = change.op, let i = index[change.stamp],
                case .remove(let e, let seen) = result[i].op, e == element
            {
                result[i].op = .remove(element, observed: Array(Set(seen + observed)).sorted())
            } else {
                index[change.stamp] = result.count
                result.append(change)
            }
        }
        return result
    }

    /// Writes a consistent copy of this device's database to `path` (SQLite's VACUUM INTO):
    /// a backup, which restored onto another tablet becomes a copy the hub tells apart.
    public func backup(to path: String) throws(StoreError) {
        do {
            try Self.createPrivateFile(path)  // empty, as VACUUM INTO requires, and private
            try writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        } catch { throw SQLiteStore.wrap(error) }
    }
}

extension FieldValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .bool(let b): (b ? 1 : 0).databaseValue
        case .int(let i): i.databaseValue
        case .string(let s): s.databaseValue
        }
    }
}
