import ArgumentParser
import EngageHubSQLite
import EngageServer
import EngageStorage
import Foundation
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the sync API until SIGINT/SIGTERM, on an embedded SQLite file or (--database-url) on PostgreSQL.",
        discussion: """
            On PostgreSQL, several servers may serve one database at once, e.g. behind a load balancer: each is \
            stateless, and the database orders their writes (docs/architecture.md, "How a deployment grows").
            """)

    @OptionGroup var database: ServerDatabase
    @Option(help: "The address to listen on: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)") var host = "127.0.0.1"
    @Option(help: "0 picks a free port") var port = 8080
    @Option(help: "Largest request body, in bytes") var maxBodyBytes = 8 * 1024 * 1024
    @Option(help: "Most changes in one push") var maxBatch = 5_000
    @Option(help: "Most changes in one pull page") var pullLimit = 5_000
    @Option(help: "Record every exchange to this transcript file (see sync-protocol/sessions/README.md)") var record: String?

    func validate() throws {
        if record != nil, database.url != nil {
            throw ValidationError("--record works on the SQLite hub only (a transcript carries a copy of its file); leave out --database-url")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodyBytes > 1_024, maxBatch > 0, pullLimit > 0 else { throw ValidationError("--max-body-bytes must exceed 1024 and --max-batch 0") }
    }

    func run() async throws {
        var config = ServerConfiguration(databasePath: database.path)
        config.host = host
        config.port = port
        config.maxBodyBytes = maxBodyBytes
        config.maxBatchChanges = maxBatch
        config.pullLimit = pullLimit
        let recorder = record.map { SessionRecorder(url: URL(fileURLWithPath: $0), pullLimit: pullLimit == 5_000 ? nil : pullLimit) }
        let environment = recorder?.environment ?? .system
        let store: any HubStorage
        if database.url != nil {
            store = try await database.open(environment: environment)
        } else {
            let existed = FileManager.default.fileExists(atPath: config.databasePath)
            let hub = try openHubStore(path: config.databasePath, environment: environment)
            // A recording on a hub that was there before (imports, registry, earlier syncs) keeps a
            // copy of it, so the transcript replays from the same state.
            if let recorder, existed { try recorder.startFrom(hub) }
            store = SQLiteHub(hub)
        }
        // Logs go to stderr: stdout's first line is the address, for scripts and tests.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "engage-server")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let app = buildApplication(configuration: config, store: store, environment: environment, logger: logger, recorder: recorder) { host, port in
            // Written unbuffered: scripts and tests wait for this first line.
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
        do {
            try await app.runService()
        } catch {
            await database.close(store)
            throw error
        }
        // Stopped by SIGINT/SIGTERM: requests in flight have been answered; the pool closes last.
        await database.close(store)
    }
}
