import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageServer
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// A hub store the simulation drives, of either kind: the service sees only `HubStorage`,
/// exactly as in production; the simulation also restarts it, backs it up and restores a backup.
protocol SimulationHub: ForwardingHub {
    /// Where the database is: a file, or a PostgreSQL URL.
    var path: String { get }
    /// The process restarted: the database is opened again.
    func restart() async throws
    /// A backup of the hub as it is now, under `name`.
    func backup(to name: String) async throws
    /// The hub restored from the backup `name`: every other time as the project restores (a new
    /// generation), in between as an administrator with ordinary tools would (a plain copy of
    /// the file, `pg_restore` without `engage-server restored`: the generation unchanged).
    func restore(from name: String) async throws
    func replicatedRecords() async throws -> [String: RecordState]
    /// Ends the hub (and removes its database, where the test made one).
    func close() async
}

/// The real `HubStore` on a real SQLite file, behind a box the simulation can swap: a restart
/// reopens the file, a restore replaces it with an older backup.
final class SimulatedHub: SimulationHub, @unchecked Sendable {
    // @unchecked: `current` is only read and replaced under `lock`.
    private let lock = NSLock()
    private var current: HubStore
    private var backups = 0
    let path: String
    let clock: SimClock

    init(path: String, clock: SimClock) throws {
        self.path = path
        self.clock = clock
        current = try openHubStore(path: path, environment: ServerEnvironment(now: clock.now, draw: ServerEnvironment.systemDraw))
    }

    var store: HubStore { lock.withLock { current } }

    /// The process restarted: the database is opened again from its file.
    func restart() throws {
        try lock.withLock {
            current = try HubStore(path: path, physicalMs: clock.now)
        }
    }

    /// A backup of the hub as it is now: every other one the project's (a new generation in
    /// the copy), the others a plain copy of the database, as `sqlite3 .backup` or a file copy
    /// of a stopped hub makes (the same generation).
    func backup(to file: String) throws {
        try? FileManager.default.removeItem(atPath: file)
        let ordinary = lock.withLock {
            backups += 1
            return backups % 2 == 0
        }
        try store.snapshot(to: file, asBackup: !ordinary)
    }

    /// The hub restored from `file`: the live database is replaced by the backup.
    func restore(from file: String) throws {
        try lock.withLock {
            current = try HubStore.inMemory(physicalMs: clock.now)  // releases the file
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            try FileManager.default.copyItem(atPath: file, toPath: path)
            current = try HubStore(path: path, physicalMs: clock.now)
        }
    }

    func replicatedRecords() throws -> [String: RecordState] { try store.replicatedRecords() }

    func close() async {}

    // MARK: HubStorage, forwarded to the store open now

    var inner: any HubStorage { SQLiteHub(store) }
}

/// A clock the simulation sets; reads are thread-safe.
final class SimClock: @unchecked Sendable {
    // @unchecked: `ms` is guarded by `lock`.
    private let lock = NSLock()
    private var ms: Int64
    init(_ ms: Int64) { self.ms = ms }
    var now: @Sendable () -> Int64 { { [self] in lock.withLock { ms } } }
    func set(_ value: Int64) { lock.withLock { ms = value } }
}

/// The client's transport into the real request handlers in-process (HummingbirdTesting's
/// router client): the same routes, decoding and errors as over HTTP.
struct RouterTransport: Transport {
    let client: any TestClientProtocol

    func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        var fields = HTTPFields()
        for (name, value) in request.headers { if let n = HTTPField.Name(name) { fields[n] = value } }
        let answer = try await client.executeRequest(
            uri: request.path, method: HTTPRequest.Method(rawValue: request.method)!, headers: fields,
            body: request.body.map { ByteBuffer(bytes: $0) })
        var headers: [String: String] = [:]
        for field in answer.headers { headers[field.name.canonicalName] = field.value }
        return .init(status: Int(answer.status.code), headers: headers, body: Data(answer.body.readableBytesView))
    }
}

/// Faults on the way: a request lost before the hub, or its answer lost after the hub
/// committed (for a pull, the page is cut). Decisions come from the schedule's seeded
/// generator, in request order, so a seed replays. Delivered push answers are noted: what
/// the hub acknowledged to whom.
final class FaultyNetwork: @unchecked Sendable {
    // @unchecked: every mutable value is guarded by `lock`.
    private let lock = NSLock()
    private var rng: SeededRandom
    private var lossBefore = 0.0, lossAfter = 0.0
    private(set) var acknowledged: [(device: String, change: Change, restores: Int)] = []
    /// How many times the hub was restored from a backup so far.
    private(set) var restores = 0
    func noteRestore() { lock.withLock { restores += 1 } }
    private(set) var refusals: [String] = []

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    func setLoss(before: Double, after: Double) {
        lock.withLock {
            lossBefore = before
            lossAfter = after
        }
    }

    fileprivate func decide(after: Bool) -> Bool {
        lock.withLock { rng.chance(after ? lossAfter : lossBefore) }
    }

    fileprivate func note(_ device: String, _ request: HTTPExchange.Request, _ response: HTTPExchange.Response) {
        guard request.path == "/v1/push", response.status == 200, let body = request.body,
            let sent = try? WireJSON.decode(PushRequest.self, from: body),
            let answer = try? WireJSON.decode(PushResponse.self, from: response.body)
        else { return }
        let accepted = Set(answer.accepted)
        lock.withLock {
            acknowledged += sent.changes.filter { accepted.contains($0.stamp) }.map { (device, $0, restores) }
            refusals += answer.rejected.map {
                "\(device) refused \($0.stamp)\(sent.relay == true ? " (relayed)" : ""): \($0.code) \($0.message)"
            }
        }
    }

    func transport(_ inner: any Transport, device: String) -> any Transport {
        Faulty(inner: inner, network: self, device: device)
    }

    struct Faulty: Transport {
        let inner: any Transport
        let network: FaultyNetwork
        let device: String

        func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
            if network.decide(after: false) { throw ClientError.unreachable("simulated hub", "request lost") }
            let response = try await inner.send(request)
            if network.decide(after: true) { throw ClientError.unreachable("simulated hub", "answer lost") }
            network.note(device, request, response)
            return response
        }
    }
}
