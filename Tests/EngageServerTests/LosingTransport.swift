import EngageClient
import Foundation

/// Loses the answer to the first request whose path starts with `path`, after the server
/// handled it — the fault of a connection closed before the answer.
final class LosingTransport: Transport, @unchecked Sendable {
    // @unchecked: `armed` is guarded by `lock`.
    let inner: any Transport
    private let lock = NSLock()
    private var armed: String?

    init(_ inner: any Transport, losing path: String? = nil) {
        self.inner = inner
        armed = path
    }

    func loseNextAnswer(to path: String) { lock.withLock { armed = path } }

    func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        let response = try await inner.send(request)
        let lose = lock.withLock { () -> Bool in
            guard let armed, request.path.hasPrefix(armed) else { return false }
            self.armed = nil
            return true
        }
        if lose { throw ClientError.unreachable("the server", "connection closed before the answer") }
        return response
    }
}
