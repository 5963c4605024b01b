import EngageModel
import Foundation

/// The replicated state of one record, as a replica holds it.
public struct RecordState: Sendable, Equatable {
    public var registers: [String: Register]
    /// field → element → tags
    public var tags: [String: [String: [ElementTag]]]

    public init(registers: [String: Register] = [:], tags: [String: [String: [ElementTag]]] = [:]) {
        self.registers = registers
        self.tags = tags
    }

    public var scalarValues: [String: FieldValue] { registers.mapValues(\.value) }

    /// The greatest stamp in the record: of its registers, element tags and removals.
    public var latestStamp: HLC? {
        let tagStamps = tags.values.flatMap { $0.values.flatMap { $0.flatMap { [$0.tag] + ($0.removed.map { [$0] } ?? []) } } }
        return (registers.values.map(\.stamp) + tagStamps).max()
    }

    /// The elements present in each set field.
    public var setValues: [String: Set<String>] {
        tags.mapValues { Set($0.filter { Merge.isPresent($0.value) }.keys) }
    }
}

/// Turns a local edit — the activity before and after — into stamped changes.
///
/// A new record writes every field, its post first. An edit writes only the fields whose value differs from
/// what the person saw: a field whose register has not arrived yet (a record pulled in part)
/// is compared with the value shown for it, so an edit never pushes a value nobody typed —
/// e.g. `deleted = false` over a delete still on its way. Each change gets a fresh stamp.
public enum LocalEdit {
    public static func changes(
        from state: RecordState, to new: Activity, clock: inout HybridClock, physicalMs: Int64, seen: Int64
    ) -> [Change] {
        let id = new.id.uuidString.lowercased()
        var changes: [Change] = []
        func make(_ field: String, _ op: Change.Op, base: HLC?) {
            changes.append(
                Change(
                    collection: ActivityFields.collection, recordId: id, field: field, op: op,
                    stamp: clock.tick(physicalMs: physicalMs), base: base, seen: seen))
        }
        let values = ActivityFields.scalarValues(new)
        let isNew = state.registers.isEmpty && state.tags.isEmpty
        let shown =
            (try? ActivityFields.activity(id: id, scalars: state.scalarValues, sets: state.setValues))
            .map(ActivityFields.scalarValues) ?? [:]
        // A new record stamps its post first: however a push is split into batches, the hub
        // gets a new activity's post before its other fields (it takes none without one).
        let order = isNew ? ["post"] + ActivityFields.scalars.filter { $0 != "post" } : ActivityFields.scalars
        for field in order {
            let value = values[field] ?? .null
            let current = state.registers[field]
            let before = current?.value ?? shown[field]
            if isNew ? value != ActivityFields.defaults[field] : before != value {
                make(field, .set(value), base: current?.stamp)
            }
        }
        let sets = ActivityFields.setValues(new)
        let present = state.setValues
        for field in ActivityFields.sets {
            let before = present[field] ?? []
            let after = sets[field] ?? []
            for element in after.subtracting(before).sorted() { make(field, .add(element), base: nil) }
            for element in before.subtracting(after).sorted() {
                let observed = Merge.liveTags(state.tags[field]?[element] ?? [])
                make(field, .remove(element, observed: observed), base: nil)
            }
        }
        return changes
    }
}
