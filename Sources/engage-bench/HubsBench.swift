import EngageClient
import EngageCore
import EngageHubPostgres
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageStorage
import EngageStore
import Foundation
import Logging
import PostgresNIO

/// The hub on SQLite next to the hub on PostgreSQL with one and with two server processes, in
/// one run, over HTTP on 127.0.0.1 (release `engage-server` and `engage` beside this binary):
/// push throughput (one device, and four at once spread over the servers) and initial pulls by
/// fresh devices (one, and two at once, one per server). `adminURL` names a PostgreSQL server
/// whose user may create databases (`scripts/bench-hubs` starts a throwaway one, fsync on).
enum HubsBench {
    struct Hub {
        var name: String
        /// engage-server's database arguments.
        var database: [String]
        var servers: Int
        var load: ([Activity]) async throws -> Void
        var close: () async -> Void
    }

    static func run(adminURL: String, pushActivities: Int, pullActivities: Int) async throws {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engage-hubs-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        print("release build; \(ProcessInfo.processInfo.activeProcessorCount) cores; push \(pushActivities) activities per device "
              + "(batches of 500 changes), pull \(pullActivities) activities; PostgreSQL with fsync on, SQLite synchronous=FULL")
        var rows: [String] = []
        for (name, servers) in [("SQLite", 1), ("PostgreSQL", 1), ("PostgreSQL", 2)] {
            let hub = name == "SQLite" ? try sqlite(dir) : try await postgres(adminURL)
            var label = hub
            label.servers = servers
            label.name = "\(name), \(servers) server\(servers == 1 ? "" : "s")"
            rows.append(try await measure(label, bin: bin, dir: dir.appendingPathComponent("\(name)-\(servers)"), push: pushActivities, pull: pullActivities))
            await hub.close()
        }
        print("| hub | push, 1 device | push, 4 devices at once | initial pull, 1 device | initial pull, 2 devices at once |")
        print("|---|---|---|---|---|")
        for row in rows { print(row) }
    }

    static func sqlite(_ dir: URL) throws -> Hub {
        let path = dir.appendingPathComponent("hub.sqlite").path
        return Hub(name: "SQLite", database: ["--db", path], servers: 1, load: { activities in
            _ = try HubStore(path: path).importActivities(activities)
        }, close: {})
    }

    static func postgres(_ adminURL: String) async throws -> Hub {
        let name = "engage_bench_" + UUID().uuidString.prefix(8).lowercased()
        try await adminQuery(adminURL, "CREATE DATABASE \(name)")
        guard var parts = URLComponents(string: adminURL) else { throw BenchError("not a URL: \(adminURL)") }
        parts.path = "/" + name
        let url = parts.string!
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let hub = try await PostgresHub.open(url: url, logger: quiet)
        return Hub(name: "PostgreSQL", database: ["--database-url", url], servers: 1, load: { activities in
            _ = try await hub.importActivities(activities)
        }, close: {
            await hub.close()
            try? await adminQuery(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        })
    }

    static func adminQuery(_ url: String, _ sql: String) async throws {
        let client = PostgresClient(configuration: try DatabaseURL.configuration(url), backgroundLogger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await client.query(PostgresQuery(unsafeSQL: sql))
    }

    /// One row of the table: the hub's figures with `hub.servers` server processes.
    static func measure(_ hub: Hub, bin: URL, dir: URL, push pushActivities: Int, pull pullActivities: Int) async throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let server = bin.appendingPathComponent("engage-server").path
        _ = try Subprocess.output(server, ["devices", "list"] + hub.database)  // creates and migrates the database
        let servers = try (0..<hub.servers).map { _ in try Subprocess.start(server, ["serve", "--port", "0", "--max-batch", "5000"] + hub.database) }
        defer { servers.forEach { $0.terminate() } }

        // Push: devices enrolled through the servers in turn, each with its own activities.
        var devices: [(SyncClient, [Change])] = []
        for d in 0..<5 {
            let store = try DeviceStore(path: dir.appendingPathComponent("pusher-\(d).sqlite").path)
            let code = try Subprocess.output(server, ["enroll", "--name", "bench \(d)", "--post", "BENCH", "--role", "advisor"] + hub.database)
            let url = servers[d % servers.count].url
            _ = try await Synchronizer.enroll(store: store, serverURL: url, code: code)
            let changes = Workload.creations(0..<(d == 0 ? pushActivities : pushActivities / 4), first: d * 10_000_000, node: try store.nodeID())
            devices.append((SyncClient(transport: URLSessionTransport(baseURL: URL(string: url)!), token: try store.enrollment()!.token, now: DeviceStore.systemMs), changes))
        }
        let one = try await pushRate([devices[0]])
        let four = try await pushRate(Array(devices[1...]))

        // Pull: activities loaded at the hub, then fresh headquarters devices pull them all.
        for i in stride(from: 0, to: pullActivities, by: 10_000) {
            try await hub.load((i..<min(i + 10_000, pullActivities)).map { Workload.activity(1_000_000 + $0) })
        }
        var fresh: [String] = []
        for d in 0..<3 {
            let code = try Subprocess.output(server, ["enroll", "--name", "fresh \(d)", "--post", "HQ", "--role", "hq"] + hub.database)
            let db = dir.appendingPathComponent("fresh-\(d).sqlite").path
            _ = try Subprocess.output(bin.appendingPathComponent("engage").path, ["enroll", "--server", servers[d % servers.count].url, "--code", code, "--db", db])
            fresh.append(db)
        }
        let engage = bin.appendingPathComponent("engage").path
        let single = try HQBench.measured(engage, ["sync", "--db", fresh[0]]).seconds
        let start = DispatchTime.now().uptimeNanoseconds
        let pulls = try [fresh[1], fresh[2]].map { db in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: engage)
            p.arguments = ["sync", "--db", db]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        for p in pulls {
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw BenchError("a concurrent pull failed") }
        }
        let pair = HTTPBench.seconds(since: start)
        for db in fresh {
            let held = try DeviceStore(path: db).status().activities
            guard held >= pullActivities else { throw BenchError("a fresh device holds \(held) of \(pullActivities) activities") }
        }
        let row = "| \(hub.name) | \(Int(one)) changes/s | \(Int(four)) changes/s | \(String(format: "%.1f", single)) s | \(String(format: "%.1f", pair)) s |"
        print(row)
        return row
    }

