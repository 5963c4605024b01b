import ArgumentParser
import EngageHubSQLite
import EngageServer
import EngageStorage
import Foundation

@main
struct EngageServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engage-server",
        abstract: "Run the Engage sync service and administer its devices.",
        discussion: "The database is --db PATH, else $ENGAGE_SERVER_DB, else ./engage-server.sqlite.",
        version: "0.1.0",
        subcommands: [Serve.self, EnrollDevice.self, Devices.self, ImportData.self, Replay.self]
    )
}

struct ServerDatabase: ParsableArguments {
    @Option(name: .long, help: "The server database (default: $ENGAGE_SERVER_DB, else ./engage-server.sqlite).")
    var db: String?

    var path: String {
        db ?? ProcessInfo.processInfo.environment["ENGAGE_SERVER_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "engage-server.sqlite"
    }

    /// Whether the database is there already.
    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Opens the hub's database (creating and migrating it, and loading the bundled partner
    /// registry on first start).
    func open(environment: ServerEnvironment = .system) async throws -> any HubStorage {
        SQLiteHub(try openHubStore(path: path, environment: environment))
    }
}
