import EngageCore
import EngageModel
import Foundation

/// A replica held in memory that merges through the same core as the SQLite store.
/// The property tests run many of them against a `MemoryHub`.
public struct MemoryReplica: Sendable {
    public struct Key: Hashable, Sendable, Comparable {
        public var collection: String
        public var recordId: String
        public static func < (a: Key, b: Key) -> Bool { (a.collection, a.recordId) < (b.collection, b.recordId) }
    }

    public var clock: HybridClock
    public var records: [Key: RecordState] = [:]
    public var seq: Int64 = 0

    public init(node: NodeID) { clock = HybridClock(node: node) }

    public func state(_ collection: String, _ id: String) -> RecordState {
        records[Key(collection: collection, recordId: id)] ?? RecordState()
    }

    /// Merges one change; returns whether state changed. Every register and tag it writes
    /// gets the next sequence number (the hub's sequence is the sync cursor).
    @discardableResult
    public mutating func apply(_ change: Change) -> Bool {
        let key = Key(collection: change.collection, recordId: change.recordId)
        var state = records[key] ?? RecordState()
        switch change.op {
        case .set(let value):
            guard var register = Merge.register(state.registers[change.field], value, stamp: change.stamp) else { return false }
            seq += 1
            register.seq = seq
            state.registers[change.field] = register
        case .add(let element), .remove(let element, _):
            let tags = state.tags[change.field]?[element] ?? []
            guard let merged = Merge.element(tags, change.op, stamp: change.stamp) else { return false }
            seq += 1
            state.tags[change.field, default: [:]][element] = merged
            tagSeq[TagKey(key: key, field: change.field, element: element)] = seq
        }
        records[key] = state
        return true
    }

    struct TagKey: Hashable, Sendable {
        var key: Key
        var field: String
        var element: String
    }
    private var tagSeq: [TagKey: Int64] = [:]

    /// The latest state of everything written after `cursor`, as changes (what a pull returns).
    public func changes(after cursor: Int64) -> [Change] {
        var out: [Change] = []
        for (key, state) in records.sorted(by: { $0.key < $1.key }) {
            for (field, r) in state.registers.sorted(by: { $0.key < $1.key }) where r.seq > cursor {
                out.append(Change(collection: key.collection, recordId: key.recordId, field: field, op: .set(r.value), stamp: r.stamp))
            }
            for (field, elements) in state.tags.sorted(by: { $0.key < $1.key }) {
                for (element, tags) in elements.sorted(by: { $0.key < $1.key })
                where (tagSeq[TagKey(key: key, field: field, element: element)] ?? 0) > cursor {
                    for t in tags.sorted(by: { $0.tag < $1.tag }) {
                        out.append(Change(collection: key.collection, recordId: key.recordId, field: field, op: .add(element), stamp: t.tag))
                        if let removed = t.removed {
                            out.append(Change(collection: key.collection, recordId: key.recordId, field: field,
                                              op: .remove(element, observed: [t.tag]), stamp: removed))
                        }
                    }
                }
            }
        }
        return out
    }

    /// Replicated state without sequence numbers, for comparing replicas.
    public var comparable: [Key: RecordState] {
        records.mapValues { s in
            RecordState(registers: s.registers.mapValues { Register(value: $0.value, stamp: $0.stamp) }, tags: s.tags.mapValues {
                $0.mapValues { $0.sorted { $0.tag < $1.tag } }
            })
        }
    }

    public func activity(_ id: String) -> Activity? {
        let s = state(ActivityFields.collection, id)
        return try? ActivityFields.activity(id: id, scalars: s.scalarValues, sets: s.setValues)
    }

    /// Open conflicts: (id, body, resolved-flag stamp).
    public var openConflicts: [(id: String, conflict: Conflict, resolvedStamp: HLC?)] {
        records.filter { $0.key.collection == ConflictRecord.collection }.sorted { $0.key < $1.key }.compactMap { key, s in
            guard s.registers[ConflictRecord.resolvedField]?.value == .bool(false),
                let body = s.registers[ConflictRecord.bodyField]?.value.stringValue,
                let c = try? JSONDecoder().decode(Conflict.self, from: Data(body.utf8))
            else { return nil }
            return (key.recordId, c, s.registers[ConflictRecord.resolvedField]?.stamp)
        }
    }
}
