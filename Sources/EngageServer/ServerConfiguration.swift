import EngageCore
import Foundation
import HummingbirdTLS

/// How the service runs. Defaults suit one machine serving a few hundred devices.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var databasePath: String
    /// Requests with a larger body get 413.
    public var maxBodyBytes = 8 * 1024 * 1024
    /// Pushes with more changes get 400 `batch_too_large`, telling the client to split them.
    public var maxBatchChanges = 5_000
    /// A pull page holds at most this many changes…
    public var pullLimit = 5_000
    /// …and about this many bytes of JSON.
    public var pullMaxBytes = 4 * 1024 * 1024
    /// A connection on which nothing arrives for this long (ms) is closed: half-open and idle
    /// connections do not pile up.
    public var idleTimeoutMs: Int64 = 60_000
    /// A request body must bring at least `minBodyBytesPerWindow` bytes in every window of
    /// this many ms, or its connection is closed (see `SlowRequestHandler`).
    public var bodyRateWindowMs: Int64 = 30_000
    public var minBodyBytesPerWindow = 1_024
    /// Serve HTTPS with this certificate and key (`serve --tls-cert --tls-key`); nil: plain HTTP,
    /// for loopback or behind a TLS proxy (`--plain-http`).
    public var tls: TLSConfiguration?
    /// `GET /metrics` answers only a request bearing this token (`--metrics-token-file`); nil:
    /// metrics are not served.
    public var metricsToken: String?
    /// Enrolment codes expire after this long.
    public var enrolmentLifetimeMs: Int64 = 72 * 3_600_000

    public init(databasePath: String) { self.databasePath = databasePath }
}

/// The server's sources of time and randomness. Production uses the real ones; recorded
/// sessions replay with recorded ones.
public struct ServerEnvironment: Sendable {
    /// What the server draws at random.
    public enum Draw: String, Sendable, Codable {
        case code, token, deviceID, nodeID
    }

    public var now: @Sendable () -> Int64
    public var draw: @Sendable (Draw) -> String

    public init(now: @escaping @Sendable () -> Int64, draw: @escaping @Sendable (Draw) -> String) {
        self.now = now
        self.draw = draw
    }

    public static let system = ServerEnvironment(now: systemNow, draw: systemDraw)

    public static let systemNow: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    public static let systemDraw: @Sendable (Draw) -> String = { kind in
        var generator = SystemRandomNumberGenerator()
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: .min ... .max, using: &generator) } }
        switch kind {
        case .code: return String(bytes(10).map { Secrets.codeAlphabet[Int($0) % Secrets.codeAlphabet.count] })
        case .token: return Secrets.hex(bytes(32))
        case .deviceID: return "dev-" + Secrets.hex(bytes(6))
        case .nodeID: return Secrets.hex(bytes(8))
        }
    }
}
