import EngageCore
import EngageModel
import Foundation

/// A random schedule of offline edits and syncs among 2–5 devices and a hub, with pushes and
/// pulls duplicated, reordered and dropped (then retried), and device clocks skewed by up to
/// ±7 days. `run(seed:)` returns what went wrong, if anything; the seed replays it exactly.
public struct Simulation {
    public struct Device {
        public var replica: MemoryReplica
        public var outbox: [Change] = []
        public var cursor: Int64 = 0
        public var skewMs: Int64
    }

    enum Message {
        case push(device: Int, changes: [Change], snapshot: [Snapshot])
        case ack(device: Int, stamps: [HLC], serverMs: Int64)
        case pullRequest(device: Int, cursor: Int64)
        case pullResponse(device: Int, changes: [Change], cursor: Int64, serverMs: Int64)
    }

    /// A value a device held when its push reached the hub.
    struct Snapshot {
        var key: FieldKey
        var value: FieldValue
        var stamp: HLC
    }

    public private(set) var hub = MemoryHub()
    public private(set) var devices: [Device] = []
    var rng: SeededRandom
    var network: [Message] = []
    var nowMs: Int64 = 1_767_225_600_000  // 2026-01-01
    var synced: [Snapshot] = []
    var ids: [String] = []
    public private(set) var operations = 0

    public init(seed: UInt64) {
        rng = SeededRandom(seed: seed)
        let count = Int.random(in: 2...5, using: &rng)
        let week: Int64 = 7 * 24 * 3_600_000
        devices = (0..<count).map { i in
            Device(replica: MemoryReplica(node: NodeID("device-\(i)")!), skewMs: Int64.random(in: -week...week, using: &rng))
        }
    }

    /// Runs a schedule to quiescence and returns every violated property (empty when all hold).
    public static func run(seed: UInt64, steps: ClosedRange<Int> = 20...70) -> [String] {
        var sim = Simulation(seed: seed)
        let count = Int.random(in: steps, using: &sim.rng)
        for _ in 0..<count { sim.step() }
        sim.quiesce()
        return sim.check()
    }

