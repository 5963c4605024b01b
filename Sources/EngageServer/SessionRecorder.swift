import CompressNIO
import EngageHubSQLite
import EngageProtocol
import EngageStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Records every exchange the server handles, in order, as a transcript (`serve --record`).
/// While recording, exchanges run one at a time and the clock is frozen during each, so that
/// one clock reading per exchange replays it. Tokens and codes are written as placeholders
/// (`<token-1>`, `<code-1>`), which a replay then issues as the secrets themselves.
public final class SessionRecorder: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`; exchanges are serialised by `gate`.
    private let lock = NSLock()
    private let url: URL
    private var transcript: Transcript
    private var clock: Int64
    private var draws: [Transcript.Draw] = []
    private var secrets = SecretPlaceholders()
    private let base: ServerEnvironment
    let gate = AsyncGate()

    public init(url: URL, base: ServerEnvironment = .system, pullLimit: Int? = nil) {
        self.url = url
        self.base = base
        clock = base.now()
        transcript = Transcript(kind: .server, startedAt: clock)
        transcript.pullLimit = pullLimit
    }

    /// Records the hub's starting state (`Transcript.hubSnapshot`): what shaped it before the
    /// recording began — imports, a registry, earlier syncs — replays with the exchanges. The
    /// copy holds no secret (`HubStore.snapshotWithoutSecrets`) but every activity the hub holds:
    /// taken only when asked (`serve --record-hub-copy`).
    public func startFrom(_ store: HubStore) throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("engage-snapshot-\(UUID().uuidString).sqlite")
        defer { try? FileManager.default.removeItem(at: copy) }
        try store.snapshotWithoutSecrets(to: copy.path)
        var buffer = ByteBuffer(bytes: try Data(contentsOf: copy))
        var gzipped = try buffer.compress(with: .gzip())
        let encoded = Data(gzipped.readBytes(length: gzipped.readableBytes) ?? []).base64EncodedString()
        lock.withLock { transcript.hubSnapshot = encoded }
    }

    /// Marks a recording made on a hub that was there before, without its copy: its replay
    /// needs a copy of that hub (`replay --db`).
    public func startedOnExistingHub() { lock.withLock { transcript.existingHub = true } }

    /// The hub copy taken by `startFrom(_:)`, for tests.
    var snapshotForTests: String? { lock.withLock { transcript.hubSnapshot } }

    /// The environment the recorded server runs with.
    public var environment: ServerEnvironment {
        ServerEnvironment(
            now: { [self] in lock.withLock { clock } },
            draw: { [self] kind in
                let value = base.draw(kind)
                lock.withLock {
                    let recorded = kind == .token || kind == .code ? secrets.placeholder(for: value, kind: kind.rawValue) : value
                    draws.append(.init(kind: kind.rawValue, value: recorded))
                }
                return value
            })
    }

    func begin() {
        lock.withLock {
            clock = base.now()
            draws = []
        }
    }

    /// An `Authorization` value with its credentials as a placeholder, whatever the scheme.
    func redactedAuthorization(_ header: String) -> String { lock.withLock { secrets.authorization(header) } }

    func redactedCode(_ code: String) -> String { lock.withLock { secrets.placeholder(for: code, kind: "code") } }

    /// Replaces every known secret, and every `token` member, in a JSON value by its placeholder.
    func redact(_ value: JSONValue?) -> JSONValue? {
        guard let value else { return nil }
        return lock.withLock { secrets.redact(value) }
    }

    func finish(setup: Transcript.Setup?, request: Transcript.Message, response: Transcript.Message) throws {
        let data: Transcript = lock.withLock {
            transcript.exchanges.append(
                .init(
                    n: transcript.exchanges.count + 1, at: clock, draws: draws, setup: setup, deviceClock: nil,
                    request: request, response: response))
            return transcript
        }
        try data.write(to: url)
    }
}

/// One exchange at a time.
actor AsyncGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

/// Collects a response body so it can be both recorded and sent.
final class BodyBox: @unchecked Sendable {
    // @unchecked: written by one writer, read after it finished.
    var buffer = ByteBuffer()
}

struct CollectingWriter: ResponseBodyWriter {
    let box: BodyBox
    mutating func write(_ buffer: ByteBuffer) async throws {
        var b = buffer
        box.buffer.writeBuffer(&b)
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// The headers a transcript keeps: the ones that change what the exchange means.
enum RecordedHeaders {
    static let request = ["authorization", "engage-protocol", "content-type"]
    static let response = ["content-type", "engage-server-time"]
}

struct RecordingMiddleware<Context: RequestContext>: RouterMiddleware {
    let recorder: SessionRecorder
    let store: any HubStorage
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        await recorder.gate.enter()
        do {
            let response = try await record(request, context: context, next: next)
            await recorder.gate.leave()
            return response
        } catch {
            await recorder.gate.leave()
            throw error
        }
    }

    private func record(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        recorder.begin()
        var request = request
        let requestBody = (try? await request.collectBody(upTo: maxBodyBytes + 1)) ?? ByteBuffer()
        var headers: [String: String] = [:]
        for name in RecordedHeaders.request {
            if let v = request.headers[HTTPField.Name(name)!] {
                headers[name] = name == "authorization" ? recorder.redactedAuthorization(v) : v
            }
        }
        var message = Transcript.Message(
            method: request.method.rawValue, path: request.uri.description, headers: headers,
            data: Data(requestBody.readableBytesView))
        var setup = Transcript.Setup()
        if case .object(var object) = message.body, request.uri.path == "/v1/enroll", case .string(let code) = object["code"] {
            let placeholder = recorder.redactedCode(code)
            if let e = try? await store.enrolment(codeHash: Secrets.codeDigest(code)) {
                setup.enrolment = .init(code: placeholder, name: e.name, post: e.post, role: e.role, expiresAt: e.expiresAt)
            }
            object["code"] = .string(placeholder)
            message.body = .object(object)
        }
        message.body = recorder.redact(message.body)
        if let auth = request.headers[.authorization], auth.hasPrefix("Bearer "),
            let device = try? await store.device(tokenHash: Secrets.hash(String(auth.dropFirst(7)))), device.revoked
        {
            setup.revoked = device.id
        }
        let response = try await next(request, context)
        let box = BodyBox()
        try await response.body.write(CollectingWriter(box: box))
        var responseHeaders: [String: String] = [:]
        for name in RecordedHeaders.response {
            if let v = response.headers[HTTPField.Name(name)!] { responseHeaders[name] = v }
        }
        var recorded = Transcript.Message(
            status: response.status.code, headers: responseHeaders, data: Data(box.buffer.readableBytesView))
        recorded.body = recorder.redact(recorded.body)
        try recorder.finish(
            setup: setup.enrolment == nil && setup.revoked == nil ? nil : setup, request: message, response: recorded)
        return Response(status: response.status, headers: response.headers, body: .init(byteBuffer: box.buffer))
    }
}
