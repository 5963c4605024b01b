import CompressNIO
import Crypto
import EngageClient
import EngageHubSQLite
import EngageProtocol
import EngageStorage
import EngageTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import EngageServer

/// Secrets at rest (issue 22, kind 7): what the hub keeps of an enrolment code resists offline
/// guessing, and recordings hold no secret.
@Suite struct SecretsAtRestTests {
    static let code = "ABCDEFGHJK"
    /// PBKDF2-HMAC-SHA256 of the code, salt `engage-enrolment-code-v1`, 100,000 rounds, 32 bytes
    /// (computed with Python's hashlib): the parameters are part of every hub's data.
    static let codeDigest = "5eb49b624dce425ee8a84d238485f08beb80a36698aa22440710b12854a75825"

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// An environment that draws `code` for a code, at random otherwise.
    static func drawing(_ code: String, clock: FakeClock) -> ServerEnvironment {
        ServerEnvironment(now: clock.now, draw: { $0 == .code ? code : ServerEnvironment.systemDraw($0) })
    }

    @Test(arguments: HubKind.available) func theHubKeepsASlowDigestOfAnEnrolmentCode(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        // Given a code issued by an administrator
        let issued = try await Administration.createEnrolment(
            store: f.storage, name: "tablet", post: "LIMA", role: .advisor, environment: Self.drawing(Self.code, clock: f.clock))
        #expect(issued.code == Self.code)
        // Then the hub holds PBKDF2 of it, not a fast hash a copy of the database could be searched with
        #expect(try await f.storage.enrolment(codeHash: Self.codeDigest) != nil)
        #expect(try await f.storage.enrolment(codeHash: Self.sha256(Self.code)) == nil)
        // And the code still enrols, however it is typed
        try await f.app.test(.router) { client in
            let device = try await enroll(client, code: "abcd-efghjk", node: "device-a")
            #expect(device.post == "LIMA")
        }
        await f.close()
    }

    // MARK: - Recordings

    /// The 64-hex-digit strings of a text: tokens look like this, nothing else recorded does.
    static func tokens(in text: String) -> [String] {
        text.split(whereSeparator: { !$0.isHexDigit }).map(String.init).filter { $0.count == 64 }
    }

    @Test func aServerRecordingHoldsNoTokenInAnyHeaderCase() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let f = try Fixture()
        let code = try await f.code()
        let url = dir.url.appendingPathComponent("session.json")
        let recorder = SessionRecorder(url: url, base: f.environment)
        let app = buildApplication(
            configuration: f.configuration, store: f.storage, environment: recorder.environment, recorder: recorder)
        let token = try await app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
                var h = HTTPFields()
                h[.authorization] = "\(scheme) \(token)"
                try await client.execute(uri: "/v1/pull?cursor=0", method: .get, headers: h) { _ in }
            }
            var h = HTTPFields()
            h[.authorization] = "Basic \(token)"
            try await client.execute(uri: "/v1/pull?cursor=0", method: .get, headers: h) { _ in }
            return token
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(!text.contains(token))
        #expect(Self.tokens(in: text).isEmpty, "\(Self.tokens(in: text))")
        #expect(text.contains("bearer <token-1>") && text.contains("BEARER <token-1>"))
    }

    /// A transport that enrols, answers a push `identity_conflict`, then hands a new identity.
    struct IdentityHandingTransport: Transport {
        let first: String, second: String
        func send(_ request: HTTPExchange.Request) async throws -> HTTPExchange.Response {
            let headers = ["content-type": "application/json", "engage-server-time": "1767225600000"]
            let token = request.path.hasPrefix("/v1/identity") ? second : first
            let body = #"{"deviceId":"dev-2","token":"\#(token)","name":"t","post":"LIMA","role":"advisor","generation":"g"}"#
            return .init(status: 201, headers: headers, body: Data(body.utf8))
        }
    }

    @Test func aDeviceRecordingHoldsNoTokenItSentOrWasGiven() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = String(repeating: "a1", count: 32)
        let second = String(repeating: "b2", count: 32)
        let recorder = RecordingTransport(
            IdentityHandingTransport(first: first, second: second),
            device: .init(deviceId: "dev-1", nodeId: "node-1"), now: { 0 })
        _ = try await recorder.send(
            .init(
                method: "POST", path: "/v1/enroll", headers: ["Content-Type": "application/json"],
                body: Data(#"{"code":"ABCDEFGHJK"}"#.utf8)))
        _ = try await recorder.send(
            .init(
                method: "POST", path: "/v1/identity", headers: ["authorization": "bearer \(first)"],
                body: Data(#"{"nodeId":"node-2"}"#.utf8)))
        _ = try await recorder.send(
            .init(method: "GET", path: "/v1/pull?cursor=0", headers: ["Authorization": "Bearer \(second)"], body: nil))
        let url = dir.url.appendingPathComponent("device.json")
        try recorder.write(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(!text.contains(first) && !text.contains(second) && !text.contains("ABCDEFGHJK"))
        #expect(text.contains("bearer <token-1>") && text.contains("Bearer <token-2>"))
    }

    /// A recording on a hub that was there before carries a copy of it only when asked; the copy
    /// holds no token digest and no code digest.
    @Test func theHubCopyOfARecordingHoldsNoSecret() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let clock = FakeClock()
        let hub = try openHubStore(
            path: dir.path("hub.sqlite"), environment: .init(now: clock.now, draw: ServerEnvironment.systemDraw))
        let environment = Self.drawing(Self.code, clock: clock)
        _ = try await Administration.createEnrolment(
            store: SQLiteHub(hub), name: "t", post: "LIMA", role: .advisor, environment: environment)
        let used = try await Administration.createEnrolment(
            store: SQLiteHub(hub), name: "u", post: "LIMA", role: .advisor,
            environment: Self.drawing("ZZZZZZZZZZ", clock: clock))
        _ = used
        let token = String(repeating: "c3", count: 32)
        _ = try hub.enroll(
            codeHash: Secrets.codeDigest("ZZZZZZZZZZ"), deviceId: "dev-1", nodeId: "node-1", tokenHash: Secrets.hash(token))
        let recorder = SessionRecorder(url: dir.url.appendingPathComponent("s.json"), base: environment)
        try recorder.startFrom(hub)
        let snapshot = try #require(recorder.snapshotForTests)
        var buffer = ByteBuffer(bytes: try #require(Data(base64Encoded: snapshot)))
        let copyPath = dir.path("copy.sqlite")
        try Data(try buffer.decompress(with: .gzip()).readableBytesView).write(to: URL(fileURLWithPath: copyPath))
        let copy = try HubStore(path: copyPath)
        #expect(try copy.enrolment(codeHash: Self.codeDigest) == nil)
        #expect(try copy.device(tokenHash: Secrets.hash(token)) == nil)
        #expect(try copy.partnerCount() > 0)
    }
}
