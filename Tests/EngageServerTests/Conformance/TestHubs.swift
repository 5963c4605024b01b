import EngageHubPostgres
import EngageHubSQLite
import EngageStorage
import EngageTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

/// The hub stores every conformance test runs on. SQLite always; PostgreSQL when
/// `ENGAGE_TEST_DATABASE_URL` names a server whose user may create databases (`scripts/test`
/// starts a throwaway cluster and sets it, with `ENGAGE_REQUIRE_POSTGRES=1` so that a missing
/// server fails the run instead of leaving PostgreSQL untested).
enum HubKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var adminURL: String? { ProcessInfo.processInfo.environment["ENGAGE_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var required: Bool { ProcessInfo.processInfo.environment["ENGAGE_REQUIRE_POSTGRES"] == "1" }

    /// The kinds to run: PostgreSQL too when a server is configured or required.
    static var available: [HubKind] { adminURL != nil || required ? allCases : [.sqlite] }
}

/// A hub store of one kind on a database of its own, made for one test and removed after it.
struct TestHub: Sendable {
    let storage: any HubStorage
    var devices: any HubDevices { storage }
    private let closer: @Sendable () async -> Void

    /// Runs `body` on a fresh hub of `kind` whose clock is `clock`.
    static func with<T: Sendable>(_ kind: HubKind, clock: FakeClock, _ body: (TestHub) async throws -> T) async throws -> T {
        let hub = try await open(kind, clock: clock)
        do {
            let value = try await body(hub)
            await hub.close()
            return value
        } catch {
            await hub.close()
            throw error
        }
    }

    static func open(_ kind: HubKind, clock: FakeClock) async throws -> TestHub {
        switch kind {
        case .sqlite:
            return TestHub(storage: SQLiteHub(try HubStore.inMemory(physicalMs: clock.now)), closer: {})
        case .postgres:
            let (url, drop) = try await Self.freshDatabase()
            let hub = try await PostgresHub.open(url: url, physicalMs: clock.now, logger: Self.quiet)
            return TestHub(storage: hub, closer: {
                await hub.close()
                await drop()
            })
        }
    }

    static let quiet = Logger(label: "engage-test-postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A new, empty database on the test server, and how to drop it.
    static func freshDatabase() async throws -> (url: String, drop: @Sendable () async -> Void) {
        guard let admin = HubKind.adminURL, var parts = URLComponents(string: admin) else {
            throw TestHubError("PostgreSQL is required (ENGAGE_REQUIRE_POSTGRES=1) but ENGAGE_TEST_DATABASE_URL is not set; run scripts/test, which starts a server")
        }
        let name = "engage_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        // A language collation (ICU en-US, where "a-b" sorts after "a_c"), not the cluster's C: a
        // query that relies on the database's collation for an order SQLite gives byte by byte fails here.
        try await adminQuery(admin, "CREATE DATABASE \(name) LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8' TEMPLATE template0")
        parts.path = "/" + name
        let url = parts.string!
        return (url, { try? await adminQuery(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
    }

    /// One statement on the server's maintenance connection (`name` is made here, never typed).
    static func adminQuery(_ admin: String, _ sql: String) async throws {
        var configuration = try DatabaseURL.configuration(admin)
        configuration.tls = .disable
        let client = PostgresClient(configuration: configuration, backgroundLogger: quiet)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: quiet)
    }

    func close() async { await closer() }
}

struct TestHubError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
