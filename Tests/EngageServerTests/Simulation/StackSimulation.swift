import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageServer
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation

/// A deterministic simulation of the shipped stack: real `DeviceStore`s and the real
/// `HubStore` on SQLite files, the real `Synchronizer` and `SyncClient` over a transport into
/// the real request handlers, with faults injected at every step. `run` returns every
/// property violated after quiescence (empty when all hold); the seed replays it.
final class StackSimulation: @unchecked Sendable {
    // @unchecked: driven by one task at a time; the network it shares locks itself.
    struct Device {
        var name: String
        var path: String
        var store: DeviceStore
        var clock: SimClock
        var skewMs: Int64
        var role: DeviceRecord.Role
        var post: String
        var revoked = false
        /// The latest value this device's person typed for each field (or element), from its outbox.
        var typed: [String: Change] = [:]
        var seenOutbox: Int64 = 0
    }

    let seed: UInt64
    var rng: SeededRandom
    let folder: String
    let hubClock: SimClock
    let hub: any SimulationHub
    let network: FaultyNetwork
    var devices: [Device] = []
    var nowMs: Int64 = 1_767_225_600_000  // 2026-01-01
    /// How far the hub's clock runs ahead of true time: set 20–30 minutes ahead, then back to 0
    /// (an NTP correction stepping it back under the devices' feet).
    var hubSkewMs: Int64 = 0
    /// The latest the hub's clock ever read: no stamp at the hub may lie beyond it and the bound.
    var hubClockHigh: Int64 = 0
    var ids: [String] = []
    var backup: String?
    let transport: @Sendable (_ device: String) -> any Transport
    var log: [String] = []
    /// Properties broken during the schedule (checked at the end with the others).
    var violations: [String] = []
    /// The enrolled attacker, when the schedule has one (`StackSimulation+Adversary`).
    var adversary: Adversary?
    /// Node ids that are one device's history: a database that took a new identity keeps its author.
    var lineage: [String: String] = [:]

    func author(_ node: String) -> String { lineage[node].map(author) ?? node }

    /// Notes a device's node id, linking it to the one it had before.
    func track(_ d: Int, from old: NodeID) throws {
        let now = try devices[d].store.nodeID()
        if now != old { lineage[now.rawValue] = old.rawValue }
    }
    static let posts = ["LIMA", "CUSCO"]

    init(
        seed: UInt64, folder: String, hub: any SimulationHub, hubClock: SimClock, network: FaultyNetwork,
        transport: @escaping @Sendable (String) -> any Transport
    ) {
        self.seed = seed
        rng = SeededRandom(seed: seed)
        self.folder = folder
        self.hub = hub
        self.hubClock = hubClock
        self.network = network
        self.transport = transport
    }

    // MARK: - Schedule

    func run(steps: ClosedRange<Int>) async throws -> [String] {
        let count = Int.random(in: 2...4, using: &rng)
        network.setLoss(before: 0, after: 0)
        for i in 0..<count { try await addDevice(role: .advisor, post: Self.posts[i % 2 == 0 || count == 2 ? 0 : 1]) }
        try await addDevice(role: .hq, post: "HQ")
        try await enrollAdversary()
        // An administrator's bulk load: the hub's own writes, pulled in the order they were made.
        _ = try await hub.importActivities(
            (0..<Int.random(in: 0...4, using: &rng)).map { i in newActivity(post: Self.posts[i % 2]) })
        let trace = ProcessInfo.processInfo.environment["ENGAGE_TRACE"]
        for _ in 0..<Int.random(in: steps, using: &rng) {
            try await step()
            if let trace { try self.trace(record: trace) }
        }
        try await quiesce()
        return try await check()
    }

