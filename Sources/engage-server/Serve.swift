import ArgumentParser
import EngageHubSQLite
import EngageServer
import EngageStorage
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the sync API until SIGINT/SIGTERM, on an embedded SQLite file or (--database-url) on PostgreSQL.",
        discussion: """
            On PostgreSQL, several servers may serve one database at once, e.g. behind a load balancer: each is \
            stateless, and the database orders their writes (docs/architecture.md, "How a deployment grows").
            """)

    @OptionGroup var database: ServerDatabase
    @Option(
        help: ArgumentHelp(
            "The address to listen on: 127.0.0.1 (this machine only). Any other address needs --tls-cert and --tls-key, or --plain-http behind a TLS proxy",
            valueName: "address"))
    var host = "127.0.0.1"
    @Option(help: "0 picks a free port") var port = 8080
    @Option(help: ArgumentHelp("Serve HTTPS with this certificate chain (PEM), with --tls-key", valueName: "file")) var tlsCert:
        String?
    @Option(help: ArgumentHelp("The certificate's private key (PEM), readable by this user only", valueName: "file")) var tlsKey:
        String?
    @Flag(
        help: "Serve plain HTTP on an address other than loopback: only behind a TLS proxy, or in a test lab (docs/deployment.md)"
    )
    var plainHttp = false
    @Option(
        help: ArgumentHelp(
            "Serve GET /metrics to requests bearing the token in this file (without it, /metrics is off)", valueName: "file"))
    var metricsTokenFile: String?
    @Option(help: "Largest request body, in bytes") var maxBodyBytes = 8 * 1024 * 1024
    @Option(help: "Most changes in one push") var maxBatch = 5_000
    @Option(help: "Most changes in one pull page") var pullLimit = 5_000
    @Option(help: "Record every exchange to this transcript file (see sync-protocol/sessions/README.md)") var record: String?
    @Flag(
        help:
            "With --record on a hub that holds data: put a copy of it in the transcript (every activity, no secret), so it replays alone"
    )
    var recordHubCopy = false

    func validate() throws {
        if record != nil, database.url != nil {
            throw ValidationError(
                "--record works on the SQLite hub only (a transcript carries a copy of its file); leave out --database-url")
        }
        if recordHubCopy, record == nil { throw ValidationError("--record-hub-copy goes with --record FILE") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodyBytes > 1_024, maxBatch > 0, pullLimit > 0 else {
            throw ValidationError("--max-body-bytes must exceed 1024 and --max-batch 0")
        }
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("give --tls-cert and --tls-key together (both PEM files)")
        }
        if tlsCert != nil, plainHttp { throw ValidationError("--plain-http and --tls-cert contradict each other; give one") }
        if tlsCert == nil, !plainHttp, !Self.isLoopback(host) {
            throw ValidationError(
                """
                refusing to serve plain HTTP on \(host): devices' tokens and activities would cross the network unencrypted. \
                Give --tls-cert FILE --tls-key FILE (PEM), or --plain-http if a TLS proxy in front of this server terminates TLS \
                (docs/deployment.md)
                """)
        }
    }

    /// Whether `host` is this machine's loopback interface only.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h == "::1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The server's TLS settings from the PEM files: TLS 1.2 at least.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let tlsCert, let tlsKey else { return nil }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMFile(tlsCert) } catch {
            throw ValidationError(
                "cannot read a PEM certificate from \(tlsCert) (\(error)); give the certificate chain, leaf first")
        }
        guard !chain.isEmpty else { throw ValidationError("\(tlsCert) holds no PEM certificate") }
        do { key = try NIOSSLPrivateKey(file: tlsKey, format: .pem) } catch {
            throw ValidationError("cannot read a PEM private key from \(tlsKey) (\(error)); give the key without a passphrase")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    /// The metrics token, from a file readable by its owner only.
    func metricsToken() throws -> String? {
        guard let metricsTokenFile else { return nil }
        let text = try SecretFile.read(metricsTokenFile, what: "--metrics-token-file")
        guard text.count >= 16 else {
            throw ValidationError(
                "the metrics token in \(metricsTokenFile) is shorter than 16 characters; use e.g. `openssl rand -hex 32`")
        }
        return text
    }

    func run() async throws {
        var config = ServerConfiguration(databasePath: database.path)
        config.host = host
        config.port = port
        config.maxBodyBytes = maxBodyBytes
        config.maxBatchChanges = maxBatch
        config.pullLimit = pullLimit
        config.tls = try tlsConfiguration()
        config.metricsToken = try metricsToken()
        let recorder = record.map {
            SessionRecorder(url: URL(fileURLWithPath: $0), pullLimit: pullLimit == 5_000 ? nil : pullLimit)
        }
        let environment = recorder?.environment ?? .system
        let store: any HubStorage
        if database.url != nil {
            store = try await database.open(environment: environment)
        } else {
            let existed = FileManager.default.fileExists(atPath: config.databasePath)
            let hub = try openHubStore(path: config.databasePath, environment: environment)
            // A recording on a hub that was there before (imports, registry, earlier syncs) keeps a
            // copy of it when asked, so the transcript replays from the same state; without the
            // copy it replays against a copy of the hub (`replay --db`).
            if let recorder, existed {
                if recordHubCopy { try recorder.startFrom(hub) } else { recorder.startedOnExistingHub() }
            }
            store = SQLiteHub(hub)
        }
        // Logs go to stderr: stdout's first line is the address, for scripts and tests.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "engage-server")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let scheme = config.tls == nil ? "http" : "https"
        let app = buildApplication(
            configuration: config, store: store, environment: environment, logger: logger, recorder: recorder
        ) { host, port in
            // Written unbuffered: scripts and tests wait for this first line.
            FileHandle.standardOutput.write(Data("listening on \(scheme)://\(host):\(port)\n".utf8))
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
