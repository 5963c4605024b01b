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
import Testing

/// A device: its own database and a real URLSession client.
struct TestDevice {
    let store: DeviceStore
    let transport: LosingTransport
    var sync: Synchronizer

    init(port: Int, code: String, clock: FakeClock) async throws {
        store = try DeviceStore.inMemory(physicalMs: clock.now)
        let url = "http://127.0.0.1:\(port)"
        _ = try await Synchronizer.enroll(store: store, serverURL: url, code: code)
        let enrollment = try #require(try store.enrollment())
        transport = LosingTransport(URLSessionTransport(baseURL: URL(string: url)!))
        sync = Synchronizer(store: store, client: SyncClient(transport: transport, token: enrollment.token, now: clock.now))
        sync.retryDelays = []  // the tests lose answers on purpose and look at what the next sync does
    }

    func activity(_ id: UUID) throws -> Activity? { try store.activities(ActivityFilter(includeDeleted: true)).first { $0.id == id } }
}

/// A live server on 127.0.0.1, port 0, with two or three real clients on separate databases.
@Suite struct LiveSyncTests {
    func live(_ kind: HubKind, _ body: @escaping @Sendable (Fixture, Int) async throws -> Void) async throws {
        let f = try await Fixture.make(kind, maxBodyBytes: 8 * 1024 * 1024, maxBatch: 5_000)
        do {
            try await f.app.test(.live) { client in try await body(f, try #require(client.port)) }
        } catch {
            await f.close()
            throw error
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func createSyncSeeAndEditDifferentFieldsOffline(_ kind: HubKind) async throws {
        try await live(kind) { f, port in
            let a = try await TestDevice(port: port, code: try await f.code(), clock: f.clock)
            let b = try await TestDevice(port: port, code: try await f.code(), clock: f.clock)
            let activity = try a.store.log(.at("LIMA"))
            let pushed = try await a.sync.sync()
            #expect(pushed.pushed > 0 && pushed.rejected.isEmpty)
            _ = try await b.sync.sync()
            #expect(try b.activity(activity.id) == activity)
            #expect(try b.store.partners().count >= 30)
            f.clock.advance(1_000)
            try a.store.edit(activity.id) { $0.title = "Port security course, phase 2" }
            try b.store.edit(activity.id) { $0.participants = 31 }
            _ = try await a.sync.sync(); _ = try await b.sync.sync(); _ = try await a.sync.sync()
            for device in [a, b] {
                let seen = try #require(try device.activity(activity.id))
                #expect(seen.title == "Port security course, phase 2" && seen.participants == 31)
                #expect(try device.store.conflicts().isEmpty)
            }
        }
    }

    @Test(arguments: HubKind.available) func sameFieldOneWinnerEverywhereAndAConflictThenResolved(_ kind: HubKind) async throws {
        try await live(kind) { f, port in
            let a = try await TestDevice(port: port, code: try await f.code(), clock: f.clock)
            let b = try await TestDevice(port: port, code: try await f.code(), clock: f.clock)
            let c = try await TestDevice(port: port, code: try await f.code(), clock: f.clock)
            let activity = try a.store.log(.at("LIMA"))
            _ = try await a.sync.sync(); _ = try await b.sync.sync()
            try a.store.edit(activity.id) { $0.notes = "from A" }
            f.clock.advance(500)
            try b.store.edit(activity.id) { $0.notes = "from B" }
            _ = try await a.sync.sync()
            let summary = try await b.sync.sync()
            #expect(summary.conflicts.count == 1)
            _ = try await a.sync.sync(); _ = try await c.sync.sync()
            for device in [a, b, c] {
                #expect(try device.activity(activity.id)?.notes == "from B")
                #expect(try device.store.conflicts().count == 1)
            }
            let conflict = try #require(try c.store.conflicts().first)
            #expect(conflict.other.value == .string("from A"))
            // Any advisor of the post may settle it (c keeps A's text); everyone converges.
            try c.store.resolve(conflict: conflict.id, .keepOther)
            _ = try await c.sync.sync(); _ = try await a.sync.sync(); _ = try await b.sync.sync()
            for device in [a, b, c] {
                #expect(try device.activity(activity.id)?.notes == "from A")
                #expect(try device.store.conflicts().isEmpty)
            }
        }
    }

    /// Headquarters may not settle a conflict with another value (that edits an advisor's field):
    /// refused at once on the device, nothing written, the conflict still open everywhere; it may
    /// settle by keeping the current value.
    @Test func headquartersSettlesOnlyByKeepingTheCurrentValue() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a"), b = try await stack.device("b"), hq = try await stack.device("hq", post: "HQ", role: .hq)
            let activity = try a.store.log(NothingLostTests.activity("Course"))
            try await a.sync(); try await b.sync()
            try a.store.edit(activity.id) { $0.notes = "from A" }
            try b.store.edit(activity.id) { $0.notes = "from B" }
            try await a.sync(); try await b.sync(); try await hq.sync()
            let conflict = try #require(try hq.store.conflicts().first)
            for settlement in [Settlement.keepOther, .value("a third text")] {
                #expect(throws: StoreError.self) { try hq.store.resolve(conflict: conflict.id, settlement) }
            }
            #expect(try hq.store.pendingChanges().isEmpty && hq.store.conflicts().count == 1)
            try hq.store.resolve(conflict: conflict.id, .keepCurrent)
            try await hq.sync(); try await a.sync()
            #expect(try a.store.conflicts().isEmpty && a.activity(activity.id)?.notes == conflict.current.value.stringValue)
        }
    }

    @Test(arguments: HubKind.available) func deleteVersusEditKeepsTheFieldsAndRaisesAConflict(_ kind: HubKind) async throws {
        try await live(kind) { f, port in
            let a = try await TestDevice(port: port, code: try await f.code(), clock: f.clock)
            let b = try await TestDevice(port: port, code: try await f.code(), clock: f.clock)
            let activity = try a.store.log(.at("LIMA"))
            _ = try await a.sync.sync(); _ = try await b.sync.sync()
            try a.store.delete(activity.id)
            try b.store.edit(activity.id) { $0.status = .completed }
            _ = try await a.sync.sync(); _ = try await b.sync.sync(); _ = try await a.sync.sync()
            for device in [a, b] {
                let seen = try #require(try device.activity(activity.id))
                #expect(seen.deleted && seen.status == .completed)
                #expect(try device.store.conflicts().map(\.field) == ["deleted"])
            }
            try a.store.restore(activity.id)
            _ = try await a.sync.sync(); _ = try await b.sync.sync()
            #expect(try b.activity(activity.id)?.deleted == false)
        }
    }

    @Test(arguments: HubKind.available) func aPushWhoseAnswerIsLostIsRetriedWithoutDuplicates(_ kind: HubKind) async throws {
        try await live(kind) { f, port in
            let a = try await TestDevice(port: port, code: try await f.code(), clock: f.clock)
            let activity = try a.store.log(.at("LIMA"))
            a.transport.loseNextAnswer(to: "/v1/push")
            await #expect(throws: SyncError.self) { try await a.sync.sync() }  // the pull still ran
            #expect(try a.store.pendingChanges().count > 0)  // not acknowledged, still queued
            let cursor = try await f.cursor()
            let retried = try await a.sync.sync()
            #expect(retried.rejected.isEmpty)
            #expect(try await f.cursor() == cursor)  // the retry changed nothing at the hub
            #expect(try a.store.pendingChanges().isEmpty)
            let history = try await a.sync.history(activityId: activity.id.uuidString.lowercased())
            #expect(!history.isEmpty && history.count == Set(history.map(\.stamp)).count)
            // A lost pull answer is simply pulled again.
            a.transport.loseNextAnswer(to: "/v1/pull")
            await #expect(throws: ClientError.self) { try await a.sync.sync() }
            _ = try await a.sync.sync()
            #expect(try a.activity(activity.id) == activity)
        }
    }

    @Test(arguments: HubKind.available) func aRevokedDeviceIsRefusedAndKeepsItsData(_ kind: HubKind) async throws {
        try await live(kind) { f, port in
            let a = try await TestDevice(port: port, code: try await f.code(), clock: f.clock)
            let activity = try a.store.log(.at("LIMA"))
            _ = try await a.sync.sync()
            try await f.storage.revoke(deviceId: try #require(try a.store.enrollment()).deviceId)
            try a.store.edit(activity.id) { $0.notes = "after revocation" }
            do {
                _ = try await a.sync.sync()
                Issue.record("a revoked device synced")
            } catch let error as ClientError {
                #expect(error.code == "device_revoked")
            }
            #expect(try a.activity(activity.id)?.notes == "after revocation")
            #expect(try a.store.pendingChanges().count == 1)
        }
    }

    @Test(arguments: HubKind.available) func anAdvisorOfAnotherPostNeitherReadsNorWritesAndIsToldWhy(_ kind: HubKind) async throws {
        try await live(kind) { f, port in
            let lima = try await TestDevice(port: port, code: try await f.code(post: "LIMA"), clock: f.clock)
            let santiago = try await TestDevice(port: port, code: try await f.code(post: "SANTIAGO"), clock: f.clock)
            let hq = try await TestDevice(port: port, code: try await f.code(post: "HQ", role: .hq), clock: f.clock)
            let mine = try lima.store.log(.at("LIMA"))
            // The device refuses at once what its enrolment may not do, saying why.
            #expect { try santiago.store.log(.at("LIMA", "Logged at the wrong post")) } throws: {
                ($0 as? StoreError)?.code == .outOfScope && "\($0)".contains("SANTIAGO")
            }
            let misplaced = Activity.at("LIMA", "Logged at the wrong post")
            _ = try await lima.sync.sync()
            // The hub refuses the same from a client that does not check (its own stamps, raw push).
            let raw = SyncClient(transport: URLSessionTransport(baseURL: URL(string: "http://127.0.0.1:\(port)")!),
                                 token: try #require(try santiago.store.enrollment()).token, now: f.clock.now)
            let answer = try await raw.push(creation(misplaced, node: try santiago.store.nodeID().rawValue, at: f.clock.now())).0
            #expect(!answer.rejected.isEmpty && answer.rejected.allSatisfy { $0.code == "out_of_scope" })
            _ = try await santiago.sync.sync()
            #expect(try santiago.activity(mine.id) == nil)
            _ = try await hq.sync.sync()
            #expect(try hq.activity(mine.id) == mine)
            #expect(try hq.activity(misplaced.id) == nil)
        }
    }
}
