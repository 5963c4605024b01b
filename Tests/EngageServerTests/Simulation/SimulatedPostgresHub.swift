import EngageCore
import EngageStorage
import Foundation
import PostgresNIO

@testable import EngageHubPostgres

/// The real `PostgresHub` on a database of its own on the test server, as `SimulatedHub` is on
/// SQLite: a restart closes the connection pool and opens a new one; a backup copies every table
/// into a schema of its own, and a restore puts them back (the change-log sequence with them) and
/// gives the hub a new generation — what `engage-server restored` does after an administrator restores a dump
/// (docs/replication.md, "Generations").
final class SimulatedPostgresHub: SimulationHub, @unchecked Sendable {
    // @unchecked: `current` is only read and replaced under `lock`.
    private let lock = NSLock()
    private var current: PostgresHub
    private var restores = 0
    let path: String
    let clock: SimClock
    private let drop: @Sendable () async -> Void

    static let tables = [
        "field_state", "element_state", "activity", "partner", "conflict", "hub_state", "device", "enrolment", "change_log",
        "node_stamp",
        "sequence_mark",
    ]

    private init(url: String, hub: PostgresHub, clock: SimClock, drop: @escaping @Sendable () async -> Void) {
        path = url
        current = hub
        self.clock = clock
        self.drop = drop
    }

    /// A hub on a fresh database, with the bundled partner registry (as `engage-server` opens one).
    static func make(clock: SimClock) async throws -> SimulatedPostgresHub {
        let (url, drop) = try await TestHub.freshDatabase()
        let hub = try await PostgresHub.open(url: url, physicalMs: clock.now, logger: TestHub.quiet)
        _ = try await hub.importPartners(try BundledData.partners())
        return SimulatedPostgresHub(url: url, hub: hub, clock: clock, drop: drop)
    }

    var hub: PostgresHub { lock.withLock { current } }
    var inner: any HubStorage { hub }

    func restart() async throws {
        await hub.close()
        let reopened = try await PostgresHub.open(url: path, physicalMs: clock.now, logger: TestHub.quiet)
        lock.withLock { current = reopened }
    }

    /// The schema a backup is kept in.
    static func schema(_ name: String) -> String {
        "backup_" + String(name.unicodeScalars.filter { CharacterSet.decimalDigits.contains($0) }.map(Character.init))
    }

    func backup(to name: String) async throws {
        let schema = Self.schema(name)
        var sql = ["DROP SCHEMA IF EXISTS \(schema) CASCADE", "CREATE SCHEMA \(schema)"]
        sql += Self.tables.map { "CREATE TABLE \(schema).\($0) AS SELECT * FROM public.\($0)" }
        try await run(sql)
    }

    func restore(from name: String) async throws {
        let schema = Self.schema(name)
        var sql = ["TRUNCATE " + Self.tables.map { "public." + $0 }.joined(separator: ", ")]
        sql += Self.tables.map { "INSERT INTO public.\($0) SELECT * FROM \(schema).\($0)" }
        sql.append("SELECT setval('change_log_id_seq', COALESCE((SELECT MAX(id) FROM change_log), 0) + 1, false)")
        try await run(sql)
        // Every other restore as the project says (`engage-server restored`: a new generation),
        // the others as an administrator who forgot that step.
        let forgot = lock.withLock {
            restores += 1
            return restores % 2 == 0
        }
        if !forgot { _ = try await hub.takeNewGeneration() }
        try await restart()  // the generation is read at open
    }

    /// Runs `statements` in one transaction under the hub's write lock.
    private func run(_ statements: [String]) async throws {
        _ = try await hub.transaction { connection in
            try await PostgresHub.lockWrites(connection, logger: TestHub.quiet)
            for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestHub.quiet) }
            return 0
        }
    }

    func replicatedRecords() async throws -> [String: RecordState] { try await hub.replicatedRecords() }

    func close() async {
        await hub.close()
        await drop()
    }
}
