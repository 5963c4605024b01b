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
import Hummingbird
import HummingbirdTesting
import Logging

/// The shipped stack for scenario tests: the real hub store on a SQLite file, the real request
/// handlers (in-process), and devices with their own database files and `Synchronizer`s.
/// Clocks are the test's to move.
final class Stack: @unchecked Sendable {
    // @unchecked: a test drives it from one task; what it shares (hub, network) locks itself.
    let folder: String
    let clock = SimClock(1_767_225_600_000)
    let hub: SimulatedHub
    let network = FaultyNetwork(seed: 1)
    var transport: (any Transport)!
    private(set) var nowMs: Int64 = 1_767_225_600_000
    var devices: [StackDevice] = []

    private init(folder: String) throws {
        self.folder = folder
        hub = try SimulatedHub(path: folder + "/hub.sqlite", clock: clock)
    }

    /// Runs `body` with a fresh stack; `configure` adjusts the server (body limit, page size).
    static func run(
        configure: (inout ServerConfiguration) -> Void = { _ in }, _ body: @escaping @Sendable (Stack) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("engage-stack-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let stack = try Stack(folder: folder)
        var configuration = ServerConfiguration(databasePath: stack.hub.path)
        configure(&configuration)
        var logger = Logger(label: "stack")
        logger.logLevel = .critical
        let app = buildApplication(configuration: configuration, store: stack.hub,
                                   environment: ServerEnvironment(now: stack.clock.now, draw: ServerEnvironment.systemDraw), logger: logger)
        try await app.test(.router) { client in
            stack.transport = RouterTransport(client: client)
            try await body(stack)
        }
    }

    /// Enrols a new device with its own database file.
    func device(_ name: String, post: String = "LIMA", role: DeviceRecord.Role = .advisor) async throws -> StackDevice {
        let device = try StackDevice(stack: self, name: name, path: folder + "/\(name).sqlite", clock: SimClock(nowMs))
        try await device.enroll(post: post, role: role)
        devices.append(device)
        return device
    }

    /// A device on a copy of `original`'s database (a backup restored onto another tablet).
    func copy(of original: StackDevice, as name: String) throws -> StackDevice {
        let path = folder + "/\(name).sqlite"
        try original.store.backup(to: path)
        let device = try StackDevice(stack: self, name: name, path: path, clock: SimClock(nowMs + original.skewMs))
        device.skewMs = original.skewMs
        devices.append(device)
        return device
    }

    /// Moves every clock (hub and devices, each keeping its skew) on by `ms`.
    func advance(_ ms: Int64) {
        nowMs += ms
        clock.set(nowMs)
        for d in devices { d.clock.set(nowMs + d.skewMs) }
    }

    func code(post: String, role: DeviceRecord.Role) async throws -> String {
        try await Administration.createEnrolment(store: hub, name: "test", post: post, role: role,
                                           environment: ServerEnvironment(now: clock.now, draw: ServerEnvironment.systemDraw)).code
    }
}

/// One device of a `Stack`.
final class StackDevice: @unchecked Sendable {
    // @unchecked: used by one task at a time.
    unowned let stack: Stack
    let name: String
    let store: DeviceStore
    let clock: SimClock
    var skewMs: Int64 = 0
    /// Wraps the transport of every exchange (faults, tampering); identity when nil.
    var wrap: ((any Transport) -> any Transport)?

    init(stack: Stack, name: String, path: String, clock: SimClock) throws {
        self.stack = stack
        self.name = name
        self.clock = clock
        store = try DeviceStore(path: path, physicalMs: clock.now)
    }

    var transport: any Transport { wrap?(stack.transport) ?? stack.transport }

    func enroll(post: String, role: DeviceRecord.Role = .advisor) async throws {
        let client = SyncClient(transport: transport, token: nil, now: clock.now)
        _ = try await Synchronizer.enroll(store: store, client: client, serverURL: "http://stack",
                                          code: try await stack.code(post: post, role: role))
    }

    func synchronizer() throws -> Synchronizer {
        guard let e = try store.enrollment() else { throw ClientError.notEnrolled }
        var synchronizer = Synchronizer(store: store, client: SyncClient(transport: transport, token: e.token, now: clock.now))
        synchronizer.retryDelays = []  // scenarios decide when the network fails and when a sync ends
        return synchronizer
    }

    @discardableResult
    func sync(_ adjust: (inout Synchronizer) -> Void = { _ in }) async throws -> SyncSummary {
        var s = try synchronizer()
        adjust(&s)
        return try await s.sync()
    }

    func activity(_ id: UUID) throws -> Activity? { try store.activities(ActivityFilter(includeDeleted: true)).first { $0.id == id } }

    /// Sets the device's clock `skew` ms off the hub's.
    func skew(_ ms: Int64) {
        skewMs = ms
        clock.set(stack.nowMs + ms)
    }
}

/// A transport that lets a test change answers or drop requests.
struct TamperingTransport: Transport {
    let inner: any Transport
    let tamper: @Sendable (HTTPExchange.Request, HTTPExchange.Response) throws -> HTTPExchange.Response

    func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
        try tamper(request, try await inner.send(request))
    }
}

/// A count shared with transports' closures.
final class Tally: @unchecked Sendable {
    // @unchecked: `count` is guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    /// Counts one more and returns the new count.
    func next() -> Int { lock.withLock { count += 1; return count } }
}
