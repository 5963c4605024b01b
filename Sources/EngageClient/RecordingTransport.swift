import EngageProtocol
import Foundation

/// Records one device's view of a session (`engage sync --record FILE`): each exchange with the
/// device's clock readings and the server time it was told. No secret is written: the token
/// the device sends is `<token-1>`, a new one a hub hands it (a new identity) `<token-2>`, and
/// so on, in every header case and every body; an enrolment code is `<code-1>`.
public final class RecordingTransport: Transport, @unchecked Sendable {
    // @unchecked: `transcript` and `secrets` are guarded by `lock`.
    let inner: any Transport
    let now: @Sendable () -> Int64
    private let lock = NSLock()
    private var transcript: Transcript
    private var secrets = SecretPlaceholders()

    public init(_ inner: any Transport, device: Transcript.Device, now: @escaping @Sendable () -> Int64) {
        self.inner = inner
        self.now = now
        transcript = Transcript(kind: .device, device: device)
    }

    public func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        let sent = now()
        let response = try await inner.send(request)
        let received = now()
        var headers: [String: String] = [:]
        for (name, value) in request.headers
        where ["authorization", "engage-protocol", "content-type"].contains(name.lowercased()) {
            headers[name.lowercased()] = value
        }
        var responseHeaders: [String: String] = [:]
        for key in ["content-type", "engage-server-time"] { if let v = response.headers[key] { responseHeaders[key] = v } }
        lock.withLock {
            var sentMessage = Transcript.Message(
                method: request.method, path: request.path, headers: secrets.redact(headers: headers),
                data: request.body ?? Data())
            if case .object(var object)? = sentMessage.body, request.path.hasPrefix("/v1/enroll"),
                case .string(let code)? = object["code"]
            {
                object["code"] = .string(secrets.placeholder(for: code, kind: "code"))
                sentMessage.body = .object(object)
            }
            sentMessage.body = sentMessage.body.map { secrets.redact($0) }
            var answer = Transcript.Message(status: response.status, headers: responseHeaders, data: response.body)
            answer.body = answer.body.map { secrets.redact($0) }
            transcript.exchanges.append(
                .init(
                    n: transcript.exchanges.count + 1, at: Int64(response.headers["engage-server-time"] ?? "") ?? 0, draws: [],
                    setup: nil, deviceClock: [sent, received], request: sentMessage, response: answer))
        }
        return response
    }

    /// Writes the transcript, readable by its owner only.
    public func write(to url: URL) throws {
        try lock.withLock { transcript }.write(to: url)
    }
}
