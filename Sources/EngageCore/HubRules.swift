import Foundation

/// How the hub — the one replica every device syncs with — recognises concurrent writes.
///
/// The hub is the point of serialisation: it applies changes in the order they arrive and
/// raises conflicts, which then replicate to every device as records. Devices merge without
/// raising conflicts, so every conflict exists once, with one id, everywhere.
public enum HubRules {
    /// What the hub knows about the record a change writes, read before the change is applied.
    public struct View: Sendable {
        /// The field's current register (scalar changes only).
        public var current: Register?
        /// The record's `deleted` register.
        public var deleted: Register?
        /// For a delete: the record's other registers written after the deleter's cursor.
        public var writtenSince: [Register]

        public init(current: Register? = nil, deleted: Register? = nil, writtenSince: [Register] = []) {
            self.current = current
            self.deleted = deleted
            self.writtenSince = writtenSince
        }
    }

    public static let deletedField = "deleted"

    /// The hub's own node id, whatever database it runs on: the stamps of the conflicts it
    /// raises and of its imports. No device may take it.
    public static let node = NodeID("hub")!
    /// The refusal of an import's change (a push marked `fill`) to an activity the hub already
    /// holds: an import fills in what does not exist and never overrides what someone edited.
    public static let existsCode = "exists"

    /// The conflicts a new (never seen) change raises. Call it before applying the change;
    /// duplicates must be filtered out by the caller first (a retried push raises nothing).
    public static func conflicts(for change: Change, in view: View) -> [Conflict] {
        guard case .set(let value) = change.op else {
            return editOfDeleted(change, view).map { [$0] } ?? []
        }
        var found: [Conflict] = []
        if let current = view.current, change.stamp == current.stamp {
            return sameStampConflict(change, held: current.value).map { [$0] } ?? []
        }
        // A write is concurrent with the current value when its author had not seen that value:
        // its base differs and the current value is someone else's (a node sees its own writes).
        if let current = view.current, change.base != current.stamp, change.stamp != current.stamp,
            current.stamp.node != change.stamp.node, value != current.value
        {
            let incoming = Conflict.Side(value: value, stamp: change.stamp)
            let existing = Conflict.Side(value: current.value, stamp: current.stamp)
            let (winner, loser) = change.stamp > current.stamp ? (incoming, existing) : (existing, incoming)
            found.append(
                Conflict(
                    collection: change.collection, recordId: change.recordId, field: change.field,
                    current: winner, other: loser))
        } else if change.field == deletedField, value == .bool(true), view.deleted?.value != .bool(true),
            let edit = view.writtenSince.filter({ $0.stamp.node != change.stamp.node }).max(by: { $0.stamp < $1.stamp })
        {
            // A delete that had not seen another author's edit of the record.
            found.append(
                Conflict(
                    collection: change.collection, recordId: change.recordId, field: deletedField,
                    current: .init(value: .bool(true), stamp: change.stamp),
                    other: .init(value: .bool(false), stamp: edit.stamp)))
        }
        if change.field != deletedField, let conflict = editOfDeleted(change, view) {
            found.append(conflict)
        }
        return found
    }

    /// The same stamp with another value than the one the hub holds (or held) under it: two
    /// databases wrote under one identity at the same instant, and neither saw the other. Both
    /// are kept — whatever has been written since — as a conflict whose sides are ordered by
    /// `Merge.wins`, so it is the same conflict whichever value arrived first.
    public static func sameStampConflict(_ change: Change, held: FieldValue) -> Conflict? {
        guard case .set(let value) = change.op, value != held else { return nil }
        let incoming = Conflict.Side(value: value, stamp: change.stamp)
        let existing = Conflict.Side(value: held, stamp: change.stamp)
        let (winner, loser) =
            Merge.wins(value, change.stamp, over: Register(value: held, stamp: change.stamp))
            ? (incoming, existing) : (existing, incoming)
        var conflict = Conflict(
            collection: change.collection, recordId: change.recordId, field: change.field, current: winner, other: loser)
        conflict.id = Conflict.id(change.collection, change.recordId, change.field, change.stamp.encoded, loser.value.jsonText)
        return conflict
    }

    /// An edit written without having seen the record's delete.
    private static func editOfDeleted(_ change: Change, _ view: View) -> Conflict? {
        guard let deleted = view.deleted, deleted.value == .bool(true), deleted.seq > change.seen,
            deleted.stamp.node != change.stamp.node
        else { return nil }
        var conflict = Conflict(
            collection: change.collection, recordId: change.recordId, field: deletedField,
            current: .init(value: .bool(true), stamp: deleted.stamp),
            other: .init(value: .bool(false), stamp: change.stamp))
        // One conflict per delete and editing device, however many fields it edited.
        conflict.id = Conflict.id(
            change.collection, change.recordId, deletedField, deleted.stamp.encoded,
            change.stamp.node.rawValue)
        return conflict
    }
}

extension HubRules {
    /// The changes that create a conflict record: its immutable body and an open `resolved` flag,
    /// stamped by the hub's clock.
    public static func recordChanges(for conflict: Conflict, stamp: () -> HLC) -> [Change] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(conflict)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return [
            Change(
                collection: ConflictRecord.collection, recordId: conflict.id, field: ConflictRecord.bodyField,
                op: .set(.string(body)), stamp: stamp()),
            Change(
                collection: ConflictRecord.collection, recordId: conflict.id, field: ConflictRecord.resolvedField,
                op: .set(.bool(false)), stamp: stamp()),
        ]
    }
}
