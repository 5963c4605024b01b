import EngageCore
import EngageModel
import EngageReplica
import EngageStorage
import Foundation
import GRDB

/// An open or settled conflict as the device shows it.
public struct ConflictSummary: Sendable, Equatable {
    public var id: String
    public var activityId: String
    public var field: String
    public var current: Conflict.Side
    public var other: Conflict.Side
    public var resolved: Bool
}

/// How to settle a conflict.
public enum Settlement: Sendable, Equatable {
    case keepCurrent
    case keepOther
    case value(String)
}

extension DeviceStore {
    public func conflicts(includeResolved: Bool = false) throws(StoreError) -> [ConflictSummary] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM conflict WHERE resolved = 0 OR ? ORDER BY record_id, field, id",
                arguments: [includeResolved]
            ).compactMap(Self.conflict(from:))
        }
    }

    /// Settles a conflict with a normal edit that supersedes both values, and closes it (and any
    /// other open conflict on the same field of the same activity).
    @discardableResult
    public func resolve(conflict id: String, _ settlement: Settlement) throws(StoreError) -> ConflictSummary {
        try write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM conflict WHERE id LIKE ? || '%' LIMIT 2", arguments: [id.lowercased()])
            guard rows.count == 1, let conflict = Self.conflict(from: rows[0]) else {
                throw rows.isEmpty
                    ? StoreError(.notFound, "no conflict has id '\(id)'; `engage conflicts` lists the open ones")
                    : StoreError(.ambiguousID, "conflict id '\(id)' matches several; type more characters")
            }
            guard !conflict.resolved else {
                // Settling it again would write the chosen value again, over what was typed since.
                throw StoreError(
                    .invalid,
                    "conflict \(conflict.id.prefix(8)) is already settled; edit the activity (`engage edit \(conflict.activityId.prefix(8))`) to change the value"
                )
            }
            var context = try ReplicaContext.load(db)
            var writer = try ReplicaWriter(db: db, seq: context.seq)
            let recordKey = ReplicaWriter.RecordKey(collection: ActivityFields.collection, recordId: conflict.activityId)
            let state = try writer.state(recordKey)
            let value: FieldValue
            switch settlement {
            case .keepCurrent: value = state.registers[conflict.field]?.value ?? conflict.current.value
            case .keepOther: value = conflict.other.value
            case .value(let text): value = try ActivityFields.parseValue(field: conflict.field, text)
            }
            let siblings = try String.fetchAll(
                db, sql: "SELECT id FROM conflict WHERE record_id = ? AND field = ? AND resolved = 0",
                arguments: [conflict.activityId, conflict.field])
            var open: [(id: String, resolvedStamp: HLC?)] = []
            for sibling in siblings {
                let key = ReplicaWriter.RecordKey(collection: ConflictRecord.collection, recordId: sibling)
                open.append((sibling, try writer.state(key).registers[ConflictRecord.resolvedField]?.stamp))
            }
            for stamp in [state.latestStamp] + open.map(\.resolvedStamp) {
                if let stamp { context.clock.observe(stamp, physicalMs: physicalMs()) }
            }
            let changes = Settle.changes(
                collection: ActivityFields.collection, recordId: conflict.activityId, field: conflict.field, value: value,
                record: state, openConflicts: open, clock: &context.clock, physicalMs: physicalMs(), seen: context.cursor)
            if let error = ActivityFields.validate(changes[0]) ?? ActivityFields.unknownFieldsRefusal(changes[0], state: state) {
                throw StoreError(error)
            }
            try applyLocal(db, changes, writer: &writer)
            // The merged activity must still satisfy the model (e.g. an end date after the start).
            let merged = try writer.state(recordKey)
            if var activity = try ActivityFields.activity(
                id: conflict.activityId, scalars: merged.scalarValues, sets: merged.setValues)
            {
                try activity.validate()
                // A settlement that changes the value is an edit: refused at once when the hub
                // would refuse it from this device (else the conflict would close on the hub
                // while the chosen value was refused). Nothing is written.
                let before = try ActivityFields.activity(
                    id: conflict.activityId, scalars: state.scalarValues, sets: state.setValues)
                do { try Self.checkScope(db, old: before, new: &activity) } catch let error as StoreError
                    where error.code == .outOfScope
                {
                    throw StoreError(
                        .outOfScope,
                        "settling this conflict with another value edits \(conflict.field), which this device may not do "
                            + "(\(error.message)); settle it with --keep current, or leave it to the post's advisors; nothing was changed"
                    )
                }
            }
            context.seq = writer.seq
            try context.save(db)
            var settled = conflict
            settled.resolved = true
            return settled
        }
    }

    static func conflict(from row: Row) -> ConflictSummary? {
        let decoder = JSONDecoder()
        // The author columns hold the enrolled name when the hub gave one, else the node id.
        func name(_ column: String?, _ stamp: HLC) -> String? { column == stamp.node.rawValue ? nil : column }
        guard let cs = HLC(encoded: row["current_stamp"]), let os = HLC(encoded: row["other_stamp"]),
            let cv = try? decoder.decode(FieldValue.self, from: Data((row["current_value"] as String).utf8)),
            let ov = try? decoder.decode(FieldValue.self, from: Data((row["other_value"] as String).utf8))
        else { return nil }
        return ConflictSummary(
            id: row["id"], activityId: row["record_id"], field: row["field"],
            current: .init(value: cv, stamp: cs, by: name(row["current_author"], cs)),
            other: .init(value: ov, stamp: os, by: name(row["other_author"], os)),
            resolved: row["resolved"])
    }
}
