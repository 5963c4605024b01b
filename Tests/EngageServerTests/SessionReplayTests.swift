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
import Testing

/// The recorded sessions in sync-protocol/sessions/ replay, exchange by exchange, against a
/// fresh server; and a replay notices a server that behaves differently.
@Suite(.serialized) struct SessionReplayTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sync-protocol/sessions")

    static var sessions: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    static func load(_ name: String) throws -> Transcript {
        try Transcript.decode(Data(contentsOf: folder.appendingPathComponent(name)))
    }

    @Test func theLibraryHoldsTheNamedSessions() {
        let expected = ["first-sync", "different-fields", "same-field-conflict", "delete-vs-edit-restore", "lost-answer-retry",
                        "clock-ahead", "offline-180-days", "revoked-device", "headquarters-pull", "large-pull-pages", "imported-hub"]
        #expect(Set(Self.sessions) == Set(expected.map { "\($0).json" }))
    }

    /// A recording on a hub loaded before it (an import) keeps a copy of that hub; without the
    /// copy the same exchanges do not replay, which is why it is kept.
    @Test func aRecordingOnALoadedHubReplaysFromItsCopy() async throws {
        var transcript = try Self.load("imported-hub.json")
        #expect(transcript.hubSnapshot != nil)
        #expect(try await SessionReplayer.replay(transcript).mismatch == nil)
        transcript.hubSnapshot = nil
        #expect(try await SessionReplayer.replay(transcript).mismatch != nil)
    }

    @Test(arguments: sessions) func everyRecordedSessionReplays(_ name: String) async throws {
        let report = try await SessionReplayer.replay(try Self.load(name))
        #expect(report.ok, "\(name): \(report.mismatch.map { "\($0)" } ?? "")")
        #expect(report.matched == report.total && report.total > 0)
    }

    @Test func aServerWithTheTieBreakReversedIsCaught() async throws {
        let report = try await SessionReplayer.replay(try Self.load("same-field-conflict.json")) { store in
            var reversed = store
            reversed.registerRule = Self.registerReversed
            return SQLiteHub(reversed)
        }
        #expect(!report.ok)
    }

    @Test func aServerThatDropsAChangeIsCaught() async throws {
        let report = try await SessionReplayer.replay(try Self.load("different-fields.json")) { DroppingHub(inner: SQLiteHub($0), index: 3) }
        let mismatch = try #require(report.mismatch)
        #expect(mismatch.request.contains("/v1/push") || mismatch.request.contains("/v1/pull"))
    }

    @Test func aTamperedTranscriptReportsTheFieldThatDiffers() async throws {
        var transcript = try Self.load("first-sync.json")
        let i = try #require(transcript.exchanges.firstIndex { $0.request.path?.hasPrefix("/v1/pull") == true })
        guard case .object(var body) = transcript.exchanges[i].response.body else { Issue.record("no body"); return }
        body["cursor"] = .int(999_999)
        transcript.exchanges[i].response.body = .object(body)
        let mismatch = try #require(try await SessionReplayer.replay(transcript).mismatch)
        #expect(mismatch.exchange == i + 1 && mismatch.field == "body $.cursor" && mismatch.recorded == "999999")
    }

    @Test func aDeviceTranscriptReplaysAgainstTheStateItStartedFrom() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try openHubStore(path: dir.path("server.sqlite"))
        var configuration = ServerConfiguration(databasePath: dir.path("server.sqlite"))
        configuration.port = 0
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let app = buildApplication(configuration: configuration, store: SQLiteHub(store), logger: logger)
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            let code = try await Administration.createEnrolment(store: SQLiteHub(store), name: "tablet", post: "LIMA", role: .advisor).code
            let device = try DeviceStore(path: dir.path("device.sqlite"))
            _ = try await Synchronizer.enroll(store: device, serverURL: url, code: code)
            var activity = Activity.sample("Recorded course")
            activity.post = "LIMA"
            try device.log(activity)
            // Given the server state before the sync
            try store.snapshot(to: dir.path("before.sqlite"), asBackup: false)
            // When the device syncs with recording on
            let (sync, recorder) = try Synchronizer.forEnrolledDevice(device, record: true)
            _ = try await sync.sync()
            try recorder?.write(to: dir.url.appendingPathComponent("device.json"))
        }
        let transcript = try Transcript.decode(Data(contentsOf: dir.url.appendingPathComponent("device.json")))
        #expect(transcript.kind == .device && transcript.exchanges.count >= 2)
        #expect(!String(decoding: try transcript.encoded(), as: UTF8.self).contains(try #require(try DeviceStore(path: dir.path("device.sqlite")).enrollment()).token))
        // Then it replays, exchange by exchange, against that state
        let report = try await SessionReplayer.replay(transcript, databasePath: dir.path("before.sqlite"))
        #expect(report.ok, "\(report.mismatch.map { "\($0)" } ?? "")")
    }

    /// The register rule reversed: the earlier write wins. Wrong on purpose.
    @Sendable static func registerReversed(_ current: Register?, _ value: FieldValue, stamp: HLC) -> Register? {
        guard let current else { return Register(value: value, stamp: stamp) }
        return stamp < current.stamp ? Register(value: value, stamp: stamp) : nil
    }
}

/// A hub that loses the change at `index` of every push.
struct DroppingHub: ForwardingHub {
    let inner: any HubStorage
    let index: Int

    func push(_ changes: [Change], from device: DeviceRecord, relay: Bool) async throws(StoreError) -> PushResult {
        try await inner.push(changes.enumerated().filter { $0.offset != index }.map(\.element), from: device, relay: relay)
    }
}