    mutating func step() {
        nowMs += Int64.random(in: 1...120_000, using: &rng)
        let d = Int.random(in: 0..<devices.count, using: &rng)
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<45: localOperation(d)
        case 45..<60: sendPush(d)
        case 60..<72: network.append(.pullRequest(device: d, cursor: devices[d].cursor))
        default: deliverOne()
        }
    }

    // MARK: - Devices

    mutating func physical(_ d: Int) -> Int64 { nowMs + devices[d].skewMs }

    mutating func localOperation(_ d: Int) {
        operations += 1
        let live = ids.filter { devices[d].replica.activity($0).map { !$0.deleted } ?? false }
        let deleted = ids.filter { devices[d].replica.activity($0)?.deleted ?? false }
        let choice = Int.random(in: 0..<100, using: &rng)
        if choice < 15 || live.isEmpty && deleted.isEmpty {
            let id = UUID(uuidString: String(format: "00000000-0000-4000-8000-%012x", ids.count))!
            ids.append(id.uuidString.lowercased())
            var a = Activity(id: id, kind: .training, title: pick(Self.titles), country: try! Country(pick(["PE", "CL", "TZ"])),
                             post: "LIMA", startDate: try! Day("2026-01-01"))
            a.partners = [pick(Self.partners)]
            localWrite(d, a)
        } else if choice < 22, let id = deleted.randomElement(using: &rng) {
            var a = devices[d].replica.activity(id)!
            a.deleted = false
            localWrite(d, a)
        } else if choice < 30, let open = devices[d].replica.openConflicts.randomElement(using: &rng) {
            let value = rng.chance(0.5) ? open.conflict.other.value
                : devices[d].replica.state(open.conflict.collection, open.conflict.recordId).registers[open.conflict.field]?.value ?? .null
            let siblings = devices[d].replica.openConflicts.filter {
                $0.conflict.recordId == open.conflict.recordId && $0.conflict.field == open.conflict.field
            }
            let record = devices[d].replica.state(open.conflict.collection, open.conflict.recordId)
            let changes = Settle.changes(
                collection: open.conflict.collection, recordId: open.conflict.recordId, field: open.conflict.field,
                value: value, record: record, openConflicts: siblings.map { ($0.id, $0.resolvedStamp) },
                clock: &devices[d].replica.clock, physicalMs: physical(d), seen: devices[d].cursor)
            for c in changes { devices[d].replica.apply(c) }
            devices[d].outbox += changes
        } else if let id = live.randomElement(using: &rng) {
            var a = devices[d].replica.activity(id)!
            switch Int.random(in: 0..<9, using: &rng) {
            case 0: a.title = pick(Self.titles)
            case 1: a.notes = pick(["", "seized", "postponed", "report sent"])
            case 2: a.status = pick([.planned, .completed, .cancelled])
            case 3: a.participants = pick([nil, 5, 12, 30])
            case 4: a.country = try! Country(pick(["PE", "CL", "TZ", "KE"]))
            case 5: a.partners.insert(pick(Self.partners))
            case 6: if let p = a.partners.randomElement(using: &rng) { a.partners.remove(p) }
            case 7: if rng.chance(0.5) { a.goals.insert(pick(StrategicGoal.allCases)) } else if let g = a.goals.first { a.goals.remove(g) }
            default: a.deleted = true
            }
            localWrite(d, a)
        }
    }

    mutating func localWrite(_ d: Int, _ a: Activity) {
        let state = devices[d].replica.state(ActivityFields.collection, a.id.uuidString.lowercased())
        let changes = LocalEdit.changes(from: state, to: a, clock: &devices[d].replica.clock, physicalMs: physical(d),
                                        seen: devices[d].cursor)
        for c in changes { devices[d].replica.apply(c) }
        devices[d].outbox += changes
    }

    mutating func sendPush(_ d: Int) {
        guard !devices[d].outbox.isEmpty else { return }
        let snapshot = devices[d].replica.records.filter { $0.key.collection == ActivityFields.collection }.flatMap { key, s in
            s.registers.map { Snapshot(key: FieldKey(collection: key.collection, recordId: key.recordId, field: $0.key),
                                       value: $0.value.value, stamp: $0.value.stamp) }
        }
        network.append(.push(device: d, changes: Outbox.coalesce(devices[d].outbox), snapshot: snapshot))
    }

    mutating func receive(_ message: Message) {
        switch message {
        case .push(let d, let changes, let snapshot):
            synced += snapshot
            let acked = hub.push(changes, physicalMs: nowMs)
            network.append(.ack(device: d, stamps: acked, serverMs: nowMs))
        case .ack(let d, let stamps, let serverMs):
            devices[d].replica.clock.learnServerTime(serverMs: serverMs, sentMs: physical(d), receivedMs: physical(d))
            let acked = Set(stamps)
            // A coalesced write acknowledges the earlier writes of the same field it folded in.
            var latestAcked: [FieldKey: HLC] = [:]
            for change in devices[d].outbox where acked.contains(change.stamp) {
                latestAcked[change.target] = max(latestAcked[change.target] ?? change.stamp, change.stamp)
            }
            devices[d].outbox.removeAll { change in
                if acked.contains(change.stamp) { return true }
                guard case .set = change.op, let latest = latestAcked[change.target] else { return false }
                return change.stamp < latest
            }
        case .pullRequest(let d, let cursor):
            let page = hub.pull(after: cursor)
            network.append(.pullResponse(device: d, changes: page.changes, cursor: page.cursor, serverMs: nowMs))
        case .pullResponse(let d, let changes, let cursor, let serverMs):
            devices[d].replica.clock.learnServerTime(serverMs: serverMs, sentMs: physical(d), receivedMs: physical(d))
            if let latest = changes.map(\.stamp).max() { devices[d].replica.clock.observe(latest, physicalMs: physical(d)) }
            for c in changes { devices[d].replica.apply(c) }
            devices[d].cursor = max(devices[d].cursor, cursor)
        }
    }

    /// Delivers one message in random order; some are dropped, some duplicated.
    mutating func deliverOne() {
        guard !network.isEmpty else { return }
        let i = Int.random(in: 0..<network.count, using: &rng)
        let message = rng.chance(0.2) ? network[i] : network.remove(at: i)  // 20% duplicated
        if rng.chance(0.15) { return }  // dropped: the sender retries later
        receive(message)
    }

    /// Lets the network drain, then syncs every device reliably until nothing moves.
    mutating func quiesce() {
        while !network.isEmpty { deliverOne() }
        for _ in 0..<2 {
            for d in devices.indices {
                sendPush(d)
                while !network.isEmpty { receive(network.removeFirst()) }
            }
            for d in devices.indices {
                receive(.pullRequest(device: d, cursor: devices[d].cursor))
                while !network.isEmpty { receive(network.removeFirst()) }
            }
        }
    }

    // MARK: - Properties

    func check() -> [String] {
        var failures: [String] = []
        let expected = hub.replica.comparable
        for (i, device) in devices.enumerated() {
            if !device.outbox.isEmpty { failures.append("device \(i) still has \(device.outbox.count) unacknowledged changes") }
            let actual = device.replica.comparable
            if actual != expected {
                let keys = Set(actual.keys).union(expected.keys).filter { actual[$0] != expected[$0] }.sorted()
                failures.append("device \(i) diverges from the hub on \(keys.count) records, first \(keys.first.map { "\($0.collection)/\($0.recordId)" } ?? "?")")
            }
        }
        let conflicts = hub.replica.records.filter { $0.key.collection == ConflictRecord.collection }.compactMap { _, s -> Conflict? in
            guard let body = s.registers[ConflictRecord.bodyField]?.value.stringValue else { return nil }
            return try? JSONDecoder().decode(Conflict.self, from: Data(body.utf8))
        }
        for snap in synced {
            let current = hub.replica.state(snap.key.collection, snap.key.recordId).registers[snap.key.field]?.value
            if current == snap.value { continue }
            let history = hub.history[snap.key] ?? []
            if history.contains(where: { $0.value == snap.value }) { continue }
            if conflicts.contains(where: { c in
                c.recordId == snap.key.recordId && c.field == snap.key.field && (c.current.value == snap.value || c.other.value == snap.value)
            }) { continue }
            // An author overwriting their own unsynced value is not a loss.
            if history.contains(where: { $0.stamp.node == snap.stamp.node && $0.stamp > snap.stamp }) { continue }
            failures.append("value of \(snap.key.recordId.suffix(4))/\(snap.key.field) written at \(snap.stamp) was lost")
        }
        return failures
    }

    mutating func pick<T>(_ options: [T]) -> T { options.randomElement(using: &rng)! }

    static let titles = ["Canine training", "Port security course", "Targeting workshop", "Joint seizure operation"]
    static let partners = ["SUNAT", "SNA", "TRA", "WCO", "New Agency"]
}

extension Simulation {
    /// Runs `count` random steps and quiesces, without checking (for statistics).
    public mutating func runSteps(_ count: Int) {
        for _ in 0..<count { step() }
        quiesce()
    }
}
