import CompressNIO
import EngageHubSQLite
import EngageProtocol
import EngageStorage
import Foundation
import FoundationNetworking
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(FoundationNetworking)
#endif

/// Replays a transcript against a fresh server (or a given database) with the recorded clock
/// and draws, and compares each answer with the recorded one.
public enum SessionReplayer {
    public struct Mismatch: Sendable, CustomStringConvertible {
        public var exchange: Int
        public var request: String
        public var field: String
        public var recorded: String
        public var now: String
        public var description: String {
            "exchange \(exchange) (\(request)): \(field) differs — recorded \(recorded), now \(now)"
        }
    }

    public struct Report: Sendable {
        public var matched: Int
        public var total: Int
        public var mismatch: Mismatch?
        public var ok: Bool { mismatch == nil }
    }

    /// Responses whose body is volatile by nature (documented in sync-protocol/sessions/README.md).
    static let volatileBodies: Set<String> = ["/metrics"]

    /// Replays `transcript` against a fresh hub (or the one at `databasePath`), started from its
    /// `hubSnapshot` when it has one. `serving` makes the storage the service is built on from the
    /// opened store: a test gives it a store that merges differently, to show a replay notices.
    public static func replay(
        _ transcript: Transcript, databasePath: String? = nil, serving: @Sendable (HubStore) -> any HubStorage = { SQLiteHub($0) }
    ) async throws -> Report {
        let script = Script()
        let environment = script.environment
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("engage-replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        if transcript.existingHub == true, transcript.hubSnapshot == nil, databasePath == nil {
            throw TranscriptError(
                "this session was recorded on a hub that held data, without its copy (serve --record-hub-copy): "
                    + "replay it against a copy of that hub taken before the recording (replay --db COPY)")
        }
        let path = databasePath ?? temporary.appendingPathComponent("server.sqlite").path
        script.set(clock: transcript.startedAt ?? transcript.exchanges.first?.at ?? 0)
        if let snapshot = transcript.hubSnapshot {
            guard let gzipped = Data(base64Encoded: snapshot) else { throw TranscriptError("hubSnapshot is not base64") }
            var buffer = ByteBuffer(bytes: gzipped)
            let sqlite = try buffer.decompress(with: .gzip())
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(sqlite.readableBytesView).write(to: URL(fileURLWithPath: path))
        }
        var store = try openHubStore(path: path, environment: environment)
        // The hub's generation is drawn when its database is made: take the one the session saw.
        if let generation = transcript.exchanges.lazy.compactMap({ exchange -> String? in
            if case .object(let body)? = exchange.response.body, case .string(let g)? = body["generation"] { return g }
            return nil
        }).first {
            try store.adoptGeneration(generation)
        }
        if transcript.kind == .device, let device = transcript.device {
            try store.setToken(deviceId: device.deviceId, tokenHash: Secrets.hash("<token-1>"))
        }
        var configuration = ServerConfiguration(databasePath: path)
        configuration.port = 0
        if let limit = transcript.pullLimit { configuration.pullLimit = limit }
        var logger = Logger(label: "engage-replay")
        logger.logLevel = .error
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(configuration: configuration, store: serving(store), environment: environment, logger: logger)
        { _, port in
            portSink.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TranscriptError("the replay server did not start") }
        let base = "http://127.0.0.1:\(port)"
        var report = Report(matched: 0, total: transcript.exchanges.count)
        // The replay's checkpoint for each recorded one: a device transcript's clock readings are
        // the answers' `Engage-Server-Time`, not the hub's clock inside the exchange, so the marks
        // (the hub's clock) may differ by milliseconds; later requests name the replay's.
        var marks: [String: String] = [:]
        for exchange in transcript.exchanges {
            script.begin(exchange)
            if let setup = exchange.setup { try apply(setup, to: store) }
            let request = renaming(exchange.request, marks)
            let response = try await send(base, request)
            if case .object(let recorded)? = exchange.response.body, case .string(let was)? = recorded["checkpoint"],
                case .object(let now)? = Transcript.Message(headers: [:], data: response.body).body,
                case .string(let replayed)? = now["checkpoint"]
            {
                marks[was] = replayed
            }
            if let mismatch = compare(exchange, response, ignoringCheckpoints: transcript.kind == .device) {
                report.mismatch = mismatch
                break
            }
            report.matched += 1
        }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        return report
    }

