import EngageClient
import EngageCore
import EngageHubPostgres
import EngageModel
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import Testing

/// Two live `engage-server` processes on one PostgreSQL database, and five devices syncing
/// through both at once — each sync through one server or the other, several at the same
/// moment, editing the same activities and moving them between posts. Every device converges:
/// the advisors of a post hold exactly what headquarters holds of it, headquarters holds exactly
/// what the hub holds, every change a device queued is in the hub's log once or was refused with
/// a reason, and no device has anything left to push.
@Suite(.enabled(if: HubKind.available.contains(.postgres))) struct TwoServersTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples/activities.json").path

    final class Device: @unchecked Sendable {
        // @unchecked: used by one task at a time.
        let name: String, post: String, role: DeviceRecord.Role
        let store: DeviceStore
        var rng: SeededRandom
        /// Every change this device queued, by stamp.
        var queued: [String: Change] = [:]

        init(name: String, post: String, role: DeviceRecord.Role, path: String, seed: UInt64) throws {
            self.name = name
            self.post = post
            self.role = role
            store = try DeviceStore(path: path)
            rng = SeededRandom(seed: seed)
        }

        func sync(through server: ServerProcess) async throws {
            for pending in try store.pendingChanges() { queued[pending.change.stamp.encoded] = pending.change }
            let token = try #require(try store.enrollment()).token
            let client = SyncClient(transport: URLSessionTransport(baseURL: URL(string: server.url)!), token: token, now: { Int64(Date().timeIntervalSince1970 * 1000) })
            var synchronizer = Synchronizer(store: store, client: client)
            synchronizer.retryDelays = [.milliseconds(50), .milliseconds(200)]
            _ = try await synchronizer.sync()
        }

        /// A few edits as a person would make them: notes and participants of a few shared
        /// activities (so devices edit the same fields), partners; headquarters moves activities.
        func edit() throws {
            let activities = try store.activities().filter { role == .hq || $0.post == post }.sorted { $0.id.uuidString < $1.id.uuidString }
            guard !activities.isEmpty else { return }
            for _ in 0..<3 {
                let target = activities[Int(rng.next() % UInt64(min(activities.count, 6)))]
                _ = try store.edit(target.id) { a in
                    switch (role, rng.next() % 3) {
                    case (.hq, _): a.post = a.post == "LIMA" ? "CUSCO" : "LIMA"
                    case (_, 0): a.notes = "\(name) note \(rng.next() % 1000)"
                    case (_, 1): a.participants = Int(rng.next() % 90)
                    default: a.partners.formSymmetricDifference(["WCO"])
                    }
                }
            }
        }
    }

    @Test func devicesSyncingThroughTwoServersAtOnceConverge() async throws {
        let (url, drop) = try await TestHub.freshDatabase()
        let folder = try TemporaryDirectory()
        var servers: [ServerProcess] = []
        do {
            let imported = try Executables.run("engage-server", ["import", Self.samples, "--database-url", url])
            #expect(imported.status == 0, "\(imported.stderr)")
            let plan: [(String, DeviceRecord.Role)] = [("LIMA", .advisor), ("LIMA", .advisor), ("LIMA", .advisor), ("CUSCO", .advisor), ("HQ", .hq)]
            servers = [try ServerProcess(databaseURL: url), try ServerProcess(databaseURL: url)]
            var devices: [Device] = []
            for (i, (post, role)) in plan.enumerated() {
                let code = try Executables.run(
                    "engage-server", ["enroll", "--database-url", url, "--name", "tablet \(i)", "--post", post, "--role", role.rawValue])
                #expect(code.status == 0, "\(code.stderr)")
                let device = try Device(name: "tablet \(i)", post: post, role: role, path: folder.path("d\(i).sqlite"), seed: UInt64(i) + 7)
                _ = try await Synchronizer.enroll(
                    store: device.store, serverURL: servers[i % 2].url, code: code.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
                devices.append(device)
            }
            // Rounds of edits, every device syncing at the same moment, through alternating servers.
            for round in 0..<6 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (i, device) in devices.enumerated() {
                        let server = servers[(i + round) % 2]
                        group.addTask {
                            if round > 0 { try device.edit() }
                            try await device.sync(through: server)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Quiescence: each device syncs twice more, one after the other.
            for round in 0..<2 {
                for (i, device) in devices.enumerated() { try await device.sync(through: servers[(i + round + 1) % 2]) }
            }
            let hub = try await PostgresHub.open(url: url, logger: TestHub.quiet)
            let failures = try await Self.check(devices, hub: hub)
            await hub.close()
            #expect(failures.isEmpty, "\(failures.prefix(6).joined(separator: "\n"))")
        } catch {
            Issue.record(error)
        }
        for server in servers { #expect(server.stop() == 0, "a server stopped by SIGTERM exits 0") }
        await drop()
        folder.remove()
    }

    /// `engage-server restored` gives a restored PostgreSQL hub a new generation; on a SQLite
    /// file it says that is done by itself, and changes nothing.
    @Test func theRestoredCommandGivesANewGeneration() async throws {
        let (url, drop) = try await TestHub.freshDatabase()
        let before = try await PostgresHub.open(url: url, logger: TestHub.quiet)
        await before.close()
        let restored = try Executables.run("engage-server", ["restored", "--database-url", url])
        let after = try await PostgresHub.open(url: url, logger: TestHub.quiet)
        await after.close()
        await drop()
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(after.generation != before.generation && restored.stdout.contains(after.generation))
        let folder = try TemporaryDirectory()
        let sqlite = try Executables.run("engage-server", ["restored", "--db", folder.path("hub.sqlite")])
        folder.remove()
        #expect(sqlite.status != 0 && sqlite.stderr.contains("by itself"), "\(sqlite.stderr)")
    }

    static func check(_ devices: [Device], hub: PostgresHub) async throws -> [String] {
        var failures: [String] = []
        let hq = devices.last!
        let hubActivities = try await hub.activities(after: nil)
        let hqActivities = try hq.store.activities().sorted { $0.id.uuidString.lowercased() < $1.id.uuidString.lowercased() }
        if hqActivities != hubActivities { failures.append("headquarters does not hold what the hub holds") }
        let hqRecords = try hq.store.replicatedRecords()
        var refused = 0, logged = 0
        for device in devices {
            if try !device.store.pendingChanges().isEmpty { failures.append("\(device.name) has changes left to push") }
            // The device holds exactly what headquarters holds of what it may see.
            if device.role == .advisor {
                let mine = try device.store.replicatedRecords()
                for (key, state) in hqRecords where Self.visible(key, to: device.post, in: hqRecords) {
                    if mine[key].map(StackSimulation.normalized) != StackSimulation.normalized(state) {
                        failures.append("\(device.name) (\(device.post)) differs from headquarters on \(key)")
                    }
                }
            }
            // Every queued change is in the hub's log once, or was refused with a reason.
            let rejected = Set(try device.store.rejectedChanges().map(\.change.stamp.encoded))
            var histories: [String: [ChangeLogEntry]] = [:]
            // A change the device wrote again before it was pushed goes as its latest version only.
            var latest: [String: HLC] = [:]
            for change in device.queued.values {
                let key = "\(change.recordId)|\(change.field)|\(change.target.element ?? "")"
                latest[key] = max(latest[key] ?? change.stamp, change.stamp)
            }
            for (stamp, change) in device.queued where change.collection == ActivityFields.collection
                && latest["\(change.recordId)|\(change.field)|\(change.target.element ?? "")"] == change.stamp
            {
                if histories[change.recordId] == nil { histories[change.recordId] = try await hub.history(activityId: change.recordId) }
                let found = histories[change.recordId]!.filter { $0.stamp.encoded == stamp && $0.change.field == change.field && $0.change.target == change.target }
                if found.count == 1 { logged += 1 } else if rejected.contains(stamp) { refused += 1 } else {
                    failures.append("\(device.name): \(change.field) of \(change.recordId.prefix(8)) at \(stamp) is in the log \(found.count) times")
                }
            }
        }
        if logged < 40 { failures.append("only \(logged) changes were logged: the schedule did too little") }
        if try await hub.openConflictCount() == 0 { failures.append("no conflict was raised: devices did not edit the same fields") }
        return failures
    }

    /// Whether an advisor of `post` may see the record `key` (headquarters' copy decides the post).
    static func visible(_ key: String, to post: String, in records: [String: RecordState]) -> Bool {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        switch parts[0] {
        case ActivityFields.collection: return records[key]?.registers["post"]?.value.stringValue == post
        case ConflictRecord.collection:
            guard let body = records[key]?.registers[ConflictRecord.bodyField]?.value.stringValue,
                let conflict = try? JSONDecoder().decode(Conflict.self, from: Data(body.utf8))
            else { return false }
            return records[ActivityFields.collection + "/" + conflict.recordId]?.registers["post"]?.value.stringValue == post
        default: return true
        }
    }
}
