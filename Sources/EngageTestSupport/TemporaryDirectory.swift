import Foundation

/// A fresh directory under the system temporary folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("engage-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A physical clock that tests move by hand.
public final class FakeClock: @unchecked Sendable {
    // @unchecked: the one mutable value is guarded by `lock`.
    private let lock = NSLock()
    private var ms: Int64

    public init(ms: Int64 = 1_767_225_600_000) { self.ms = ms }

    public var now: @Sendable () -> Int64 { { [self] in lock.withLock { ms } } }

    public func advance(_ delta: Int64) { lock.withLock { ms += delta } }
}
