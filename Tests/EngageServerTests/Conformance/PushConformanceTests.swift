import EngageCore
import EngageHubPostgres
import EngageHubSQLite
import EngageModel
import EngageStorage
import EngageTestSupport
import Foundation
import Testing

/// Both hub stores answer every push alike and end alike, seen only through `HubStorage`: on
/// random schedules of four devices (advisors of two posts, headquarters) pushing creations,
/// edits, partner adds and removes, deletions over others' edits, moves between posts, conflict
/// settlements, retries, relays, stamps ahead, reused stamps and invalid values — each push's
/// accepted and refused changes (codes, messages, current values), conflicts, log ids and held
/// receipts; then every device's pull from the start, every activity's history, the HQ listing,
/// the registry and the open conflicts.
@Suite(.enabled(if: HubKind.available.contains(.postgres))) struct PushConformanceTests {
    @Test(arguments: 0..<6) func bothStoresAnswerEveryPushAlike(_ seed: UInt64) async throws {
        let clock = FakeClock()
        let sqlite = SQLiteHub(try HubStore.inMemory(physicalMs: clock.now))
        try await TestHub.with(.postgres, clock: clock) { postgres in
            try await Self.run(seed: seed, clock: clock, hubs: [sqlite, postgres.storage])
        }
    }

    static func run(seed: UInt64, clock: FakeClock, hubs: [any HubStorage]) async throws {
        for hub in hubs { _ = try await hub.importPartners(Array(try BundledData.partners().prefix(6))) }

        var schedule = PushSchedule(seed: seed, clock: clock)
        var devices: [DeviceRecord] = []
        for (i, (post, role)) in [("LIMA", DeviceRecord.Role.advisor), ("LIMA", .advisor), ("CUSCO", .advisor), ("HQ", .hq)]
            .enumerated()
        {
            var made: [DeviceRecord] = []
            for hub in hubs {
                try await hub.createEnrolment(
                    codeHash: "code\(i)", name: "tablet \(i)", post: post, role: role, expiresAt: clock.now() + 3_600_000)
                made.append(
                    try await hub.enroll(
                        codeHash: "code\(i)", deviceId: "device-\(i)", nodeId: "node-\(i)", tokenHash: "token\(i)"))
            }
            #expect(made[0] == made[1])
            devices.append(made[0])
        }
        var answers = 0
        var seenAll = ""
        for step in 0..<60 {
            let (device, batch, relay) = schedule.next(devices)
            var outcomes: [String] = []
            for hub in hubs {
                do {
                    let result = try await hub.push(batch, from: devices[device], relay: relay)
                    outcomes.append(Self.describe(result))
                    if hub is SQLiteHub { schedule.learn(result, batch: batch, device: device) }
                } catch {
                    outcomes.append("threw \(error.code.rawValue): \(error.message)")
                }
            }
            #expect(outcomes[0] == outcomes[1], "seed \(seed) step \(step): a push of \(batch.count) from device \(device)")
            if outcomes[0].hasPrefix("accepted") { answers += 1 }
            seenAll += outcomes[0]
            clock.advance(Int64(schedule.rng.next() % 3_000))
        }
        #expect(answers > 30)
        // The schedule reached what it is for: conflicts raised, refusals, retries held.
        func count(_ text: String) -> Int { seenAll.components(separatedBy: text).count - 1 }
        #expect(count("raised 0") < answers && count("out_of_scope") > 0 && count("held [") > count("held []"), "seed \(seed)")

        // Every device pulls everything it may see, in small pages: the same changes at the same cursors.
        for device in devices {
            var pulled: [[String]] = [[], []]
            for (h, hub) in hubs.enumerated() {
                var cursor: Int64 = 0
                for _ in 0..<1_000 {
                    let page = try await hub.pull(
                        after: cursor, for: device, limit: 5, maxBytes: 1 << 20, own: [], countRemaining: false)
                    pulled[h].append("\(page.cursor): " + page.changes.map { "\($0)" }.joined(separator: "; "))
                    cursor = page.cursor
                    if !page.more { break }
                }
            }
            #expect(pulled[0] == pulled[1], "device \(device.id)'s pull")
            #expect(pulled[0].count > 1)
        }
        let activities = try await hubs.asyncMap { try await $0.activities(after: nil) }
        #expect(activities[0] == activities[1])
        for activity in activities[0] {
            let id = activity.id.uuidString.lowercased()
            let histories = try await hubs.asyncMap { try await $0.history(activityId: id).map { "\($0)" } }
            #expect(histories[0] == histories[1], "history of \(id)")
            let posts = try await hubs.asyncMap { try await $0.post(ofActivity: id) }
            #expect(posts[0] == posts[1])
        }
        let conflicts = try await hubs.asyncMap { try await $0.openConflictCount() }
        #expect(conflicts[0] == conflicts[1])
        let registries = try await hubs.asyncMap { try await $0.partnerRegistry().partners.map { "\($0)" }.sorted() }
        #expect(registries[0] == registries[1])
        let page = try await hubs.asyncMap {
            try await $0.activityPage(
                after: nil, limit: 3, filter: ActivityFilter(post: "LIMA"), matching: { $0.partners.count < 3 }
            ).activities
        }
        #expect(page[0] == page[1])
    }

    static func describe(_ r: PushResult) -> String {
        "accepted \(r.accepted.map(\.encoded)) new \(r.newlyAccepted) raised \(r.conflictsRaised) log \(r.logIDs.map { "\($0)" } ?? "-") held \(r.held) "
            + "rejected \(r.rejected.map { "\($0.stamp.encoded) \($0.code) \($0.message) \($0.current.map { "\($0.value)@\($0.stamp.encoded)" } ?? "-")" }) "
            + "conflicts \(r.conflicts.map { "\($0.id) \($0.activityId) \($0.field)" })"
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

/// Random batches as devices would push them, with the mistakes and repeats the field makes.
struct PushSchedule {
    var rng: SeededRandom
    let clock: FakeClock
    var clocks: [Int: HybridClock] = [:]
    var activities: [(id: String, post: String)] = []
    var tags: [String: [HLC]] = [:]  // activity/partner → add tags seen
    var conflicts: [String] = []
    var sent: [(device: Int, batch: [Change])] = []

    init(seed: UInt64, clock: FakeClock) {
        rng = SeededRandom(seed: seed &+ 101)
        self.clock = clock
    }

    /// The device's next stamp; with `aheadMs`, one from a clock that far ahead, which the
    /// device's own clock does not follow (the hub refuses it, and the device goes on).
    mutating func stamp(_ device: Int, aheadMs: Int64 = 0) -> HLC {
        var c = clocks[device] ?? HybridClock(node: NodeID("node-\(device)")!)
        if aheadMs > 0 { return HLC(wallMs: clock.now() + aheadMs, counter: 0, node: c.node) }
        let s = c.tick(physicalMs: clock.now())
        clocks[device] = c
        return s
    }

    func pick<T>(_ items: [T], _ r: inout SeededRandom) -> T? { items.isEmpty ? nil : items[Int(r.next() % UInt64(items.count))] }

    /// The next push: the device (index), its batch, and whether it is a relay.
    mutating func next(_ devices: [DeviceRecord]) -> (Int, [Change], Bool) {
        let roll = rng.next() % 100
        if roll < 8, let previous = pick(sent, &rng) { return (previous.device, previous.batch, false) }  // a retry
        // Relays: a Lima advisor re-sends its colleague's batch (taken), headquarters an advisor's (refused).
        if roll < 10, let previous = pick(sent.filter { $0.device < 2 }, &rng) {
            return (1 - previous.device, previous.batch, true)
        }
        if roll < 12, let previous = pick(sent.filter { $0.device != 3 }, &rng) { return (3, previous.batch, true) }
        if roll < 15, let previous = pick(sent, &rng), var reused = previous.batch.first {  // a stamp reused with other contents
            reused.op = .set(.string("other \(rng.next() % 1000)"))
            reused.field = "notes"
            return (previous.device, [reused], false)
        }
        let device = Int(rng.next() % 4)
        var batch: [Change] = []
        for _ in 0..<(1 + Int(rng.next() % 5)) { batch += change(device, devices[device]) }
        sent.append((device, batch))
        return (device, batch, false)
    }

    mutating func change(_ d: Int, _ device: DeviceRecord) -> [Change] {
        let roll = rng.next() % 100
        let target = pick(activities, &rng)
        if device.role == .hq {
            guard let target else { return [] }
            if roll < 70 {
                let post = target.post == "LIMA" ? "CUSCO" : "LIMA"
                if let i = activities.firstIndex(where: { $0.id == target.id }) { activities[i].post = post }
                return [
                    Change(
                        collection: ActivityFields.collection, recordId: target.id, field: "post", op: .set(.string(post)),
                        stamp: stamp(d))
                ]
            }
            if roll < 85, let conflict = pick(conflicts, &rng) {
                return [
                    Change(
                        collection: ConflictRecord.collection, recordId: conflict, field: ConflictRecord.resolvedField,
                        op: .set(.bool(true)), stamp: stamp(d))
                ]
            }
            return [
                Change(
                    collection: ActivityFields.collection, recordId: target.id, field: "title", op: .set(.string("HQ edit")),
                    stamp: stamp(d))
            ]
        }
        if roll < 25 || target == nil {
            var a = Activity.sample("Course \(rng.next() % 1000)")
            a.post = device.post
            a.partners = rng.next() % 2 == 0 ? ["SUNAT"] : []
            var c = clocks[d] ?? HybridClock(node: NodeID("node-\(d)")!)
            let changes = LocalEdit.changes(from: RecordState(), to: a, clock: &c, physicalMs: clock.now(), seen: 0)
            clocks[d] = c
            activities.append((a.id.uuidString.lowercased(), a.post))
            return changes
        }
        let id = target!.id
        func set(_ field: String, _ value: FieldValue, seen: Int64 = 1_000_000, aheadMs: Int64 = 0) -> Change {
            Change(
                collection: ActivityFields.collection, recordId: id, field: field, op: .set(value),
                stamp: stamp(d, aheadMs: aheadMs), seen: seen)
        }
        switch roll {
        case 25..<50:
            return [
                set(rng.next() % 2 == 0 ? "notes" : "title", .string("edit \(rng.next() % 1000)"), seen: Int64(rng.next() % 40))
            ]
        case 50..<58: return [set("participants", .int(Int64(rng.next() % 50)))]
        case 58..<68:
            let partner = ["WCO", "SUNAT", "DEVIDA"][Int(rng.next() % 3)]
            let key = id + "/" + partner
            if rng.next() % 2 == 0 || tags[key] == nil {
                let s = stamp(d)
                tags[key, default: []].append(s)
                return [
                    Change(collection: ActivityFields.collection, recordId: id, field: "partners", op: .add(partner), stamp: s)
                ]
            }
            return [
                Change(
                    collection: ActivityFields.collection, recordId: id, field: "partners",
                    op: .remove(partner, observed: tags[key]!), stamp: stamp(d))
            ]
        case 68..<76: return [set("deleted", .bool(true), seen: Int64(rng.next() % 30))]
        case 76..<80: return [set("deleted", .bool(false))]
        case 80..<86:
            guard let conflict = pick(conflicts, &rng) else { return [] }
            return [
                Change(
                    collection: ConflictRecord.collection, recordId: conflict, field: ConflictRecord.resolvedField,
                    op: .set(.bool(true)), stamp: stamp(d))
            ]
        case 86..<90: return [set("notes", .string("from the future"), aheadMs: 3_600_000)]
        case 90..<94: return [set("title", .string(""))]
        case 94..<97: return [set("post", .string(device.post == "LIMA" ? "CUSCO" : "LIMA"))]
        default: return [Change(collection: "nonsense", recordId: id, field: "x", op: .set(.int(1)), stamp: stamp(d))]
        }
    }

    /// What the device learns from an answer: the conflicts it may now settle.
    mutating func learn(_ result: PushResult, batch: [Change], device: Int) {
        for c in result.conflicts where !conflicts.contains(c.id) { conflicts.append(c.id) }
    }
}
