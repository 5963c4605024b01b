import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Notes every push's JSON bytes and every pull's `limit`, and loses the answers to the
/// requests `losing` names — by path prefix, the numbers (from 0) of the requests to it — after
/// the hub handled them: a connection that dropped before the answer.
final class NotingTransport: Transport, @unchecked Sendable {
    // @unchecked: `sent` is guarded by `lock`.
    let inner: any Transport
    let losing: [String: Set<Int>]
    private let lock = NSLock()
    private var sent: [(path: String, bytes: Int)] = []
    private var answered: [(path: String, bytes: Int)] = []

    init(_ inner: any Transport, losing: [String: Set<Int>]) {
        self.inner = inner
        self.losing = losing
    }

    var pushBytes: [Int] { lock.withLock { sent.filter { $0.path.hasPrefix("/v1/push") }.map(\.bytes) } }
    /// The JSON bytes of the pull answers that arrived.
    var pullAnswerBytes: [Int] { lock.withLock { answered.filter { $0.path.hasPrefix("/v1/pull") }.map(\.bytes) } }
    var pullLimits: [Int] {
        lock.withLock {
            sent.filter { $0.path.hasPrefix("/v1/pull") }.compactMap {
                URLComponents(string: $0.path)?.queryItems?.first { $0.name == "limit" }?.value.flatMap(Int.init)
            }
        }
    }

    func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        let lose = lock.withLock {
            sent.append((request.path, request.body?.count ?? 0))
            return losing.contains { path, numbers in
                request.path.hasPrefix(path) && numbers.contains(sent.count(where: { $0.path.hasPrefix(path) }) - 1)
            }
        }
        let response = try await inner.send(request)
        if lose { throw ClientError.unreachable("the server", "connection closed before the answer") }
        lock.withLock { answered.append((request.path, response.body.count)) }
        return response
    }
}

/// Batch and page sizes adapt to the link: only a failure makes them smaller, the ones after it
/// keep the size that arrived, and those that arrive at the first try grow again.
@Suite struct AdaptiveSizeTests {
    func device(_ f: Fixture, port: Int, losing: [String: Set<Int>]) async throws -> (DeviceStore, NotingTransport, Synchronizer) {
        let store = try DeviceStore.inMemory(physicalMs: f.clock.now)
        let url = "http://127.0.0.1:\(port)"
        _ = try await Synchronizer.enroll(store: store, serverURL: url, code: try await f.code())
        let transport = NotingTransport(URLSessionTransport(baseURL: URL(string: url)!), losing: losing)
        var sync = Synchronizer(store: store, client: SyncClient(transport: transport, token: try #require(try store.enrollment()).token, now: f.clock.now))
        sync.retryDelays = [.zero, .zero, .zero]
        sync.prefetch = false
        return (store, transport, sync)
    }

    @Test func aBatchOrPageThatFailsToArriveGoesAgainSmallerAndTheNextOnesGrowBack() async throws {
        let f = try Fixture(maxBodyBytes: 8 * 1024 * 1024, maxBatch: 5_000)
        try await f.app.test(.live) { client in
            let port = try #require(client.port)
            // The writer's first push loses its answer (after a first sync that pulled the registry).
            let (a, aLink, aSync) = try await device(f, port: port, losing: ["/v1/push": [0]])
            var writer = aSync
            writer.pushMaxBytes = 64 * 1024
            _ = try await writer.sync()
            for i in 0..<120 { _ = try a.log(.at("LIMA", "Port security course \(i)")) }
            let pushed = try await writer.sync()
            #expect(try a.pendingCount() == 0 && pushed.rejected.isEmpty)
            #expect(pushed.pulled == 0, "the batch whose answer was lost came back")
            let bytes = aLink.pushBytes
            // 0: full (about 64 KiB, lost); 1: the same start at about half; then the next keep
            // that size and double back up to the bound.
            #expect(bytes.count >= 4)
            #expect(bytes[1] < bytes[0] * 6 / 10, "the retry went at about half: \(bytes)")
            #expect(bytes[2] <= bytes[1] + 2_048, "the next batch kept the size that arrived: \(bytes)")
            #expect(bytes.dropFirst(3).contains { $0 > bytes[2] + 2_048 }, "later batches grew back: \(bytes)")
            #expect(bytes.allSatisfy { $0 <= 64 * 1024 })

            // The reader's second pull page loses its answer.
            let (b, bLink, bSync) = try await device(f, port: port, losing: ["/v1/pull": [1]])
            let pulled = try await bSync.sync()
            #expect(pulled.pulled >= 1_500)
            #expect(try b.activities(ActivityFilter()).count == 120)
            // 100, 200 (lost), 100 (arrived), then growing from 100 again.
            #expect(Array(bLink.pullLimits.prefix(6)) == [100, 200, 100, 100, 200, 400], "\(bLink.pullLimits)")
        }
    }

    /// The progress line counts the JSON that crossed, each page and batch once: what the pull
    /// answers and push requests carried (before gzip), not the changes encoded again.
    @Test func progressCountsTheBytesThatCrossed() async throws {
        let f = try Fixture(maxBodyBytes: 8 * 1024 * 1024, maxBatch: 5_000)
        try await f.app.test(.live) { client in
            let port = try #require(client.port)
            let (a, aLink, aSync) = try await device(f, port: port, losing: [:])
            let seen = Seen()
            var writer = aSync
            writer.pushMaxBytes = 16 * 1024
            writer.progress = { seen.last = $0 }
            for i in 0..<60 { _ = try a.log(.at("LIMA", "Port security course \(i)")) }
            _ = try await writer.sync()
            let pushed = try #require(seen.last)
            #expect(aLink.pushBytes.count > 2 && pushed.pushedBytes == aLink.pushBytes.reduce(0, +), "\(pushed) \(aLink.pushBytes)")

            let (_, bLink, bSync) = try await device(f, port: port, losing: [:])
            var reader = bSync
            reader.progress = { seen.last = $0 }
            let summary = try await reader.sync()
            let pulled = try #require(seen.last)
            #expect(summary.pulled > 600 && bLink.pullAnswerBytes.count > 2)
            #expect(pulled.pulledBytes == bLink.pullAnswerBytes.reduce(0, +), "\(pulled) \(bLink.pullAnswerBytes)")
        }
    }
}

/// The last progress a sync reported.
final class Seen: @unchecked Sendable {
    // @unchecked: `value` is guarded by `lock`.
    private let lock = NSLock()
    private var value: SyncProgress?
    var last: SyncProgress? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
