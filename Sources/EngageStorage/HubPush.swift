import EngageCore
import EngageModel
import Foundation

/// A store's replicated write path, as the push needs it: a record's whole state, and the
/// merge of one change into it (returning whether it changed anything). SQLite's `ReplicaWriter`
/// writes through; `MemoryReplica` keeps the rows for the store to write back.
public protocol ReplicaApplying {
    mutating func state(_ key: MemoryReplica.RecordKey) throws -> RecordState
    @discardableResult mutating func apply(_ change: Change) throws -> Bool
}

/// The push of a batch, the same for every hub store: which changes are taken, acknowledged
/// again (held already), refused (`HubPushRules`) or make the batch an identity conflict, and
/// which conflicts they raise. The store reads what `Reads` holds inside its write transaction,
/// runs `run`, then writes the replicated rows, the change-log entries it returns, the node's new
/// high-water stamp and the clock — and answers `result` with the log ids and conflicts filled in.
public enum HubPush {
    /// What the push reads beyond the records' own state, from the store's transaction.
    public struct Reads {
        /// The batch's changes the hub holds already, by `logKey`: what each wrote (`signature`).
        public var received: [String: String]
        /// The log ids of those this device sent (for `PushResult.held`), by `logKey`.
        public var heldIDs: [String: Int64]
        /// The greatest stamp accepted from the device's node.
        public var highWater: HLC?
        public var lookups: HubPushRules.Lookups

        public init(received: [String: String], heldIDs: [String: Int64], highWater: HLC?, lookups: HubPushRules.Lookups) {
            self.received = received
            self.heldIDs = heldIDs
            self.highWater = highWater
            self.lookups = lookups
        }
    }

    /// A change-log entry to write: the change, the value it replaced, whether it changed the state.
    public struct LogEntry: Sendable {
        public var change: Change
        public var old: FieldValue?
        public var applied: Bool

        public var element: String { change.target.element ?? "" }
        public var opName: String { HubPush.opName(change.op) }
        public var newValue: String? { HubPush.newValue(change.op) }
        public var observed: String? { HubPush.observed(change.op) }
    }

    public struct Outcome {
        /// The answer, without `logIDs` (the store's ids of `log`) and `conflicts`.
        public var result: PushResult
        /// Entries to append to the change log, in order.
        public var log: [LogEntry]
        /// The node's greatest accepted stamp when this batch raised it.
        public var newHighWater: HLC?
    }

