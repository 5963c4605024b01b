import EngageCore
import EngageModel
import Foundation

/// A hub and named devices in memory, driven step by step by hand-written scenarios.
/// Devices sync the way the real client does: push the coalesced outbox, then pull.
public struct Cluster {
    public var hub = MemoryHub()
    public var devices: [String: MemoryReplica] = [:]
    public var outboxes: [String: [Change]] = [:]
    public var cursors: [String: Int64] = [:]
    /// Raw physical clock of each device, in ms; tests move it.
    public var clocks: [String: Int64] = [:]
    public var hubMs: Int64 = 1_767_225_600_000

    public init(devices names: [String]) {
        for name in names {
            devices[name] = MemoryReplica(node: NodeID(name)!)
            clocks[name] = hubMs
        }
    }

    public func activity(_ device: String, _ id: UUID) -> Activity? { devices[device]!.activity(id.uuidString.lowercased()) }

    /// A local write on `device`: the activity after the edit.
    public mutating func write(_ device: String, _ activity: Activity) {
        let state = devices[device]!.state(ActivityFields.collection, activity.id.uuidString.lowercased())
        let changes = LocalEdit.changes(from: state, to: activity, clock: &devices[device]!.clock,
                                        physicalMs: clocks[device]!, seen: cursors[device] ?? 0)
        for c in changes { devices[device]!.apply(c) }
        outboxes[device, default: []] += changes
    }

    public mutating func edit(_ device: String, _ id: UUID, _ body: (inout Activity) -> Void) {
        var a = activity(device, id)!
        body(&a)
        write(device, a)
    }

    /// Push (returns the changes the hub received), then pull everything.
    @discardableResult
    public mutating func sync(_ device: String) -> [Change] {
        let pushed = push(device)
        pull(device)
        return pushed
    }

    @discardableResult
    public mutating func push(_ device: String) -> [Change] {
        let changes = Outbox.coalesce(outboxes[device] ?? [])
        _ = hub.push(changes, physicalMs: hubMs)
        devices[device]!.clock.learnServerTime(serverMs: hubMs, sentMs: clocks[device]!, receivedMs: clocks[device]!)
        outboxes[device] = []
        return changes
    }

    public mutating func pull(_ device: String) {
        let page = hub.pull(after: cursors[device] ?? 0)
        if let latest = page.changes.map(\.stamp).max() { devices[device]!.clock.observe(latest, physicalMs: clocks[device]!) }
        for c in page.changes { devices[device]!.apply(c) }
        cursors[device] = page.cursor
    }

    /// Settles an open conflict on `device` with `value`.
    public mutating func resolve(_ device: String, conflictID: String, value: FieldValue) {
        let open = devices[device]!.openConflicts
        guard let target = open.first(where: { $0.id == conflictID })?.conflict else { return }
        let siblings = open.filter { $0.conflict.recordId == target.recordId && $0.conflict.field == target.field }
        let changes = Settle.changes(
            collection: target.collection, recordId: target.recordId, field: target.field, value: value,
            record: devices[device]!.state(target.collection, target.recordId), openConflicts: siblings.map { ($0.id, $0.resolvedStamp) },
            clock: &devices[device]!.clock, physicalMs: clocks[device]!, seen: cursors[device] ?? 0)
        for c in changes { devices[device]!.apply(c) }
        outboxes[device, default: []] += changes
    }

    /// Advances every clock (hub and devices) by `ms`.
    public mutating func advance(_ ms: Int64) {
        hubMs += ms
        for k in clocks.keys { clocks[k]! += ms }
    }
}

extension Activity {
    /// A valid activity for tests.
    public static func sample(_ title: String = "Canine training", id: UUID = UUID()) -> Activity {
        Activity(id: id, kind: .training, title: title, country: try! Country("TZ"), location: "Dar es Salaam",
                 post: "DAR-ES-SALAAM", partners: ["TRA"], goals: [.counterThreats], startDate: try! Day("2026-02-10"),
                 endDate: try! Day("2026-02-20"), status: .planned, participants: 12, notes: "", sensitivity: .unclassified)
    }
}
