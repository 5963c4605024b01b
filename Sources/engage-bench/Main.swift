import EngageCore
import EngageModel
import EngageStorage
import EngageStore
import Foundation

/// Release-mode benchmarks. Every figure is reported next to a baseline measured in the same
/// run on the same rows, as a ratio.
///   engage-bench merge [activities] [rounds]   merge through the store vs raw SQLite upserts
///   engage-bench http [push-activities] [pull-activities]   push and pull over HTTP (needs a
///       release engage-server and engage beside this binary)
///   engage-bench wire [changes] [rounds]   pull and push bodies: hand-written JSON vs the
///       types generated from sync-protocol/openapi.yaml with Foundation's coders
///   engage-bench hq [activities] [rounds]   headquarters at scale: the report (CLI and HTTP),
///       paging every activity, an advisor's one-edit sync on a large and a small hub
///   engage-bench durability [activities] [rounds]   the cost of committing durably: the hub's
///       push (synchronous=FULL) next to raw upserts with synchronous NORMAL and FULL
///   engage-bench hubs POSTGRES-URL [push-activities] [pull-activities]   the hub on SQLite next to
///       PostgreSQL with one and two server processes (`scripts/bench-hubs` starts PostgreSQL)
///   engage-bench hub-stores POSTGRES-URL [activities]   the two hub stores in-process: push and
///       headquarters' whole pull, no HTTP
@main
struct Bench {
    static func main() async throws {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.first == "durability" {
            let numbers = args.dropFirst().compactMap { Int($0) }
            return try Durability.run(activities: numbers.first ?? 2_000, rounds: numbers.dropFirst().first ?? 3)
        }
        if args.first == "wire" {
            let numbers = args.dropFirst().compactMap { Int($0) }
            return try WireBench.run(changes: numbers.first ?? 5_000, rounds: numbers.dropFirst().first ?? 5)
        }
        if args.first == "hq" {
            let numbers = args.dropFirst().compactMap { Int($0) }
            return try await HQBench.run(activities: numbers.first ?? 100_000, rounds: numbers.dropFirst().first ?? 3)
        }
        if args.first == "hub-stores", args.count > 1 {
            return try await HubStoresBench.run(adminURL: args[1], activities: args.dropFirst(2).compactMap { Int($0) }.first ?? 10_000)
        }
        if args.first == "hubs", args.count > 1 {
            let numbers = args.dropFirst(2).compactMap { Int($0) }
            return try await HubsBench.run(adminURL: args[1], pushActivities: numbers.first ?? 10_000, pullActivities: numbers.dropFirst().first ?? 100_000)
        }
        if args.first == "http" {
            let numbers = args.dropFirst().compactMap { Int($0) }
            return try await HTTPBench.run(pushActivities: numbers.first ?? 10_000, pullActivities: numbers.dropFirst().first ?? 100_000)
        }
        try merge(args.filter { $0 != "merge" }.compactMap { Int($0) })
    }

    /// Merge throughput: the median of several rounds, each on fresh database files.
    static func merge(_ args: [Int]) throws {
        let activities = args.first ?? 7_000, rounds = args.dropFirst().first ?? 5
        let changes = Workload.remoteChanges(activities: activities)
        let edits = Workload.edits(of: changes, fraction: 0.5)
        print("workload: \(activities) activities = \(changes.count) field changes, then \(edits.count) edits; "
              + "batches of 1,000; median of \(rounds) rounds")

        var samples: [String: [Double]] = [:]
        for _ in 0..<rounds {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engage-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let raw = try RawSQLite(path: dir.appendingPathComponent("raw.sqlite").path)
            let store = try DeviceStore(path: dir.appendingPathComponent("store.sqlite").path)
            samples["raw", default: []].append(try rate(changes) { try raw.upsert($0) })
            samples["rawDuplicates", default: []].append(try rate(changes) { try raw.upsert($0) })
            samples["merge", default: []].append(try rate(changes) { try store.applyRemote($0) })
            samples["duplicates", default: []].append(try rate(changes) { try store.applyRemote($0) })
            samples["rawEdits", default: []].append(try rate(edits) { try raw.upsert($0) })
            samples["edits", default: []].append(try rate(edits) { try store.applyRemote($0) })
        }
        let m = samples.mapValues(median)
        print("")
        func row(_ name: String, _ key: String, _ baseline: String) {
            let sorted = samples[key]!.sorted()
            report(name, m[key]!, m[baseline]!)
            print(String(repeating: " ", count: 40) + "  min \(Int(sorted.first!)), max \(Int(sorted.last!))")
        }
        row("raw SQLite upsert, C API (baseline)", "raw", "raw")
        row("merge through the store: new records", "merge", "raw")
        row("raw SQLite upsert of the same rows again (baseline)", "rawDuplicates", "rawDuplicates")
        row("merge through the store: duplicates", "duplicates", "rawDuplicates")
        row("raw SQLite upsert of edits (baseline)", "rawEdits", "rawEdits")
        row("merge through the store: edits", "edits", "rawEdits")
    }

    /// Changes per second applying `changes` in batches of `size`.
    static func rate(_ changes: [Change], _ size: Int = 1_000, _ apply: ([Change]) throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for i in stride(from: 0, to: changes.count, by: size) {
            try apply(Array(changes[i..<min(i + size, changes.count)]))
        }
        return Double(changes.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func report(_ name: String, _ rate: Double, _ baseline: Double) {
        var digits = String(Int(rate.rounded())), text = ""
        while digits.count > 3 { text = "," + digits.suffix(3) + text; digits.removeLast(3) }
        text = digits + text
        print(name.padding(toLength: 40, withPad: " ", startingAt: 0)
              + String(repeating: " ", count: max(0, 9 - text.count)) + text + " changes/s   ratio "
              + String(format: "%.2f", rate / baseline))
    }
}