    /// Runs the batch from `device` through the rules and the merge (see `HubStorage.push`).
    /// Throws `identity_conflict` when a new change is stamped at or below the node's high water,
    /// or a held stamp comes back with other contents from its own node: the store then rolls back.
    public static func run<W: ReplicaApplying>(
        _ changes: [Change], from device: DeviceRecord, relay: Bool, now: Int64, clock: inout HybridClock, writer: inout W,
        reads: Reads
    ) throws -> Outcome {
        var result = PushResult()
        var log: [LogEntry] = []
        var received = reads.received
        var heldIDs = reads.heldIDs
        var newHighWater = reads.highWater
        // A hub whose clock stepped back (an NTP correction) still takes a device's stamps up to
        // those it already took from its node: the device's clock never goes below them, and
        // refusing its next edit as ahead made it stamp below them (taken for a copy, its edit
        // losing to its own older value). No further: a device cannot push the bound on.
        // (At most an hour past the hub's clock: 1 ms per push cannot creep it on for ever.)
        let ownNow = max(now, min((reads.highWater?.wallMs ?? 0) + 1, now + HLC.maxStepBackMs) - HLC.maxAheadMs)
        // The post the batch first gives each activity (a creation's): grounds to refuse a new
        // record's other fields, never to accept one.
        var claimed: [String: String] = [:]
        for c in changes where c.collection == ActivityFields.collection && c.field == "post" && claimed[c.recordId] == nil {
            if case .set(let value) = c.op { claimed[c.recordId] = value.stringValue ?? "" }
        }
        for change in changes {
            let key = MemoryReplica.RecordKey(collection: change.collection, recordId: change.recordId)
            let state = try writer.state(key)
            let relayed = relay && change.stamp.node.rawValue != device.nodeId
            let logKey = Self.logKey(
                change.stamp.encoded, change.collection, change.recordId, change.field, change.target.element ?? "")
            // The hub says it holds another node's write only to a device that may read its
            // record: an acknowledgement of a guessed value under a guessed stamp would confirm it.
            let mayConfirm = try !relayed || HubPushRules.mayRead(change, device: device, state: state, lookups: reads.lookups)
            // Another value under a stamp held already, relayed: two databases wrote under one
            // identity at the same instant, and the hub heard of one first (see `HubRules`).
            var clash = false
            if mayConfirm, let held = received[logKey], relayed || change.stamp.node.rawValue == device.nodeId {
                // Held already (a retry, or twice in this batch): acknowledged again, whatever
                // has changed since — even the activity's post.
                guard held == signature(change.op) || relayed else { throw identityConflict(device) }
                // A relayed removal is merged again: two copies may have removed under one
                // stamp having seen different tags (merging a removal twice changes nothing).
                let removal = if case .remove = change.op { true } else { false }
                clash = (held != signature(change.op) || (relayed && removal)) && change.collection == ActivityFields.collection
                if !clash {
                    result.accepted.append(change.stamp)
                    if let id = heldIDs[logKey] { result.heldIDs.append(id) }
                    continue
                }
            }
            if let (code, message) = try relayed
                ? HubPushRules.relayRefusal(
                    change, device: device, state: state, claimed: claimed, now: now, lookups: reads.lookups)
                : HubPushRules.refusal(
                    change, device: device, state: state, claimed: claimed, now: ownNow, lookups: reads.lookups)
            {
                // The hub's value goes back only to a device that may read it, or that wrote it
                // itself (an activity moved away since: the device returns to its own value, which
                // it re-sends if the hub later loses it, and learns nothing new).
                let held: Register? = if case .set = change.op { state.registers[change.field] } else { nil }
                let readable =
                    try held != nil
                    && (held?.stamp.node.rawValue == device.nodeId
                        || HubPushRules.mayRead(change, device: device, state: state, lookups: reads.lookups))
                let current = readable ? held : nil
                result.rejected.append(.init(stamp: change.stamp, code: code, message: message, current: current))
                continue
            }
            if !relayed {
                if let highWater = reads.highWater, change.stamp <= highWater { throw identityConflict(device) }
                newHighWater = max(newHighWater ?? change.stamp, change.stamp)
            }
            let heldBefore = received[logKey]
            received[logKey] = signature(change.op)
            clock.observe(change.stamp, physicalMs: now)
            // Other fields written since the author's cursor matter only to a delete.
            let writtenSince =
                change.field == HubRules.deletedField
                ? state.registers.filter { $0.key != HubRules.deletedField && $0.value.seq > change.seen }.map(\.value) : []
            let view = HubRules.View(
                current: state.registers[change.field], deleted: state.registers[HubRules.deletedField],
                writtenSince: writtenSince)
            var conflicts = change.collection == ActivityFields.collection ? HubRules.conflicts(for: change, in: view) : []
            if clash, let held = heldBefore.flatMap(heldValue), let conflict = HubRules.sameStampConflict(change, held: held),
                !conflicts.contains(where: { $0.id == conflict.id })
            {
                conflicts.append(conflict)
            }
            let old = state.registers[change.field]?.value
            let applied = try writer.apply(change)
            if !clash {  // a clash's other value lives in its conflict: the log holds one entry per stamp
                log.append(LogEntry(change: change, old: old, applied: applied))
                heldIDs[logKey] = nil
            }
            for var conflict in conflicts {
                let conflictKey = MemoryReplica.RecordKey(collection: ConflictRecord.collection, recordId: conflict.id)
                guard try writer.state(conflictKey).registers.isEmpty else { continue }
                // People read conflicts: each side names the device that wrote it.
                conflict.current.by = try reads.lookups.author(conflict.current.author)?.name
                conflict.other.by = try reads.lookups.author(conflict.other.author)?.name
                for c in HubRules.recordChanges(for: conflict, stamp: { clock.tick(physicalMs: now) }) {
                    try writer.apply(c)
                }
                result.conflictsRaised += 1
            }
            result.accepted.append(change.stamp)
            result.newlyAccepted += 1
        }
        return Outcome(result: result, log: log, newHighWater: newHighWater == reads.highWater ? nil : newHighWater)
    }

    public static func identityConflict(_ device: DeviceRecord) -> StoreError {
        StoreError(
            .identityConflict,
            "another database is using this device's identity (\(device.id)), e.g. a copy restored onto a second tablet; "
                + "this copy takes a new identity and sends its changes again (the app does it by itself)")
    }

    /// A change's key in the change log: stamp, collection, record, field, element.
    public static func logKey(_ stamp: String, _ collection: String, _ record: String, _ field: String, _ element: String)
        -> String
    {
        [stamp, collection, record, field, element].joined(separator: "\u{1F}")
    }

    /// What a change wrote, to tell a retried change from another one with the same stamp.
    public static func signature(_ op: Change.Op) -> String { signature(op: opName(op), newValue: newValue(op)) }

    /// The signature of a change-log entry, from its `op` and `new_value` columns.
    public static func signature(op: String, newValue: String?) -> String { op + ":" + (newValue ?? "") }

    /// The value a held `set` wrote, read back from its signature.
    static func heldValue(_ signature: String) -> FieldValue? {
        guard signature.hasPrefix("set:") else { return nil }
        return try? JSONDecoder().decode(FieldValue.self, from: Data(signature.dropFirst(4).utf8))
    }

    /// The change log's `op` column.
    public static func opName(_ op: Change.Op) -> String {
        switch op {
        case .set: "set"
        case .add: "add"
        case .remove: "remove"
        }
    }

    /// The change log's `new_value` column: a set's value as JSON.
    public static func newValue(_ op: Change.Op) -> String? { if case .set(let v) = op { v.jsonText } else { nil } }

    /// The change log's `observed` column: the tags a removal observed, as a JSON array.
    public static func observed(_ op: Change.Op) -> String? {
        if case .remove(_, let tags) = op {
            "[" + tags.map { "\"" + $0.encoded + "\"" }.joined(separator: ",") + "]"
        } else {
            nil
        }
    }
}