    /// Changes per second in all while every device pushes its changes in batches of 500, at once.
    static func pushRate(_ devices: [(SyncClient, [Change])]) async throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (client, changes) in devices {
                group.addTask {
                    for i in stride(from: 0, to: changes.count, by: 500) {
                        let (answer, _) = try await client.push(Array(changes[i..<min(i + 500, changes.count)]))
                        guard answer.rejected.isEmpty else { throw BenchError("push rejected: \(answer.rejected[0].message)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(devices.map(\.1.count).reduce(0, +)) / HTTPBench.seconds(since: start)
    }
}

/// The two hub stores alone, in this process (no HTTP, no server): the same batches pushed
/// into each, then headquarters' whole pull in pages of 5,000 — the store's share of the figures
/// above, PostgreSQL as a ratio of SQLite.
enum HubStoresBench {
    static func run(adminURL: String, activities: Int) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engage-stores-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let node = NodeID("bench-node")!
        let changes = Workload.creations(0..<activities, node: node)
        let device = DeviceRecord(id: "dev-bench", name: "bench", post: "BENCH", role: .advisor, nodeId: node.rawValue, lastSeen: nil, revoked: false)
        let hq = DeviceRecord(id: "dev-hq", name: "hq", post: "HQ", role: .hq, nodeId: "hq-node", lastSeen: nil, revoked: false)
        let postgres = try await HubsBench.postgres(adminURL)
        let pg = try await PostgresHub.open(url: postgres.database[1], logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        let hubs: [(String, any HubStorage)] = [("SQLite", SQLiteHub(try HubStore(path: dir.appendingPathComponent("hub.sqlite").path))), ("PostgreSQL", pg)]
        var push: [Double] = [], pull: [Double] = []
        for (_, hub) in hubs {
            var start = DispatchTime.now().uptimeNanoseconds
            for i in stride(from: 0, to: changes.count, by: 500) { _ = try await hub.push(Array(changes[i..<min(i + 500, changes.count)]), from: device, relay: false) }
            push.append(Double(changes.count) / HTTPBench.seconds(since: start))
            start = DispatchTime.now().uptimeNanoseconds
            var cursor: Int64 = 0, pulled = 0
            while true {
                let page = try await hub.pull(after: cursor, for: hq, limit: 5_000, maxBytes: 4 << 20, own: [], countRemaining: false)
                pulled += page.changes.count
                cursor = page.cursor
                if !page.more { break }
            }
            pull.append(HTTPBench.seconds(since: start))
            guard pulled >= changes.count else { throw BenchError("pulled \(pulled) of \(changes.count)") }
        }
        await pg.close()
        await postgres.close()
        print("in-process, \(activities) activities (\(changes.count) changes): push in batches of 500 — SQLite \(Int(push[0]))/s, "
              + "PostgreSQL \(Int(push[1]))/s (ratio \(String(format: "%.2f", push[1] / push[0]))); headquarters' whole pull in pages of 5,000 — "
              + "SQLite \(String(format: "%.2f", pull[0])) s, PostgreSQL \(String(format: "%.2f", pull[1])) s (ratio \(String(format: "%.2f", pull[1] / pull[0])))")
    }
}
