import EngageCore
import EngageHubSQLite
import EngageStorage
import EngageStore
import Foundation

/// What committing durably costs. The hub answers a push only after `synchronous = FULL` has
/// synced the WAL; the baselines are raw upserts of the same rows in batches of the same size
/// (500, the client's push) with NORMAL and with FULL, on the same disk, in the same run.
enum Durability {
    static func run(activities: Int, rounds: Int) throws {
        // One advisor's activities, all of its post, stamped by its node: every change is accepted.
        let changes = Workload.remoteChanges(activities: activities).map { c -> Change in
            var c = c
            c.stamp = HLC(wallMs: c.stamp.wallMs, counter: c.stamp.counter, node: NodeID("bench-device")!)
            if c.field == "post" { c.op = .set(.string("POST-0")) }
            return c
        }
        print("workload: \(activities) activities = \(changes.count) field changes in pushes of 500, one transaction each; "
              + "files under \(FileManager.default.temporaryDirectory.path); min / median / max of \(rounds) rounds")
        var samples: [String: [Double]] = [:]
        for _ in 0..<rounds {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engage-durability-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let normal = try RawSQLite(path: dir.appendingPathComponent("normal.sqlite").path, synchronous: "NORMAL")
            let full = try RawSQLite(path: dir.appendingPathComponent("full.sqlite").path, synchronous: "FULL")
            let hub = try HubStore(path: dir.appendingPathComponent("hub.sqlite").path)
            try hub.createEnrolment(codeHash: "bench", name: "bench", post: "POST-0", role: .advisor, expiresAt: .max)
            let device = try hub.enroll(codeHash: "bench", deviceId: "dev-bench", nodeId: "bench-device", tokenHash: "bench")
            samples["normal", default: []].append(try Bench.rate(changes, 500) { try normal.upsert($0) })
            samples["full", default: []].append(try Bench.rate(changes, 500) { try full.upsert($0) })
            samples["hub", default: []].append(try Bench.rate(changes, 500) { batch in
                let result = try hub.push(batch, from: device)
                guard result.rejected.isEmpty else { throw BenchError("the hub refused \(result.rejected.count) changes") }
            })
        }
        print("")
        let normal = Bench.median(samples["normal"]!)
        for (name, key) in [("raw upsert, synchronous=NORMAL (baseline)", "normal"), ("raw upsert, synchronous=FULL", "full"),
                            ("HubStore.push, synchronous=FULL", "hub")] {
            let values = samples[key]!.sorted()
            Bench.report(name, Bench.median(values), normal)
            print("    min \(Int(values.first!)) / max \(Int(values.last!)) changes/s")
        }
    }
}
