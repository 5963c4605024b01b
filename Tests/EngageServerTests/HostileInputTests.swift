import EngageClient
import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageReports
import EngageServer
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

#if canImport(Glibc)
#endif

/// Single requests that used to crash or bloat the service.
@Suite struct HostileInputTests {
    func push(_ body: String, _ client: some TestClientProtocol, token: String) async throws -> (HTTPResponse.Status, String?) {
        try await client.execute(uri: "/v1/push", method: .post, headers: headers(token: token), body: ByteBuffer(string: body)) {
            ($0.status, $0.errorCode)
        }
    }

    @Test func escapesAndNestingThatCrashedTheReaderGetA400() async throws {
        let f = try Fixture(maxBodyBytes: 1024 * 1024)
        let code = try await f.code()
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            let change =
                #"{"collection":"activities","record":"r","field":"title","op":"set","stamp":"019b76daa8000000-device-a","value":"\ud800\u0041"}"#
            let (status, error) = try await push(#"{"changes":["# + change + "]}", client, token: token)
            #expect(status == .badRequest && ["invalid_body", "malformed_json"].contains(error ?? ""))
            // A key twice: readers disagree on which counts (Foundation takes the first), so it is refused.
            let twice =
                #"{"collection":"activities","record":"r","field":"kind","op":"set","field":"title","stamp":"019b76daa8000000-device-a","value":"x"}"#
            try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: token),
                body: ByteBuffer(string: #"{"changes":["# + twice + "]}")
            ) {
                #expect(
                    $0.status == .badRequest && String(buffer: $0.body).contains("appears twice"), "\(String(buffer: $0.body))")
            }
            let deep =
                #"{"x":"# + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + #","changes":[]}"#
            let (deepStatus, _) = try await push(deep, client, token: token)
            #expect(deepStatus == .badRequest)
            // The server still answers.
            let (ok, _) = try await push(#"{"changes":[]}"#, client, token: token)
            #expect(ok == .ok)
        }
    }

    @Test func unauthenticatedEnrolmentBodiesAreBoundedSmall() async throws {
        let f = try Fixture(maxBodyBytes: 8 * 1024 * 1024)
        try await f.app.test(.router) { client in
            let big = "[" + Array(repeating: "{}", count: 100_000).joined(separator: ",") + "]"
            try await client.execute(uri: "/v1/enroll", method: .post, headers: headers(), body: ByteBuffer(string: big)) {
                #expect($0.status == .contentTooLarge)
            }
        }
    }

    @Test func aHugeParticipantCountIsRefusedAndReportsCannotOverflow() throws {
        var a = Activity.sample()
        a.participants = Int(Int64.max)
        #expect(throws: ModelError.self) { try a.validate() }
        let change = Change(
            collection: "activities", recordId: a.id.uuidString.lowercased(), field: "participants", op: .set(.int(.max)),
            stamp: HLC(wallMs: 1, counter: 0, node: NodeID("a")!))
        #expect(ActivityFields.validate(change)?.field == "participants")
    }

    /// The upper-case spelling of another post's activity id became a second record with the
    /// same id at headquarters: every spelling but the canonical one is refused, per change.
    @Test func anActivityIdHasOneSpelling() async throws {
        let f = try Fixture()
        let code = try await f.code()
        let id = UUID().uuidString  // upper-case
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            for record in [id, "{\(id.lowercased())}", id.lowercased().replacingOccurrences(of: "-", with: ""), "r", ""] {
                let change =
                    #"{"collection":"activities","record":"\#(record)","field":"title","op":"set","stamp":"019b76daa8000000-device-a","value":"x"}"#
                let body = try await client.execute(
                    uri: "/v1/push", method: .post, headers: headers(token: token),
                    body: ByteBuffer(string: #"{"changes":["# + change + "]}")
                ) { String(buffer: $0.body) }
                #expect(body.contains(#""code":"invalid_value""#) && body.contains("lower-case UUID"), "\(record): \(body)")
            }
            let state = try f.store.replicatedRecords()
            #expect(state.keys.filter { $0.hasPrefix("activities/") }.isEmpty)
        }
        #expect(ActivityFields.isCanonicalID(id.lowercased()))
        #expect(!ActivityFields.isCanonicalID(id))
    }

    /// One push of a removal naming 10,000 made-up additions (about 250 KB) was stored whole, and
    /// every device of the post then spent hours merging them. A removal may name at most 1,000
    /// additions, and at most 64 the hub does not hold, none later than itself; one that names
    /// what it holds is taken.
    @Test(arguments: HubKind.available) func aRemovalNamesOnlyAdditionsItCouldHaveSeen(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind, maxBodyBytes: 4 * 1024 * 1024, maxBatch: 1_000)
        let code = try await f.code()
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            let activity = Activity.at("LIMA")
            let created = creation(activity, node: "device-a")
            let add = try #require(created.first { $0.field == "partners" })
            let id = activity.id.uuidString.lowercased()
            var clock = HybridClock(node: NodeID("device-a")!, last: created.map(\.stamp).max())
            func made(_ n: Int) -> [HLC] { (0..<n).map { _ in clock.tick(physicalMs: 1_767_225_600_000) } }
            func removal(_ observed: [HLC]) -> Change {
                let element = if case .add(let e) = add.op { e } else { "" }
                return Change(
                    collection: ActivityFields.collection, recordId: id, field: add.field,
                    op: .remove(element, observed: observed),
                    stamp: clock.tick(physicalMs: 1_767_225_600_000))
            }
            // An addition later than the removal naming it was never seen by its device: held, it
            // would lie at the hub beyond its clock (found by the simulation's adversary).
            let later = HLC(wallMs: 1_767_225_600_000 + 3_600_000, counter: 0, node: NodeID("made-up-node")!)
            let poisons = [
                removal(made(65)), removal(made(2_000)), removal([add.stamp] + made(1_000)), removal([add.stamp, later]),
            ]
            let fine = removal([add.stamp] + made(3))
            let answer = try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: token),
                body: try json(PushRequest(changes: created + poisons + [fine]))
            ) { try $0.decode(PushResponse.self) }
            #expect(Set(answer.rejected.map(\.stamp)) == Set(poisons.map(\.stamp)), "\(answer.rejected.map(\.message))")
            #expect(answer.rejected.allSatisfy { $0.code == "invalid_value" })
            #expect(answer.accepted.contains(fine.stamp))
            let tags = try await f.replicatedRecords()["activities/" + id]?.tags[add.field]?.values.map(\.count).reduce(0, +)
            #expect(tags == 4)  // the addition and the three the good removal named
            // The same made-up tags in many small removals, and in many additions: an element
            // holds at most 1,000 tags however they come.
            let small = (0..<20).map { _ in removal(made(60)) }
            let adds = (0..<100).map { _ in
                Change(
                    collection: ActivityFields.collection, recordId: id, field: add.field, op: add.op,
                    stamp: clock.tick(physicalMs: 1_767_225_600_000))
            }
            let again = try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: token),
                body: try json(PushRequest(changes: small + adds))
            ) { try $0.decode(PushResponse.self) }
            let held = try await f.replicatedRecords()["activities/" + id]?.tags[add.field]?.values.map(\.count).reduce(0, +) ?? 0
            #expect(held <= HubPushRules.maxObserved && held > 900, "\(held) tags")
            #expect(!again.rejected.isEmpty && again.rejected.allSatisfy { $0.code == "invalid_value" })
            // Or spread over many invented elements: the activity holds at most 2,000 tags in all.
            let spread = (0..<60).map { i in
                Change(
                    collection: ActivityFields.collection, recordId: id, field: add.field,
                    op: .remove("X\(i)", observed: made(60)),
                    stamp: clock.tick(physicalMs: 1_767_225_600_000))
            }
            _ = try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: token),
                body: try json(PushRequest(changes: spread))
            ) { #expect($0.status == .ok) }
            let all =
                try await f.replicatedRecords()["activities/" + id]?.tags.values.flatMap(\.values).map(\.count).reduce(0, +) ?? 0
            #expect(all <= HubPushRules.maxTagsPerRecord && all > 1_900, "\(all) tags on the activity")
        }
        await f.close()
    }

    /// A relay may bring back a conflict the hub lost, never replace the body of one it holds:
    /// a forged body with a later stamp would hide the side someone typed.
    @Test func aRelayCannotRewriteAConflict() async throws {
        try await Stack.run { stack in
            let a = try await stack.device("a")
            let b = try await stack.device("b")
            let x = try a.store.log(NothingLostTests.activity())
            try await a.sync()
            try await b.sync()
            try a.store.edit(x.id) { $0.notes = "typed on a" }
            try b.store.edit(x.id) { $0.notes = "typed on b" }
            try await a.sync()
            try await b.sync()
            let held = try #require(
                try stack.hub.store.replicatedRecords().first { $0.key.hasPrefix(ConflictRecord.collection + "/") })
            let body = try #require(held.value.registers[ConflictRecord.bodyField])
            var forged = try JSONDecoder().decode(Conflict.self, from: Data(try #require(body.value.stringValue).utf8))
            forged.other.value = .string("forged")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let text = String(decoding: try encoder.encode(forged), as: UTF8.self)
            let node = try b.store.nodeID().rawValue
            let device = try #require(try stack.hub.store.devices().first { $0.nodeId == node })
            let later = HLC(wallMs: body.stamp.wallMs + 1_000, counter: 0, node: HubStore.node)
            let change = Change(
                collection: ConflictRecord.collection, recordId: forged.id, field: ConflictRecord.bodyField,
                op: .set(.string(text)), stamp: later)
            let result = try stack.hub.store.push([change], from: device, relay: true)
            #expect(result.rejected.map(\.code) == ["wrong_author"])  // conflicts are the hub's alone: never taken from a relay
            #expect(try stack.hub.store.replicatedRecords()[held.key]?.registers[ConflictRecord.bodyField] == body)
        }
    }

    @Test func onlyLoopbackMayBePlainHTTPWithoutInsecure() throws {
        for ok in [
            "http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:8080", "http://127.10.0.1", "https://engage.example.org",
        ] {
            #expect(throws: Never.self, "\(ok)") { try ServerURL.parse(ok, insecure: false) }
        }
        for bad in [
            "http://10.0.0.5", "http://127.0.0.1.evil.example", "http://localhost.example.org", "http://[::2]:80",
            "http://0x7f.0.0.1",
        ] {
            #expect(throws: ClientError.insecureServerURL(bad), "\(bad)") { try ServerURL.parse(bad, insecure: false) }
            #expect(throws: Never.self) { try ServerURL.parse(bad, insecure: true) }
        }
        for junk in ["ftp://x", "127.0.0.1:8080", "http://", ""] {
            #expect(throws: ClientError.badServerURL(junk), "\(junk)") { try ServerURL.parse(junk, insecure: true) }
        }
    }

    @Test func csvCellsASpreadsheetWouldRunAreDefused() {
        var a = Activity.sample("=HYPERLINK(\"http://x\")")
        a.notes = "@SUM(1+1)"
        a.location = "+1 plus"
        let csv = Export.csv([a])
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""))
        #expect(csv.contains("'@SUM(1+1)") && csv.contains("'+1 plus"))
        #expect(!csv.contains(",=") && !csv.contains(",@") && !csv.contains(",+"))
    }
}

