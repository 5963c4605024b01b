import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageStorage
import EngageStore
import Foundation
import FoundationNetworking

#if canImport(FoundationNetworking)
#endif

/// Headquarters at agency scale (issue 12), release build, one run: a hub of N activities over
/// 8 posts and 3 years; the `engage hq report --json` executable and `GET /v1/hq/report`
/// (seconds, peak memory of that process alone — measured by GNU time around it — and bytes);
/// paging every activity through `GET /v1/hq/activities`; an advisor's one-edit sync on this
/// hub and on a hub of about 10,000 field states. Each figure is the min/median/max of
/// `rounds`, next to a baseline on the same rows in the same run (raw SQLite reads).
enum HQBench {
    static func run(activities count: Int, rounds: Int) async throws {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let engage = bin.appendingPathComponent("engage").path, server = bin.appendingPathComponent("engage-server").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engage-hq-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let big = try Hub(dir: dir, name: "big", activities: count)
        defer { big.server.terminate() }
        let small = try Hub(dir: dir, name: "small", activities: 10_000 / 15)
        defer { small.server.terminate() }
        print("hub: \(count) activities (\(count * 15) field states), 8 posts, 3 years; \(ProcessInfo.processInfo.activeProcessorCount) cores; "
              + "min / median / max of \(rounds) runs")

        // The HQ copy, then the report from it.
        let hq = dir.appendingPathComponent("hq.sqlite").path
        _ = try Subprocess.output(engage, ["enroll", "--server", big.server.url, "--code", try big.enrol(role: "hq", post: "HQ"), "--db", hq])
        _ = try Subprocess.output(engage, ["sync", "--db", hq])
        let report = try (0..<rounds).map { _ in try measured(engage, ["hq", "report", "--json", "--db", hq]) }
        let rawRead = try (0..<rounds).map { _ in try RawSQLite.timeReadingActivities(path: hq) }
        line("engage hq report --json", report.map(\.seconds), unit: "s",
             extra: "peak \(stats(report.map { Double($0.peakKiB) / 1024 }, "MiB")), output \(report[0].bytes / 1024) KiB; "
                 + "raw read of the activity rows \(stats(rawRead, "s"))")

        // The same over HTTP, and paging through every activity.
        let token = try await big.enrolToken(role: "hq")
        var httpReport: [Double] = [], httpBytes = 0
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            httpBytes = try await get(big.server.url + "/v1/hq/report", token: token).count
            httpReport.append(HTTPBench.seconds(since: start))
        }
        line("GET /v1/hq/report", httpReport, unit: "s",
             extra: "\(httpBytes / 1024) KiB; server peak since start \(big.server.peakRSSKiB() / 1024) MiB")
        var paging: [Double] = [], pages = 0, seen = 0
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            var cursor: String?
            (pages, seen) = (0, 0)
            repeat {
                let data = try await get(big.server.url + "/v1/hq/activities?limit=1000" + (cursor.map { "&cursor=" + $0 } ?? ""), token: token)
                let page = try JSONSerialization.jsonObject(with: data) as! [String: Any]
                seen += (page["activities"] as! [Any]).count
                cursor = page["cursor"] as? String
                pages += 1
            } while cursor != nil && pages < count
            paging.append(HTTPBench.seconds(since: start))
        }
        line("paging /v1/hq/activities, limit 1,000", paging, unit: "s", extra: "\(seen) activities in \(pages) pages")

        // `engage list` on the HQ copy of 100,000 activities, against a raw read of the rows.
        let list = try (0..<rounds).map { _ in try measured(engage, ["list", "--json", "--db", hq]) }
        line("engage list --json, \(count) activities", list.map(\.seconds), unit: "s",
             extra: "raw read of the activity rows \(stats(rawRead, "s")) (includes process start)")

        try conflictPush(dir: dir, rounds: rounds)

        // An advisor's one-edit sync, on the big hub and on a small one.
        for hub in [small, big] {
            let device = dir.appendingPathComponent("advisor-\(hub.name).sqlite").path
            _ = try Subprocess.output(engage, ["enroll", "--server", hub.server.url, "--code", try hub.enrol(role: "advisor", post: "POST-1"), "--db", device])
            _ = try Subprocess.output(engage, ["sync", "--db", device])
            let listed = try JSONSerialization.jsonObject(with: Data(try Subprocess.output(engage, ["list", "--json", "--db", device]).utf8))
            guard let id = ((listed as? [[String: Any]])?.first?["id"]) as? String else { throw BenchError("the advisor's device holds no activity") }
            var times: [Double] = []
            for round in 0..<max(rounds, 5) {
                _ = try Subprocess.output(engage, ["edit", id, "--notes", "edited \(round)", "--db", device])
                times.append(try measured(engage, ["sync", "--db", device]).seconds)
            }
            line("one-edit sync, advisor of POST-1, hub of \(hub.activities * 15) field states", times, unit: "s", extra: "")
        }
    }

    /// Push throughput into a hub store (in-process) holding no conflicts and one holding 60,000:
    /// the lookup of conflicts by stamp goes through both stamp indexes, so it should not slow.
    static func conflictPush(dir: URL, rounds: Int) throws {
        var rates: [String: [Double]] = [:]
        for held in [0, 60_000] {
            let hub = try HubStore(path: dir.appendingPathComponent("conflicts-\(held).sqlite").path)
            let records = held / 2
            _ = try hub.importActivities((0..<records).map { i in var a = Workload.hqActivity(500_000 + i); a.post = "POST-1"; return a })
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            // Two devices set the title of each record without having seen the other's write (nor
            // the import's): each write is concurrent, each raises a conflict.
            for (d, node) in ["conflict-a", "conflict-b"].enumerated() where records > 0 {
                let device = DeviceRecord(id: "dev-\(node)", name: node, post: "POST-1", role: .advisor, nodeId: node, lastSeen: nil, revoked: false)
                let changes = (0..<records).map { i in
                    Change(collection: "activities", recordId: Workload.hqActivity(500_000 + i).id.uuidString.lowercased(), field: "title",
                           op: .set(.string("Title from \(node)")), stamp: HLC(wallMs: now + Int64(d), counter: UInt16(i % 60_000), node: NodeID(node)!))
                }
                for i in stride(from: 0, to: changes.count, by: 5_000) { _ = try hub.push(Array(changes[i..<min(i + 5_000, changes.count)]), from: device) }
            }
            let open = try hub.openConflictCount()
            let pusher = DeviceRecord(id: "dev-pusher", name: "pusher", post: "POST-2", role: .advisor, nodeId: "pusher", lastSeen: nil, revoked: false)
            var clock = HybridClock(node: NodeID("pusher")!)
            for round in 0..<rounds {
                var changes: [Change] = []
                for i in 0..<2_000 {
                    var a = Workload.hqActivity(900_000 + round * 10_000 + i)
                    a.post = "POST-2"
                    changes += LocalEdit.changes(from: RecordState(), to: a, clock: &clock, physicalMs: now + 10, seen: 0)
                }
                let start = DispatchTime.now().uptimeNanoseconds
                for i in stride(from: 0, to: changes.count, by: 500) {
                    let result = try hub.push(Array(changes[i..<min(i + 500, changes.count)]), from: pusher)
                    guard result.rejected.isEmpty else { throw BenchError("push refused: \(result.rejected[0].message)") }
                }
                rates["\(open)", default: []].append(Double(changes.count) / HTTPBench.seconds(since: start))
            }
        }
        for (open, values) in rates.sorted(by: { Int($0.key)! < Int($1.key)! }) {
            line("push into the hub store in-process, batches of 500, with \(open) open conflicts", values.map { $0 / 1000 }, unit: "k changes/s", extra: "")
        }
    }

    /// A hub file loaded in-process, served by the release `engage-server`.
    struct Hub {
        let name: String, activities: Int, db: String, server: Subprocess, serverPath: String

        init(dir: URL, name: String, activities: Int) throws {
            self.name = name
            self.activities = activities
            db = dir.appendingPathComponent("\(name).sqlite").path
            let store = try HubStore(path: db)
            _ = try store.importPartners(Workload.partners)
            for i in stride(from: 0, to: activities, by: 10_000) {
                _ = try store.importActivities((i..<min(i + 10_000, activities)).map(Workload.hqActivity))
            }
            serverPath = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("engage-server").path
            server = try Subprocess.start(serverPath, ["serve", "--db", db, "--port", "0"])
        }

        func enrol(role: String, post: String) throws -> String {
            try Subprocess.output(serverPath, ["enroll", "--db", db, "--name", "bench \(role)", "--post", post, "--role", role])
        }

        /// A token for HTTP calls: a device enrolled through the protocol.
        func enrolToken(role: String) async throws -> String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("engage-hq-token-\(UUID().uuidString).sqlite").path
            let store = try DeviceStore(path: path)
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = try await Synchronizer.enroll(store: store, serverURL: server.url, code: try enrol(role: role, post: "HQ"))
            return try store.enrollment()!.token
        }
    }

    /// Runs an executable under GNU time: wall seconds, the peak RSS of that process alone, and
    /// the bytes it wrote to stdout.
    static func measured(_ path: String, _ args: [String]) throws -> (seconds: Double, peakKiB: Int, bytes: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "%e %M", path] + args
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("\(args.prefix(2).joined(separator: " ")) failed: \(errText.suffix(300))") }
        let fields = errText.split(separator: "\n").last?.split(separator: " ") ?? []
        return (Double(fields.first ?? "") ?? 0, Int(fields.dropFirst().first ?? "") ?? 0, data.count)
    }

    static func get(_ url: String, token: String) async throws -> Data {
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw BenchError("GET \(url) failed: \(String(decoding: data.prefix(300), as: UTF8.self))") }
        return data
    }

    static func stats(_ values: [Double], _ unit: String) -> String {
        let s = values.sorted()
        return String(format: "%.2f / %.2f / %.2f %@", s.first ?? 0, s[s.count / 2], s.last ?? 0, unit)
    }

    static func line(_ what: String, _ values: [Double], unit: String, extra: String) {
        print("\(what): \(stats(values, unit))" + (extra.isEmpty ? "" : " — \(extra)"))
    }
}
