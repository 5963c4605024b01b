import EngageProtocol
import Foundation

/// Records one device's view of a session (`engage sync --record FILE`): each exchange with the
/// device's clock readings and the server time it was told; the token is written `<token-1>`.
public final class RecordingTransport: Transport, @unchecked Sendable {
    // @unchecked: `transcript` is guarded by `lock`.
    let inner: any Transport
    let now: @Sendable () -> Int64
    private let lock = NSLock()
    private var transcript: Transcript

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
        for (name, value) in request.headers {
            let key = name.lowercased()
            if ["authorization", "engage-protocol", "content-type"].contains(key) {
                headers[key] = key == "authorization" ? "Bearer <token-1>" : value
            }
        }
        var responseHeaders: [String: String] = [:]
        for key in ["content-type", "engage-server-time"] { if let v = response.headers[key] { responseHeaders[key] = v } }
        lock.withLock {
            transcript.exchanges.append(.init(
                n: transcript.exchanges.count + 1, at: Int64(response.headers["engage-server-time"] ?? "") ?? 0, draws: [],
                setup: nil, deviceClock: [sent, received],
                request: .init(method: request.method, path: request.path, headers: headers, data: request.body ?? Data()),
                response: .init(status: response.status, headers: responseHeaders, data: response.body)))
        }
        return response
    }

    public func write(to url: URL) throws {
        try lock.withLock { try transcript.encoded() }.write(to: url, options: .atomic)
    }
}
