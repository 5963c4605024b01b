import EngageCore
import EngageModel

/// The hub of the property tests: merges pushes through the core, raises conflicts with
/// `HubRules`, keeps every applied value in its history and serves pulls by cursor.
public struct MemoryHub: Sendable {
    public var replica = MemoryReplica(node: NodeID("hub")!)
    /// Stamps of every change received (for idempotent pushes).
    public private(set) var received: Set<HLC> = []
    /// Every value ever applied to a scalar field, by field.
    public private(set) var history: [FieldKey: [(stamp: HLC, value: FieldValue)]] = [:]
    public private(set) var conflictsRaised = 0

    public init() {}

    public var cursor: Int64 { replica.seq }

    /// Applies a push; returns the stamps acknowledged (all of them: duplicates are acknowledged again).
    public mutating func push(_ changes: [Change], physicalMs: Int64) -> [HLC] {
        for change in changes where !received.contains(change.stamp) {
            received.insert(change.stamp)
            replica.clock.observe(change.stamp, physicalMs: physicalMs)
            let state = replica.state(change.collection, change.recordId)
            let view = HubRules.View(
                current: state.registers[change.field],
                deleted: state.registers[HubRules.deletedField],
                writtenSince: state.registers.filter { $0.key != HubRules.deletedField && $0.value.seq > change.seen }.map(\.value))
            let conflicts = change.collection == ActivityFields.collection ? HubRules.conflicts(for: change, in: view) : []
            if replica.apply(change), case .set(let value) = change.op {
                history[change.target, default: []].append((change.stamp, value))
            }
            for conflict in conflicts where replica.records[.init(collection: ConflictRecord.collection, recordId: conflict.id)] == nil {
                conflictsRaised += 1
                for c in HubRules.recordChanges(for: conflict, stamp: { replica.clock.tick(physicalMs: physicalMs) }) {
                    replica.apply(c)
                }
            }
        }
        return changes.map(\.stamp)
    }

    public func pull(after cursor: Int64) -> (changes: [Change], cursor: Int64) {
        (replica.changes(after: cursor), replica.seq)
    }
}
