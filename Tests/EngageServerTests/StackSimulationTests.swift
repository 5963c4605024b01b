import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageServer
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The promise the product rests on, proven on the shipped stack: random schedules of edits
/// on several devices and headquarters, with faults at every step, converge, and nothing typed
/// is lost. `ENGAGE_SCHEDULES=N` runs more; `ENGAGE_SEED=N` replays one (add
/// `ENGAGE_TRACE=ID-PREFIX` to follow one record on every device, step by step).
@Suite struct StackSimulationTests {
    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let seed = env["ENGAGE_SEED"].flatMap(UInt64.init) { return [seed] }
        let count = env["ENGAGE_SCHEDULES"].flatMap(Int.init) ?? 1_200
        return (0..<UInt64(count)).map { $0 &* 0x9E37_79B9 &+ 17 }
    }

    /// How many schedules run on PostgreSQL (`ENGAGE_PG_SCHEDULES`; `ENGAGE_SEED` replays one).
    static var postgresSeeds: [UInt64] {
        let count = ProcessInfo.processInfo.environment["ENGAGE_PG_SCHEDULES"].flatMap(Int.init) ?? 100
        return Array(seeds.prefix(count))
    }

    /// Runs one schedule against a hub of `kind` reached by `transport` (in-process or HTTP).
    static func run(
        seed: UInt64, steps: ClosedRange<Int>, kind: HubKind = .sqlite,
        serve: (any SimulationHub, SimClock, @escaping @Sendable (any Transport) async throws -> [String]) async throws ->
            [String]
    ) async throws -> [String] {
        // Real SQLite files, in memory-backed /dev/shm where there is one: the same code paths,
        // without waiting on the disk for every commit.
        let base =
            FileManager.default.fileExists(atPath: "/dev/shm")
            ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let folder = base.appendingPathComponent("engage-sim-\(seed)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let clock = SimClock(1_767_225_600_000)
        let hub: any SimulationHub =
            switch kind {
            case .sqlite: try SimulatedHub(path: folder + "/hub.sqlite", clock: clock)
            case .postgres: try await SimulatedPostgresHub.make(clock: clock)
            }
        let failures = try await serve(hub, clock) { inner in
            let network = FaultyNetwork(seed: seed ^ 0x5EED)
            let sim = StackSimulation(seed: seed, folder: folder, hub: hub, hubClock: clock, network: network) { device in
                network.transport(inner, device: device)
            }
            let failures: [String]
            do { failures = try await sim.run(steps: steps) } catch { failures = ["the schedule stopped: \(error)"] }
            if !failures.isEmpty, ProcessInfo.processInfo.environment["ENGAGE_SEED"] != nil {
                print((failures + sim.log + network.refusals).joined(separator: "\n"))
            }
            return failures.isEmpty ? [] : failures + ["events: " + sim.log.suffix(12).joined(separator: "; ")]
        }
        await hub.close()
        return failures
    }

    static func application(_ hub: any SimulationHub, _ clock: SimClock, port: Int = 0) -> some ApplicationProtocol {
        var configuration = ServerConfiguration(databasePath: hub.path)
        configuration.port = port
        configuration.maxBodyBytes = 16 * 1024  // small, so that the client's byte batching and 413 halving are exercised
        configuration.pullMaxBytes = 4 * 1024
        var logger = Logger(label: "sim")
        logger.logLevel = .critical
        return buildApplication(
            configuration: configuration, store: hub,
            environment: ServerEnvironment(now: clock.now, draw: ServerEnvironment.systemDraw), logger: logger)
    }

    @Test func randomSchedulesOnTheRealStackLoseNothing() async throws {
        try await Self.runSchedules(Self.seeds, kind: .sqlite)
    }

    /// The same schedules, faults and checks on the hub on PostgreSQL (fewer: each makes a database).
    @Test(.enabled(if: HubKind.available.contains(.postgres)))
    func randomSchedulesOnPostgreSQLLoseNothing() async throws {
        try await Self.runSchedules(Self.postgresSeeds, kind: .postgres)
    }

    /// Runs `seeds`, two at a time, in-process; records each failing seed with how to replay it.
    static func runSchedules(_ seeds: [UInt64], kind: HubKind) async throws {
        let failed = try await withThrowingTaskGroup(of: (UInt64, [String]).self) { group in
            var failed: [(UInt64, [String])] = []
            var next = 0
            func add() {
                guard next < seeds.count else { return }
                let seed = seeds[next]
                next += 1
                group.addTask {
                    let started = Date()
                    let failures = try await Self.run(seed: seed, steps: 10...40, kind: kind) { hub, clock, body in
                        try await Self.application(hub, clock).test(.router) { client in
                            try await body(RouterTransport(client: client))
                        }
                    }
                    if let log = ProcessInfo.processInfo.environment["ENGAGE_SIM_TIMES"] {  // where the time goes, for tuning
                        let line =
                            "\(kind) \(seed) \(Int(Date().timeIntervalSince(started) * 1000)) ms \(failures.isEmpty ? "ok" : "FAILED")\n"
                        if let handle = FileHandle(forWritingAtPath: log) {
                            handle.seekToEndOfFile()
                            handle.write(Data(line.utf8))
                            try? handle.close()
                        }
                    }
                    return (seed, failures)
                }
            }
            for _ in 0..<2 { add() }
            while let (seed, failures) = try await group.next() {
                if !failures.isEmpty { failed.append((seed, failures)) }
                if failed.count < 5 { add() }
            }
            return failed
        }
        let test = kind == .sqlite ? "randomSchedulesOnTheRealStackLoseNothing" : "randomSchedulesOnPostgreSQLLoseNothing"
        for (seed, failures) in failed {
            let shown =
                failures.count > 4 ? failures.prefix(3) + ["(\(failures.count - 4) more)", failures.last!] : failures[...]
            Issue.record(
                "seed \(seed) on \(kind) (replay: ENGAGE_SEED=\(seed) swift test --filter \(test)): \(shown.joined(separator: " | "))"
            )
        }
    }

    @Test func theSameSchedulesOverHTTPToALiveServer() async throws {
        for seed in Self.seeds.prefix(ProcessInfo.processInfo.environment["ENGAGE_SEED"] == nil ? 25 : 1) {
            let failures = try await Self.run(seed: seed, steps: 10...30) { hub, clock, body in
                try await Self.application(hub, clock).test(.live) { client in
                    let url = URL(string: "http://127.0.0.1:\(try #require(client.port))")!
                    return try await body(URLSessionTransport(baseURL: url))
                }
            }
            #expect(failures.isEmpty, "seed \(seed) over HTTP: \(failures.prefix(4).joined(separator: " | "))")
        }
    }
}
