import EngageClient
import EngageCore
import EngageHubSQLite
@testable import EngageHubPostgres
import EngageModel
import EngageProtocol
import EngageServer
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// A server on a fresh hub (SQLite in memory, or a PostgreSQL database of its own) with a clock
/// the test moves, and helpers to enrol devices. A PostgreSQL fixture is ended with `close()`.
struct Fixture {
    let clock: FakeClock
    let kind: HubKind
    let storage: any HubStorage
    private let sqlite: HubStore?
    private let closer: @Sendable () async -> Void
    var configuration = ServerConfiguration(databasePath: ":memory:")
    let environment: ServerEnvironment

    init(maxBodyBytes: Int = 64 * 1024, maxBatch: Int = 100) throws {
        let clock = FakeClock()
        let store = try HubStore.inMemory(physicalMs: clock.now)
        try store.importPartners(try DeviceStore.bundledPartners())
        self.init(clock: clock, kind: .sqlite, storage: SQLiteHub(store), sqlite: store, closer: {}, maxBodyBytes: maxBodyBytes, maxBatch: maxBatch)
    }

    /// A fixture on a hub of `kind`.
    static func make(_ kind: HubKind, maxBodyBytes: Int = 64 * 1024, maxBatch: Int = 100) async throws -> Fixture {
        guard kind == .postgres else { return try Fixture(maxBodyBytes: maxBodyBytes, maxBatch: maxBatch) }
        let clock = FakeClock()
        let (url, drop) = try await TestHub.freshDatabase()
        let hub = try await PostgresHub.open(url: url, physicalMs: clock.now, logger: TestHub.quiet)
        _ = try await hub.importPartners(try DeviceStore.bundledPartners())
        return Fixture(clock: clock, kind: kind, storage: hub, sqlite: nil, closer: {
            await hub.close()
            await drop()
        }, maxBodyBytes: maxBodyBytes, maxBatch: maxBatch)
    }

    private init(
        clock: FakeClock, kind: HubKind, storage: any HubStorage, sqlite: HubStore?, closer: @escaping @Sendable () async -> Void,
        maxBodyBytes: Int, maxBatch: Int
    ) {
        self.clock = clock
        self.kind = kind
        self.storage = storage
        self.sqlite = sqlite
        self.closer = closer
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.maxBodyBytes = maxBodyBytes
        configuration.maxBatchChanges = maxBatch
        environment = ServerEnvironment(now: clock.now, draw: ServerEnvironment.systemDraw)
    }

    /// The SQLite store, for the tests that only run on it.
    var store: HubStore { sqlite! }

    /// The hub's latest sequence number.
    func cursor() async throws -> Int64 {
        if let sqlite { return try sqlite.cursor() }
        return Int64(try await (storage as! PostgresHub).count("SELECT local_seq FROM hub_state"))
    }

    func replicatedRecords() async throws -> [String: RecordState] {
        if let sqlite { return try sqlite.replicatedRecords() }
        return try await (storage as! PostgresHub).replicatedRecords()
    }

    func close() async { await closer() }

    var app: some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return buildApplication(configuration: configuration, store: storage, environment: environment, logger: logger)
    }

    func code(post: String = "LIMA", role: DeviceRecord.Role = .advisor, lifetimeMs: Int64 = 72 * 3_600_000) async throws -> String {
        try await Administration.createEnrolment(store: storage, name: "test \(post)", post: post, role: role, environment: environment,
                                           lifetimeMs: lifetimeMs).code
    }
}

/// A JSON body.
func json(_ value: some Encodable) throws -> ByteBuffer { ByteBuffer(bytes: try WireJSON.encode(value)) }

func headers(token: String? = nil, version: String? = nil) -> HTTPFields {
    var h = HTTPFields()
    h[.contentType] = "application/json"
    if let token { h[.authorization] = "Bearer \(token)" }
    if let version { h[HTTPField.Name("Engage-Protocol")!] = version }
    return h
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try WireJSON.decode(type, from: Data(body.readableBytesView)) }
    var errorCode: String? { (try? decode(ErrorResponse.self))?.error.code }
}

/// Enrols through the API; returns the token and the node the device claimed.
func enroll(_ client: some TestClientProtocol, code: String, node: String) async throws -> EnrollResponse {
    try await client.execute(uri: "/v1/enroll", method: .post, headers: headers(), body: try json(EnrollRequest(code: code, nodeId: node))) {
        #expect($0.status == .created)
        return try $0.decode(EnrollResponse.self)
    }
}

/// Stamped changes that create an activity, as device `node` would write them.
func creation(_ activity: Activity, node: String, at ms: Int64 = 1_767_225_600_000) -> [Change] {
    var clock = HybridClock(node: NodeID(node)!)
    return LocalEdit.changes(from: RecordState(), to: activity, clock: &clock, physicalMs: ms, seen: 0)
}

extension Activity {
    static func at(_ post: String, _ title: String = "Port security course", id: UUID = UUID()) -> Activity {
        var a = Activity.sample(title, id: id)
        a.post = post
        return a
    }
}
