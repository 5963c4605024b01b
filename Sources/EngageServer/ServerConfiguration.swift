import Foundation

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
    /// Enrolment codes expire after this long.
    public var enrolmentLifetimeMs: Int64 = 72 * 3_600_000

    public init(databasePath: String) { self.databasePath = databasePath }
}

/// The server's sources of time and randomness. Production uses the real ones; recorded
/// sessions replay with recorded ones.
public struct ServerEnvironment: Sendable {
    public var now: @Sendable () -> Int64
    public var randomBytes: @Sendable (Int) -> [UInt8]

    public init(now: @escaping @Sendable () -> Int64, randomBytes: @escaping @Sendable (Int) -> [UInt8]) {
        self.now = now
        self.randomBytes = randomBytes
    }

    public static let system = ServerEnvironment(
        now: { Int64(Date().timeIntervalSince1970 * 1000) },
        randomBytes: { count in
            var generator = SystemRandomNumberGenerator()
            return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        })
}
