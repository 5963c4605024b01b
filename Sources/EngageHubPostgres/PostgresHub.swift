import EngageCore
import EngageResources
import EngageStorage
import Foundation
import Logging
import PostgresNIO

/// The hub on PostgreSQL: several `engage-server` processes on one database serve as one
/// (docs/architecture.md, "Several servers"). Every method is one transaction on a pooled
/// connection; what writes the replicated state takes the hub's write lock first, so sequence
/// numbers commit in the order they are given.
///
/// `open` connects, migrates (`schema/postgres/`) and reads the generation; `close` ends the
/// connection pool. The database must exist; the user must be allowed to create tables in it.
public final class PostgresHub: Sendable {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger
    /// The server's physical clock in ms.
    let physicalMs: @Sendable () -> Int64
    public let generation: String
    /// How long one transaction may wait for the database before it is reported unavailable.
    let requestTimeout: Duration

    private init(
        client: PostgresClient, runner: Task<Void, Never>, logger: Logger, physicalMs: @escaping @Sendable () -> Int64, generation: String,
        requestTimeout: Duration
    ) {
        self.requestTimeout = requestTimeout
        self.client = client
        self.runner = runner
        self.logger = logger
        self.physicalMs = physicalMs
        self.generation = generation
    }

    /// Connects to `url` (see `DatabaseURL`), migrates the schema and reads the hub's generation.
    /// Throws `invalid_value` for a malformed URL, `database` when the server cannot be reached
    /// or refuses, `file` when the database was migrated by a newer Engage.
    public static func open(
        url: String, physicalMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        logger: Logger = Logger(label: "engage-postgres"), connectTimeout: Duration = PostgresHub.connectTimeout,
        requestTimeout: Duration = .seconds(15)
    ) async throws(StoreError) -> PostgresHub {
        var configuration = try DatabaseURL.configuration(url)
        configuration.options.maximumConnections = 16
        // One connection first: a refusal PostgreSQL states (no such database, user or password)
        // or a port nobody listens on is reported at once, where the pool would retry it.
        try await Self.firstContact(url, logger: logger, limit: connectTimeout)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        do {
            // The pool retries a refused connection for a minute before it gives up: the first
            // exchange gets `connectTimeout` instead, so a wrong URL is reported soon.
            let generation = try await Self.within(connectTimeout, url: url) {
                try await Migrator(client: client, logger: logger, url: url).migrate()
                return try await Self.generation(client, logger: logger)
            }
            return PostgresHub(
                client: client, runner: runner, logger: logger, physicalMs: physicalMs, generation: generation, requestTimeout: requestTimeout)
        } catch {
            runner.cancel()
            await runner.value
            throw Self.wrap(error, url: url)
        }
    }

    /// Connects once to `url` and closes: throws what PostgreSQL refused, in words.
    static func firstContact(_ url: String, logger: Logger, limit: Duration) async throws(StoreError) {
        do {
            let configuration = try DatabaseURL.connectionConfiguration(url)
            let connection = try await within(limit, url: url) {
                try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            }
            try? await connection.close()
        } catch {
            throw Self.refusal(error, url: url)
        }
    }

    /// A failed first contact as a message that says what to fix.
    static func refusal(_ error: any Error, url: String) -> StoreError {
        let place = DatabaseURL.redacted(url)
        guard let error = error as? PSQLError else { return wrap(error, url: url) }
        let said = error.serverInfo?[.message] ?? ""
        switch error.serverInfo?[.sqlState] {
        case "3D000": return StoreError(.database, "PostgreSQL at \(place) says: \(said); create the database (CREATE DATABASE) or fix the URL")
        case "28000", "28P01": return StoreError(.database, "PostgreSQL at \(place) refused the login: \(said); check the user and password in the URL")
        case .some: return StoreError(.database, "PostgreSQL at \(place) refused the connection: \(said)")
        case nil: return StoreError(.unavailable, "cannot reach the database at \(place) (\(error.code)); check that PostgreSQL runs there and the URL (host, port) is right")
        }
    }

    /// How long `open` waits for the database to answer, unless told otherwise.
    public static let connectTimeout: Duration = .seconds(15)

    /// `work`'s result, or `database` ("cannot reach") as soon as `limit` has passed without
    /// one. The work is not awaited past the limit (a pool still retrying may take a minute to
    /// notice it was cancelled); the caller then shuts the pool down.
    static func within<T: Sendable>(_ limit: Duration, url: String, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await within(limit, else: StoreError(
            .unavailable,
            "cannot reach the database at \(DatabaseURL.redacted(url)) within \(limit.components.seconds) s; check that PostgreSQL runs there and the URL (user, host, port, database) is right"),
            work)
    }