/// Connections that send nothing are closed by the server.
@Suite struct IdleConnectionTests {
    /// A connected socket to the live server on 127.0.0.1, whose reads give up after 10 s.
    static func open(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Sends `bytes` one at a time, `pauseMs` apart (the hostile sender's pace), until the
    /// server closes the connection (closed) or answers, or `bytes` run out (not closed).
    static func trickle(_ fd: Int32, _ bytes: [UInt8], pauseMs: UInt32) -> (closed: Bool, seconds: Double) {
        let started = Date()
        for var byte in bytes {
            if send(fd, &byte, 1, Int32(MSG_NOSIGNAL)) != 1 { return (true, Date().timeIntervalSince(started)) }
            var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pending, 1, Int32(pauseMs)) == 1 {
                var sink: UInt8 = 0
                return (recv(fd, &sink, 1, 0) <= 0, Date().timeIntervalSince(started))
            }
        }
        return (false, Date().timeIntervalSince(started))
    }

    @Test func aSilentConnectionIsClosed() async throws {
        var f = try Fixture()
        f.configuration.idleTimeoutMs = 300
        try await f.app.test(.live) { client in
            let fd = try Self.open(try #require(client.port))
            defer { close(fd) }
            // The read blocks until the server closes the connection (0 bytes), bounded at 10 s.
            var byte: UInt8 = 0
            let started = Date()
            let read = recv(fd, &byte, 1, 0)
            #expect(read == 0, "the server did not close a silent connection")
            #expect(Date().timeIntervalSince(started) < 9)
        }
    }

    /// Slowloris: a head or a body sent a byte at a time, each byte well inside the idle
    /// timeout, is cut — the head by the idle timeout (no complete head, no activity), the body
    /// by the minimum rate.
    @Test func aTrickledHeadOrBodyIsCut() async throws {
        var f = try Fixture()
        f.configuration.idleTimeoutMs = 1_000
        f.configuration.bodyRateWindowMs = 1_000
        f.configuration.minBodyBytesPerWindow = 64
        try await f.app.test(.live) { client in
            let port = try #require(client.port)
            let head = Array(
                "POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Padding: \(String(repeating: "a", count: 200))\r\n\r\n"
                    .utf8)
            let headFD = try Self.open(port)
            defer { close(headFD) }
            let slowHead = Self.trickle(headFD, head, pauseMs: 200)
            #expect(slowHead.closed && slowHead.seconds < 5, "\(slowHead)")

            let bodyFD = try Self.open(port)
            defer { close(bodyFD) }
            // Enrolment reads its body before anything else (no token needed).
            let announced = Array(
                "POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n".utf8)
            #expect(send(bodyFD, announced, announced.count, Int32(MSG_NOSIGNAL)) == announced.count)
            let slowBody = Self.trickle(bodyFD, Array(repeating: UInt8(ascii: " "), count: 50), pauseMs: 200)  // 10 s at most
            #expect(slowBody.closed && slowBody.seconds < 5, "\(slowBody)")
        }
    }
}