    /// One request over loopback, as the recorded client sent it.
    static func send(_ base: String, _ message: Transcript.Message) async throws -> (
        status: Int, headers: [String: String], body: Data
    ) {
        guard let url = URL(string: base + (message.path ?? "/")) else { throw TranscriptError("bad path \(message.path ?? "")") }
        var request = URLRequest(url: url)
        request.httpMethod = message.method ?? "GET"
        for (name, value) in message.headers { request.setValue(value, forHTTPHeaderField: name) }
        if message.body != nil || message.text != nil { request.httpBody = message.data }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TranscriptError("no HTTP answer") }
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { if let k = k as? String, let v = v as? String { headers[k.lowercased()] = v } }
        return (http.statusCode, headers, data)
    }

    static func apply(_ setup: Transcript.Setup, to store: HubStore) throws {
        if let e = setup.enrolment, try store.enrolment(codeHash: Secrets.codeDigest(e.code)) == nil {
            try store.createEnrolment(
                codeHash: Secrets.codeDigest(e.code), name: e.name, post: e.post,
                role: DeviceRecord.Role(rawValue: e.role) ?? .advisor, expiresAt: e.expiresAt)
        }
        if let id = setup.revoked { try store.revoke(deviceId: id) }
    }

    /// `message` naming the replay's checkpoints where it named recorded ones.
    static func renaming(_ message: Transcript.Message, _ marks: [String: String]) -> Transcript.Message {
        guard !marks.isEmpty else { return message }
        var message = message
        if case .object(var body)? = message.body, case .string(let was)? = body["checkpoint"], let replayed = marks[was] {
            body["checkpoint"] = .string(replayed)
            message.body = .object(body)
        }
        if let path = message.path, let range = path.range(of: "checkpoint=") {
            let value = path[range.upperBound...].prefix { $0 != "&" }
            if let replayed = marks[String(value)] {
                message.path = path.replacingOccurrences(of: "checkpoint=" + value, with: "checkpoint=" + replayed)
            }
        }
        return message
    }

    static func compare(
        _ exchange: Transcript.Exchange, _ response: (status: Int, headers: [String: String], body: Data),
        ignoringCheckpoints: Bool = false
    ) -> Mismatch? {
        let label = "\(exchange.request.method ?? "?") \(exchange.request.path ?? "?")"
        func mismatch(_ field: String, _ recorded: String, _ now: String) -> Mismatch {
            Mismatch(exchange: exchange.n, request: label, field: field, recorded: recorded, now: now)
        }
        if let status = exchange.response.status, status != response.status {
            return mismatch("status", "\(status)", "\(response.status)")
        }
        for (name, value) in exchange.response.headers.sorted(by: { $0.key < $1.key }) where response.headers[name] != value {
            return mismatch("header \(name)", value, response.headers[name] ?? "absent")
        }
        let path = exchange.request.path.map { String($0.prefix { $0 != "?" }) } ?? ""
        if volatileBodies.contains(path) { return nil }
        var now = Transcript.Message(headers: [:], data: response.body)
        var recordedBody = exchange.response.body
        if ignoringCheckpoints {
            if case .object(var o)? = now.body {
                o["checkpoint"] = nil
                now.body = .object(o)
            }
            if case .object(var o)? = recordedBody {
                o["checkpoint"] = nil
                recordedBody = .object(o)
            }
        }
        if let recorded = recordedBody, let current = now.body {
            return recorded.firstDifference(from: current).map { mismatch("body \($0.path)", $0.recorded, $0.now) }
        }
        if exchange.response.text != now.text || (exchange.response.body == nil) != (now.body == nil) {
            return mismatch(
                "body", exchange.response.text ?? "\(exchange.response.body.map { "\($0)" } ?? "empty")",
                now.text ?? "\(now.body.map { "\($0)" } ?? "empty")")
        }
        return nil
    }
}

/// The recorded clock and draws, handed out in order.
final class Script: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var clock: Int64 = 0
    private var draws: [Transcript.Draw] = []

    func set(clock: Int64) { lock.withLock { self.clock = clock } }

    func begin(_ exchange: Transcript.Exchange) {
        lock.withLock {
            clock = exchange.at
            draws = exchange.draws
        }
    }

    var environment: ServerEnvironment {
        ServerEnvironment(
            now: { [self] in lock.withLock { clock } },
            draw: { [self] kind in
                lock.withLock {
                    // A draw the recording did not make is a difference the answers will show.
                    if let i = draws.firstIndex(where: { $0.kind == kind.rawValue }) { return draws.remove(at: i).value }
                    return "<unrecorded-\(kind.rawValue)>"
                }
            })
    }
}