    /// `work`'s result, or `timeout` as soon as `limit` has passed without one.
    static func within<T: Sendable>(_ limit: Duration, else timeout: StoreError, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let first = FirstOutcome<T>()
        return try await withCheckedThrowingContinuation { continuation in
            first.continuation = continuation
            // The timer ends as soon as the work answers: one per transaction, it must not linger.
            let timer = Task {
                do { try await Task.sleep(for: limit) } catch { return }
                first.resume(.failure(timeout))
            }
            let worker = Task {
                let outcome: Result<T, any Error>
                do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
                timer.cancel()
                first.resume(outcome)
            }
            first.whenLate { worker.cancel() }
        }
    }

    /// Ends the connection pool; the hub may not be used afterwards.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// The generation, made at the first open of the database.
    static func generation(_ client: PostgresClient, logger: Logger) async throws -> String {
        let made = UUID().uuidString.lowercased()
        try await client.query(
            "INSERT INTO hub_state (id, node_id, hub_generation) VALUES (1, \(HubRules.node.rawValue), \(made)) ON CONFLICT (id) DO NOTHING",
            logger: logger)
        for try await generation in try await client.query("SELECT hub_generation FROM hub_state WHERE id = 1", logger: logger).decode(String.self) {
            return generation
        }
        throw StoreError(.database, "the hub database has no generation row (hub_state); it was not made by engage-server")
    }

    /// Gives the database a new generation, after it was restored from a backup (a dump brings
    /// back the generation it was taken with): devices that synced with the lost history then
    /// start over and send again what the restore lost (docs/replication.md, "Generations").
    /// Servers read the generation when they open the database: restart them afterwards.
    public func takeNewGeneration() async throws(StoreError) -> String {
        let logger = logger, made = UUID().uuidString.lowercased()
        try await transaction { connection in
            try await Self.lockWrites(connection, logger: logger)
            try await connection.query("UPDATE hub_state SET hub_generation = \(made) WHERE id = 1", logger: logger)
        }
        return made
    }

    // MARK: - Transactions

    /// Runs `body` in one transaction on a pooled connection: committed if it returns,
    /// rolled back if it throws. Errors come out as `StoreError`s. With `snapshot`, a read-only
    /// transaction whose statements all see one snapshot (REPEATABLE READ).
    func transaction<T: Sendable>(snapshot: Bool = false, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        let logger = logger, client = client, limit = requestTimeout
        do {
            // A database that is down is answered within `requestTimeout` (the pool would keep
            // the request waiting while it retries, past the device's patience).
            return try await Self.within(limit, else: StoreError(
                .unavailable, "the database did not answer within \(limit.components.seconds) s; nothing was changed — try again later")) {
            try await client.withConnection { connection in
                try await connection.query(snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN", logger: logger)
                do {
                    let value = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
            }
        } catch {
            throw Self.wrap(error)
        }
    }

    /// Takes the hub's write lock for the rest of the transaction: every write of replicated
    /// state (and so every sequence number) is made under it, one transaction at a time across
    /// all server processes (`pg_advisory_xact_lock`, released at commit or rollback).
    static func lockWrites(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLockKey))", logger: logger)
    }

    /// The advisory lock key of the hub's writes ("EngageHW" in ASCII).
    static let writeLockKey: Int64 = 0x456E_6761_6765_4857

    static func wrap(_ error: any Error, url: String? = nil) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return StoreError(.database, "the database refused: \(message); nothing was changed")
            }
            let place = url.map { " at \(DatabaseURL.redacted($0))" } ?? ""
            return StoreError(.unavailable, "cannot reach the database\(place) (\(error.code)); check that PostgreSQL runs and the URL is right")
        }
        if String(describing: error).contains("ConnectionPoolError") {
            let place = url.map { " at \(DatabaseURL.redacted($0))" } ?? ""
            return StoreError(.unavailable, "cannot reach the database\(place); check that PostgreSQL runs and the URL is right")
        }
        return StoreError(.database, "the database failed: \(error); nothing was changed")
    }

    /// Whether `error` is PostgreSQL's unique-violation (SQLSTATE 23505).
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}

/// Resumes a continuation with whichever outcome comes first; later ones are dropped.
private final class FirstOutcome<T: Sendable>: @unchecked Sendable {
    // @unchecked: `continuation` is set before either outcome can arrive and taken under `lock`.
    private let lock = NSLock()
    var continuation: CheckedContinuation<T, any Error>?
    /// Called when the deadline answered first: stops the work.
    private var onLate: (@Sendable () -> Void)?

    func whenLate(_ stop: @escaping @Sendable () -> Void) { lock.withLock { onLate = stop } }

    func resume(_ outcome: Result<T, any Error>) {
        let taken: CheckedContinuation<T, any Error>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        taken?.resume(with: outcome)
        if taken != nil, case .failure(let error) = outcome, error is StoreError { lock.withLock { onLate }?() }
    }
}