    func step() async throws {
        nowMs += Int64.random(in: 1...600_000, using: &rng)
        hubClock.set(nowMs + hubSkewMs)
        hubClockHigh = max(hubClockHigh, nowMs + hubSkewMs)
        for d in devices.indices { devices[d].clock.set(nowMs + devices[d].skewMs) }
        if rng.chance(0.15) { try await adversaryStep() }
        let d = Int.random(in: 0..<devices.count, using: &rng)
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<45: try localOperation(d)
        case 45..<80: await sync(d, faulty: true)
        case 80..<83:
            try await hub.restart()
            note("hub restarted")
        case 83..<86:
            backup = folder + "/backup-\(nowMs).sqlite"
            try await hub.backup(to: backup!)
        case 86..<88:
            if let backup {
                try await hub.restore(from: backup)
                network.noteRestore()
                note("hub restored from \(backup)")
            }
        case 88..<91: try copyDevice(d)
        case 91..<94:
            if !devices[d].revoked, let id = try devices[d].store.enrollment()?.deviceId {
                do { try await hub.revoke(deviceId: id) } catch { guard error.code == .notFound else { throw error } }  // unknown to a restored hub
                // Copies of its database hold the same credentials: revoked with it.
                for other in devices.indices where try devices[other].store.enrollment()?.deviceId == id {
                    devices[other].revoked = true
                }
                note("device \(d) revoked")
            }
        case 94..<97:
            // Re-enrolment on the device's own database, over the faulty network: may fail, and is tried again later.
            if devices[d].revoked {
                do { try await enroll(d) } catch is ClientError { note("re-enrolment of device \(d) failed") }
            }
        case 97 where rng.chance(0.5):
            // The hub's clock runs ahead, or is stepped back to true time (an NTP correction).
            hubSkewMs = hubSkewMs == 0 ? Int64.random(in: 20...30, using: &rng) * 60_000 : 0
            hubClock.set(nowMs + hubSkewMs)
            hubClockHigh = max(hubClockHigh, nowMs + hubSkewMs)
            note("hub clock \(hubSkewMs / 60_000) minutes ahead")
        default:
            // The device's clock jumps: years ahead, back, or to roughly right.
            let year: Int64 = 365 * 86_400_000
            devices[d].skewMs = [
                Int64.random(in: 1...3, using: &rng) * year, -Int64.random(in: 1...3, using: &rng) * year,
                Int64.random(in: -600_000...600_000, using: &rng),
            ].randomElement(using: &rng)!
            note("device \(d) clock skew \(devices[d].skewMs / 86_400_000) days")
        }
    }

    func note(_ text: String) { log.append(text) }

    /// With `ENGAGE_TRACE=PREFIX` on a replay: the state and pending changes of the record whose
    /// id starts with PREFIX on every device, after every step.
    func trace(record prefix: String) throws {
        for (i, device) in devices.enumerated() {
            let state = try device.store.replicatedRecords().first { $0.key.hasPrefix(ActivityFields.collection + "/" + prefix) }?
                .value
            let pending = try device.store.pendingChanges().filter { $0.change.recordId.hasPrefix(prefix) }.map {
                "\($0.change.field) \($0.change.op)@\($0.change.stamp)"
            }
            note("  trace device \(i) node \(try device.store.nodeID()): \(state.map(Self.normalized) ?? [:]) pending \(pending)")
        }
    }

    // MARK: - Devices

    func addDevice(role: DeviceRecord.Role, post: String) async throws {
        let index = devices.count
        let path = folder + "/device-\(index).sqlite"
        let week: Int64 = 7 * 86_400_000
        let skew = Int64.random(in: -week...week, using: &rng)
        let clock = SimClock(nowMs + skew)
        devices.append(
            Device(
                name: "device-\(index)", path: path, store: try DeviceStore(path: path, physicalMs: clock.now),
                clock: clock, skewMs: skew, role: role, post: post))
        try await enroll(index)
    }

    func enroll(_ d: Int) async throws {
        let code = try await Administration.createEnrolment(
            store: hub, name: devices[d].name, post: devices[d].post, role: devices[d].role,
            environment: ServerEnvironment(now: hubClock.now, draw: ServerEnvironment.systemDraw)
        ).code
        let client = SyncClient(transport: transport(devices[d].name), token: nil, now: devices[d].clock.now)
        let before = (
            try devices[d].store.hubGeneration(), try devices[d].store.nodeID(), try devices[d].store.pendingChanges().count
        )
        // A lost answer is retried at once, or not (then the schedule enrols again later).
        _ = try await Synchronizer.enroll(
            store: devices[d].store, client: client, serverURL: "http://sim", code: code,
            retryDelays: Array(repeating: .zero, count: Int.random(in: 0...2, using: &rng)))
        try track(d, from: before.1)
        devices[d].revoked = false
        note(
            "device \(d) enrolled: generation \(before.0?.prefix(8) ?? "-") → \(try devices[d].store.hubGeneration()?.prefix(8) ?? "-"), "
                + "node \(before.1) → \(try devices[d].store.nodeID()), pending \(before.2) → \(try devices[d].store.pendingChanges().count)"
        )
    }

    /// The device's database copied onto another tablet (a backup restored): same identity.
    func copyDevice(_ d: Int) throws {
        guard devices.count < 6 else { return }
        let path = folder + "/device-\(devices.count).sqlite"
        try devices[d].store.backup(to: path)
        var copy = devices[d]
        copy.name = "device-\(devices.count)"
        copy.path = path
        copy.clock = SimClock(nowMs + copy.skewMs)
        copy.store = try DeviceStore(path: path, physicalMs: copy.clock.now)
        copy.typed = [:]
        copy.seenOutbox = devices[d].seenOutbox
        devices.append(copy)
        note("device \(d) copied to \(copy.name)")
        // Often the two tablets edit the same field at once: identical clock readings.
        let c = devices.count - 1
        if devices[d].role == .advisor, rng.chance(0.5),
            let a = try devices[d].store.activities().first(where: { $0.post == devices[d].post })
        {
            for (device, text) in [(d, "from the original"), (c, "from the copy")] {
                try devices[device].store.edit(a.id) { $0.notes = text }
                try noteTyped(device)
            }
        }
    }

    func sync(_ d: Int, faulty: Bool) async {
        guard let e = try? devices[d].store.enrollment() else { return }
        network.setLoss(before: faulty ? 0.1 : 0, after: faulty ? 0.1 : 0)
        var sync = Synchronizer(
            store: devices[d].store,
            client: SyncClient(transport: transport(devices[d].name), token: e.token, now: devices[d].clock.now))
        let node = try? devices[d].store.nodeID()
        defer { if let node { try? track(d, from: node) } }
        // Retries within one sync, without waiting (simulated time does not pass); or none, so
        // that a failure ends the sync and the next one resumes.
        sync.retryDelays = Array(repeating: .zero, count: Int.random(in: 0...2, using: &rng))
        // Small pages at quiescence too: every page must make progress, whatever its size.
        if !faulty { sync.pullLimit = Int.random(in: 1...60, using: &rng) }
        if faulty {
            sync.pushChunk = Int.random(in: 1...40, using: &rng)
            sync.pushMaxBytes = Int.random(in: 500...20_000, using: &rng)
            sync.pullLimit = Int.random(in: 1...60, using: &rng)
            // The link drops after a few pages: the device holds some records in part.
            if rng.chance(0.3) { sync.maxPages = Int.random(in: 1...4, using: &rng) }
        }
        do {
            let r = try await sync.sync()
            note(
                "sync \(d)\(faulty ? "~" : ""): pushed \(r.pushed) pulled \(r.pulled) rejected \(r.rejected.map(\.code))"
                    + (r.startedOver ? " STARTED OVER" : "") + (r.newDeviceId.map { " NEW ID \($0)" } ?? ""))
        } catch {
            note(
                "sync \(d)\(faulty ? "~" : "") failed (pending \((try? devices[d].store.pendingChanges().count) ?? -1)): \(error)"
            )
            // A hub restored from a backup older than this enrolment does not know the token:
            // the administrator gives the device a new code.
            if case ClientError.server(401, "invalid_token", _) = error { devices[d].revoked = true }
            // Revoking a device revokes its whole lineage (copies that took identities of their
            // own, and the enrolment they came from): each is given a new code the same way.
            if case ClientError.server(401, "device_revoked", _) = error { devices[d].revoked = true }
        }
        // A sync may queue again what the hub lost; that is not typing.
        devices[d].seenOutbox = max(devices[d].seenOutbox, (try? devices[d].store.pendingChanges().last?.seq) ?? 0)
    }

    /// Stops the faults, re-enrols revoked devices and syncs everyone until nothing moves.
    func quiesce() async throws {
        network.setLoss(before: 0, after: 0)
        for _ in 0..<3 {
            for d in devices.indices {
                if devices[d].revoked { try await enroll(d) }
                await sync(d, faulty: false)
            }
        }
    }

    // MARK: - Local operations

    func localOperation(_ d: Int) throws {
        let store = devices[d].store
        let all = try store.activities(ActivityFilter(includeDeleted: true))
        let mine = all.filter { devices[d].role == .hq || $0.post == devices[d].post }
        let choice = Int.random(in: 0..<100, using: &rng)
        do {
            if devices[d].role == .hq {
                guard let a = mine.randomElement(using: &rng) else { return }
                if choice < 70 {
                    try store.edit(a.id) { $0.post = a.post == "LIMA" ? "CUSCO" : "LIMA" }  // headquarters moves it
                } else {
                    try store.edit(a.id) { $0.notes = "HQ note \(choice)" }  // refused by the hub
                }
            } else if choice < 15 || mine.isEmpty {
                try store.log(newActivity(post: devices[d].post))
            } else if choice < 20 {
                let batch = (0..<Int.random(in: 2...4, using: &rng)).map { _ in newActivity(post: devices[d].post) }
                _ = try store.importActivities(batch)
            } else if choice < 28, let open = try store.conflicts().randomElement(using: &rng) {
                _ = try store.resolve(conflict: open.id, rng.chance(0.5) ? .keepOther : .keepCurrent)
            } else if let a = mine.randomElement(using: &rng) {
                if a.deleted {
                    try store.restore(a.id)
                } else {
                    var edited = a
                    try edit(&edited)
                    let before = try store.pendingChanges().last?.seq ?? 0
                    try store.edit(a.id) { $0 = edited }
                    // A device pushes only what its person changed, whatever it has not pulled yet.
                    let shown = ActivityFields.scalarValues(a)
                    let now = ActivityFields.scalarValues(edited)
                    let shownSets = ActivityFields.setValues(a)
                    let nowSets = ActivityFields.setValues(edited)
                    let changed = Set(
                        now.keys.filter { now[$0] != shown[$0] } + nowSets.keys.filter { nowSets[$0] != shownSets[$0] })
                    for p in try store.pendingChanges(after: before) where !changed.contains(p.change.field) {
                        violations.append(
                            "device \(d) queued \(p.change.field) of \(p.change.recordId.prefix(8)), which its person did not change"
                        )
                    }
                }
            }
        } catch is ModelError {
            // A person's edit the model refuses changes nothing.
        } catch let error as StoreError {
            guard [.deleted, .invalid, .outOfScope].contains(error.code) else { throw error }
        }
        try noteTyped(d)
    }

    func edit(_ a: inout Activity) throws(ModelError) {
        switch Int.random(in: 0..<12, using: &rng) {
        case 0: a.title = pick(Self.titles)
        case 1: a.notes = pick(["", "seized", "postponed", "report sent", "ñandú — 24 officers ✓"])
        case 2: a.status = pick([.planned, .completed, .cancelled])
        case 3: a.participants = pick([nil, 5, 12, 30])
        case 4: a.country = try Country(pick(["PE", "CL", "TZ", "KE"]))
        case 5: a.partners.insert(pick(Self.partners))
        case 6: if let p = a.partners.randomElement(using: &rng) { a.partners.remove(p) }
        case 7:
            if rng.chance(0.5) {
                a.goals.insert(pick(StrategicGoal.allCases))
            } else if let g = a.goals.first {
                a.goals.remove(g)
            }
        case 8: a.location = pick([nil, "Callao", "Arusha"])
        case 9: a.post = a.post == "LIMA" ? "CUSCO" : "LIMA"  // advisors may not move activities: refused
        default: a.deleted = true
        }
    }

    func newActivity(post: String) -> Activity {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let id = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        var a = Activity(
            id: id, kind: .training, title: pick(Self.titles), country: try! Country(pick(["PE", "CL", "TZ"])),
            post: post, startDate: try! Day("2026-01-01"))
        a.partners = [pick(Self.partners), pick(Self.partners)]
        a.goals = [pick(StrategicGoal.allCases), pick(StrategicGoal.allCases)]
        return a
    }

    /// Notes what the person typed: the outbox entries the last operation queued.
    /// Entries re-queued by a start-over (relays of others' writes, the device's own under an
    /// earlier identity) were not typed now: only writes stamped by the device's current node count.
    func noteTyped(_ d: Int) throws {
        let node = try devices[d].store.nodeID()
        for p in try devices[d].store.pendingChanges(after: devices[d].seenOutbox) {
            if p.change.stamp.node == node { devices[d].typed[Self.key(p.change)] = p.change }
            devices[d].seenOutbox = max(devices[d].seenOutbox, p.seq)
        }
    }

    static func key(_ c: Change) -> String { [c.collection, c.recordId, c.field, c.target.element ?? ""].joined(separator: "|") }

    func pick<T>(_ options: [T]) -> T { options.randomElement(using: &rng)! }

    static let titles = ["Canine training", "Port security course", "Targeting workshop", "Joint seizure operation"]
    static let partners = ["SUNAT", "SNA", "TRA", "WCO", "New Agency"]
}
