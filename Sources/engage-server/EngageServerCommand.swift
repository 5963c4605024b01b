import ArgumentParser

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
}
