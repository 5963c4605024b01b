import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageStorage
import EngageStore
import Foundation

/// Push and pull over HTTP against a release `engage-server` subprocess on 127.0.0.1.
enum HTTPBench {
    static func run(pushActivities: Int, pullActivities: Int) async throws {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engage-http-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let serverDB = dir.appendingPathComponent("server.sqlite").path
        let server = try Subprocess.start(bin.appendingPathComponent("engage-server").path,
                                          ["serve", "--db", serverDB, "--port", "0", "--max-batch", "5000"])
        defer { server.terminate() }
        let url = server.url
        print("server \(url), release build; \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // Push: one advisor device pushes new activities in batches of 500 changes.
        let device = try DeviceStore(path: dir.appendingPathComponent("pusher.sqlite").path)
        let code = try Subprocess.output(bin.appendingPathComponent("engage-server").path,
                                         ["enroll", "--db", serverDB, "--name", "bench", "--post", "BENCH", "--role", "advisor"])
        _ = try await Synchronizer.enroll(store: device, serverURL: url, code: code)
        let node = try device.nodeID()
        let changes = Workload.creations(0..<pushActivities, node: node)
        let client = SyncClient(transport: URLSessionTransport(baseURL: URL(string: url)!),
                                token: try device.enrollment()!.token, now: DeviceStore.systemMs)
        let start = DispatchTime.now().uptimeNanoseconds
        for i in stride(from: 0, to: changes.count, by: 500) {
            let (answer, _) = try await client.push(Array(changes[i..<min(i + 500, changes.count)]))
            guard answer.rejected.isEmpty else { throw BenchError("push rejected: \(answer.rejected[0].message)") }
        }
        let pushSeconds = seconds(since: start)
        // The same batches straight into a hub store in this process: the store's share of the cost.
        let directHub = try HubStore(path: dir.appendingPathComponent("direct-hub.sqlite").path)
        let directDevice = DeviceRecord(id: "dev-direct", name: "direct", post: "BENCH", role: .advisor, nodeId: node.rawValue, lastSeen: nil, revoked: false)
        let directSeconds = try time {
            for i in stride(from: 0, to: changes.count, by: 500) { _ = try directHub.push(Array(changes[i..<min(i + 500, changes.count)]), from: directDevice) }
        }
        // Two devices pushing at once (as many devices do): the server overlaps one request's
        // JSON and HTTP work with the other's transaction.
        var pair: [(SyncClient, [Change])] = []
        for d in 0..<2 {
            let store = try DeviceStore(path: dir.appendingPathComponent("pair-\(d).sqlite").path)
            let code = try Subprocess.output(bin.appendingPathComponent("engage-server").path,
                                             ["enroll", "--db", serverDB, "--name", "pair", "--post", "BENCH", "--role", "advisor"])
            _ = try await Synchronizer.enroll(store: store, serverURL: url, code: code)
            var clock = HybridClock(node: try store.nodeID())
            var list: [Change] = []
            for i in stride(from: d, to: pushActivities, by: 2) {
                var a = Workload.activity(2_000_000 + i)
                a.post = "BENCH"
                list += LocalEdit.changes(from: RecordState(), to: a, clock: &clock, physicalMs: 1_767_225_600_000 + Int64(i), seen: 0)
            }
            pair.append((SyncClient(transport: URLSessionTransport(baseURL: URL(string: url)!), token: try store.enrollment()!.token,
                                    now: DeviceStore.systemMs), list))
        }
        let pairStart = DispatchTime.now().uptimeNanoseconds
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (client, list) in pair {
                group.addTask {
                    for i in stride(from: 0, to: list.count, by: 500) { _ = try await client.push(Array(list[i..<min(i + 500, list.count)])) }
                }
            }
            try await group.waitForAll()
        }
        let pairRate = Double(pair.map(\.1.count).reduce(0, +)) / seconds(since: pairStart)
        let raw = try RawSQLite(path: dir.appendingPathComponent("raw-push.sqlite").path)
        let rawPushSeconds = try time { for i in stride(from: 0, to: changes.count, by: 500) { try raw.upsert(Array(changes[i..<min(i + 500, changes.count)])) } }
        let pushRate = Double(changes.count) / pushSeconds, rawPushRate = Double(changes.count) / rawPushSeconds
        print("push over HTTP: \(changes.count) field changes in batches of 500: \(Int(pushRate)) changes/s"
              + " (raw SQLite upsert of the same rows: \(Int(rawPushRate))/s, ratio \(String(format: "%.2f", pushRate / rawPushRate)))")
        print("  the same batches into a hub store in-process, no HTTP: \(Int(Double(changes.count) / directSeconds)) changes/s")
        print("  two devices pushing at once, batches of 500: \(Int(pairRate)) changes/s in all")

        // Pull: load activities at the hub, then a fresh device (the `engage` executable) pulls them all.
        let hub = try HubStore(path: serverDB)
        let loadStart = DispatchTime.now().uptimeNanoseconds
        for i in stride(from: 0, to: pullActivities, by: 10_000) {
            _ = try hub.importActivities((i..<min(i + 10_000, pullActivities)).map { Workload.activity(1_000_000 + $0) })
        }
        print("loaded \(pullActivities) activities at the hub in \(String(format: "%.1f", seconds(since: loadStart))) s")
        let serverBefore = server.peakRSSKiB()
        let hqCode = try Subprocess.output(bin.appendingPathComponent("engage-server").path,
                                           ["enroll", "--db", serverDB, "--name", "fresh", "--post", "HQ", "--role", "hq"])
        let deviceDB = dir.appendingPathComponent("fresh.sqlite").path
        _ = try Subprocess.output(bin.appendingPathComponent("engage").path, ["enroll", "--server", url, "--code", hqCode, "--db", deviceDB])
        // Timed and measured by GNU time around the `engage sync` process alone (a child's
        // rusage from this process would count the parent's pages at spawn).
        let sync = try HQBench.measured(bin.appendingPathComponent("engage").path, ["sync", "--db", deviceDB])
        let pullSeconds = sync.seconds, clientPeak = sync.peakKiB
        let summary = "the device holds \(try DeviceStore(path: deviceDB).status().activities) activities"
        let serverAfter = server.peakRSSKiB()
        let fields = pullActivities * 15
        let rawPull = try RawSQLite(path: dir.appendingPathComponent("raw-pull.sqlite").path)
        let pulledChanges = Workload.remoteChanges(activities: pullActivities)
        let rawPullSeconds = try time { for i in stride(from: 0, to: pulledChanges.count, by: 5_000) { try rawPull.upsert(Array(pulledChanges[i..<min(i + 5_000, pulledChanges.count)])) } }
        print("initial pull by a fresh device of \(pullActivities) activities (\(fields) field states): "
              + "\(String(format: "%.1f", pullSeconds)) s — \(summary)")
        print("  raw SQLite insert of the same \(pulledChanges.count) rows: \(String(format: "%.1f", rawPullSeconds)) s "
              + "(ratio \(String(format: "%.2f", rawPullSeconds / pullSeconds)))")
        print("  peak memory: client (engage sync) \(clientPeak / 1024) MiB; server \(serverBefore / 1024) MiB before the pull, "
              + "\(serverAfter / 1024) MiB after")
    }

    static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    static func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return seconds(since: start)
    }
}

/// Subprocesses of the benchmark: the server (running) and CLI commands (run to completion).
final class Subprocess {
    let process: Process
    let url: String

    private init(process: Process, url: String) {
        self.process = process
        self.url = url
    }

    static func start(_ path: String, _ args: [String]) throws -> Subprocess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        // The server logs as it does in service (info: one line per request).
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line: [UInt8] = []
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard let b = byte.first else { throw BenchError("engage-server exited before listening") }
            if b == UInt8(ascii: "\n") { break }
            line.append(b)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on ") else { throw BenchError("unexpected first line: \(text)") }
        return Subprocess(process: process, url: String(text.dropFirst("listening on ".count)))
    }

    static func output(_ path: String, _ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("\(path) \(args.first ?? "") failed") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// VmHWM of the running server, in KiB.
    func peakRSSKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    func terminate() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
