import ArgumentParser
import EngageHubPostgres
import EngageHubSQLite
import EngageServer
import EngageStorage
import Foundation
import Logging

@main
struct EngageServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engage-server",
        abstract: "Run the Engage sync service and administer its devices.",
        discussion: """
            The database is an embedded SQLite file by default: --db PATH, else $ENGAGE_SERVER_DB, else \
            ./engage-server.sqlite. For several servers on one database, PostgreSQL: --database-url-file FILE (a \
            file readable by this user only holding postgres://USER:PASSWORD@HOST:PORT/DATABASE), else \
            $ENGAGE_DATABASE_URL when --db is not given. --database-url takes a URL without a password only: \
            a command line is visible to every user of the machine (ps).
            """,
        version: "0.1.0",
        subcommands: [Serve.self, EnrollDevice.self, Devices.self, ImportData.self, Restored.self, Replay.self]
    )

    /// Every file this program creates (the hub database and its WAL, recordings, mapping
    /// reports, backups) is readable by its owner only: activity data and secrets' digests.
    static func main() async {
        umask(0o077)
        await main(nil)
    }
}

struct ServerDatabase: ParsableArguments {
    @Option(name: .long, help: "The server's SQLite file (default: $ENGAGE_SERVER_DB, else ./engage-server.sqlite).")
    var db: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A PostgreSQL database instead of the SQLite file, without a password (a password goes in --database-url-file or $ENGAGE_DATABASE_URL)",
            valueName: "postgres://user@host:port/database"))
    var databaseURL: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A file readable by this user only holding the PostgreSQL URL, password included", valueName: "file"))
    var databaseURLFile: String?

    func validate() throws {
        if [db != nil, databaseURL != nil, databaseURLFile != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give one of --db (a SQLite file), --database-url or --database-url-file (PostgreSQL)")
        }
        if let databaseURL, SecretFile.hasPassword(databaseURL) {
            throw ValidationError(
                """
                --database-url carries a password, which every user of this machine can read on the command line (ps): \
                put the URL in a file readable by you only and give --database-url-file FILE, or set $ENGAGE_DATABASE_URL
                """)
        }
        if let databaseURLFile { _ = try SecretFile.read(databaseURLFile, what: "--database-url-file") }
    }

    private static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The PostgreSQL URL to use, if the hub is on PostgreSQL: `--database-url`, else
    /// `$ENGAGE_DATABASE_URL` unless `--db` names a file.
    var url: String? {
        if let databaseURLFile { return try? SecretFile.read(databaseURLFile, what: "--database-url-file") }
        return databaseURL ?? (db == nil ? Self.environment("ENGAGE_DATABASE_URL") : nil)
    }

    /// The SQLite file (when `url` is nil).
    var path: String { db ?? Self.environment("ENGAGE_SERVER_DB") ?? "engage-server.sqlite" }

    /// Where the hub is, for messages: the file, or the URL without its password.
    var place: String { url.map(DatabaseURL.redacted) ?? path }

    /// Whether the database is there already (a PostgreSQL database always is: it is made by its administrator).
    var exists: Bool { url != nil || FileManager.default.fileExists(atPath: path) }

    /// Opens the hub's database (creating and migrating it, and loading the bundled partner
    /// registry on first start). A hub on PostgreSQL is closed with `close(_:)`.
    func open(environment: ServerEnvironment = .system) async throws -> any HubStorage {
        guard let url else { return SQLiteHub(try openHubStore(path: path, environment: environment)) }
        // The pool's own reports (a connection retried, closed) are noise on an administrator's
        // terminal: errors only, unless LOG_LEVEL asks for more.
        var logger = Logger(label: "engage-postgres")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        let hub = try await PostgresHub.open(url: url, physicalMs: environment.now, logger: logger)
        do {
            if try await hub.partnerCount() == 0 { _ = try await hub.importPartners(try BundledData.partners()) }
        } catch {
            await hub.close()
            throw error
        }
        return hub
    }

    /// Ends the connections of a hub on PostgreSQL; nothing for SQLite.
    func close(_ hub: any HubStorage) async {
        if let hub = hub as? PostgresHub { await hub.close() }
    }

    /// Runs `body` on the opened hub, closing it afterwards.
    func with<T>(environment: ServerEnvironment = .system, _ body: (any HubStorage) async throws -> T) async throws -> T {
        let hub = try await open(environment: environment)
        do {
            let value = try await body(hub)
            await close(hub)
            return value
        } catch {
            await close(hub)
            throw error
        }
    }
}
