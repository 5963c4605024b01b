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
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The routes through HummingbirdTesting's `.router`: the same builder as production.
@Suite struct RouterTests {
    @Test(arguments: HubKind.available) func healthAndMetrics(_ kind: HubKind) async throws {
        var f = try await Fixture.make(kind)
        f.configuration.metricsToken = "metrics-token-for-tests"
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/nowhere", method: .get) {
                #expect($0.status == .notFound && $0.errorCode == "not_found")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer metrics-token-for-tests"]) {
                response in
                let text = String(buffer: response.body)
                #expect(text.contains("engage_http_requests_total") && text.contains("engage_changes_accepted_total"))
            }
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func enrolmentCodesAreOneTimeAndExpire(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        let code = try await f.code()
        let expiring = try await f.code(lifetimeMs: 1_000)
        try await f.app.test(.router) { client in
            let device = try await enroll(client, code: code.lowercased(), node: "device-a")
            #expect(device.post == "LIMA" && device.role == .advisor && device.token.count == 64)
            try await client.execute(
                uri: "/v1/enroll", method: .post, headers: headers(), body: try json(EnrollRequest(code: code))
            ) {
                #expect($0.status == .badRequest && $0.errorCode == "invalid_value")  // used
            }
            f.clock.advance(2_000)
            try await client.execute(
                uri: "/v1/enroll", method: .post, headers: headers(), body: try json(EnrollRequest(code: expiring))
            ) {
                #expect($0.status == .badRequest)  // expired
            }
            try await client.execute(
                uri: "/v1/enroll", method: .post, headers: headers(), body: try json(EnrollRequest(code: "NOPE"))
            ) {
                #expect($0.status == .notFound)
            }
        }
        #expect(try await f.storage.devices().count == 1)
        await f.close()
    }

    @Test(arguments: HubKind.available) func tokensAreRequiredCheckedAndRevocable(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        let code = try await f.code()
        try await f.app.test(.router) { client in
            let device = try await enroll(client, code: code, node: "device-a")
            try await client.execute(uri: "/v1/pull", method: .get) {
                #expect($0.status == .unauthorized && $0.errorCode == "missing_token")
            }
            try await client.execute(uri: "/v1/pull", method: .get, headers: headers(token: "wrong")) {
                #expect($0.status == .unauthorized && $0.errorCode == "invalid_token")
            }
            try await client.execute(uri: "/v1/pull", method: .get, headers: headers(token: device.token)) {
                #expect($0.status == .ok)
            }
            try await f.storage.revoke(deviceId: device.deviceId)
            try await client.execute(uri: "/v1/pull", method: .get, headers: headers(token: device.token)) {
                #expect($0.status == .unauthorized && $0.errorCode == "device_revoked")
            }
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func badInputGets4xxAndChangesNothing(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind, maxBodyBytes: 4_096, maxBatch: 5)
        let code = try await f.code()
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            let before = try await f.cursor()
            let cases: [(ByteBuffer, HTTPFields, HTTPResponse.Status, String)] = [
                (ByteBuffer(string: "{not json"), headers(token: token), .badRequest, "malformed_json"),
                (ByteBuffer(string: #"{"changes": 5}"#), headers(token: token), .badRequest, "invalid_body"),
                (ByteBuffer(string: #"{}"#), headers(token: token), .badRequest, "invalid_body"),
                (
                    ByteBuffer(
                        string:
                            #"{"changes":[{"collection":"activities","record":"r","field":"title","op":"set","value":"x","stamp":"nope"}]}"#
                    ),
                    headers(token: token), .badRequest, "invalid_body"
                ),
                (ByteBuffer(string: #"{"changes":[]}"#), headers(token: token, version: "2"), .badRequest, "unsupported_version"),
                (
                    ByteBuffer(repeating: UInt8(ascii: " "), count: 10_000), headers(token: token), .contentTooLarge,
                    "body_too_large"
                ),
                (
                    try json(PushRequest(changes: creation(.at("LIMA"), node: "device-a"))), headers(token: token), .badRequest,
                    "batch_too_large"
                ),
            ]
            for (body, h, status, code) in cases {
                try await client.execute(uri: "/v1/push", method: .post, headers: h, body: body) { response in
                    #expect(response.status == status, "\(code)")
                    #expect(response.errorCode == code)
                }
            }
            try await client.execute(uri: "/v1/pull?cursor=-1", method: .get, headers: headers(token: token)) {
                #expect($0.status == .badRequest && $0.errorCode == "invalid_cursor")
            }
            try await client.execute(uri: "/v1/pull?limit=0", method: .get, headers: headers(token: token)) {
                #expect($0.status == .badRequest)
            }
            #expect(try await f.cursor() == before)
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func aPushIsIdempotentAndOneBadChangeDoesNotSinkTheRest(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        let code = try await f.code()
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            var changes = creation(.at("LIMA"), node: "device-a")
            changes[1].op = .set(.string("XX"))  // not a country
            changes[1].field = "country"
            let body = try json(PushRequest(changes: changes))
            let first = try await client.execute(uri: "/v1/push", method: .post, headers: headers(token: token), body: body) {
                r in
                #expect(r.status == .ok)
                return String(buffer: r.body)
            }
            let answer = try WireJSON.decode(PushResponse.self, from: Data(first.utf8))
            #expect(answer.rejected.map(\.code) == ["invalid_value"] && answer.rejected.first?.stamp == changes[1].stamp)
            #expect(answer.accepted.count == changes.count - 1)
            let cursor = try await f.cursor()
            let second = try await client.execute(uri: "/v1/push", method: .post, headers: headers(token: token), body: body) {
                String(buffer: $0.body)
            }
            // The same stamps are accepted and refused; a refusal now carries the country the hub holds.
            let again = try WireJSON.decode(PushResponse.self, from: Data(second.utf8))
            #expect(again.accepted == answer.accepted && again.rejected.map(\.stamp) == answer.rejected.map(\.stamp))
            #expect(again.rejected.first?.current?.value == .string("TZ"))
            #expect(try await f.cursor() == cursor)
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func advisorsStayInTheirPostAndHeadquartersReadsAll(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        let lima = try await f.code(post: "LIMA")
        let santiago = try await f.code(post: "SANTIAGO")
        let hq = try await f.code(post: "HQ", role: .hq)
        try await f.app.test(.router) { client in
            let a = try await enroll(client, code: lima, node: "device-a").token
            let b = try await enroll(client, code: santiago, node: "device-b").token
            let h = try await enroll(client, code: hq, node: "device-h").token
            let activity = Activity.at("LIMA")
            try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: a),
                body: try json(PushRequest(changes: creation(activity, node: "device-a")))
            ) { response in
                let decoded = try response.decode(PushResponse.self)
                #expect(decoded.rejected.isEmpty)
            }
            // Santiago can neither write Lima's activity nor read it.
            var clock = HybridClock(node: NodeID("device-b")!)
            let edit = Change(
                collection: "activities", recordId: activity.id.uuidString.lowercased(), field: "title",
                op: .set(.string("hijack")), stamp: clock.tick(physicalMs: 1_767_225_700_000))
            try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: b), body: try json(PushRequest(changes: [edit]))
            ) { response in
                let decoded = try response.decode(PushResponse.self)
                #expect(decoded.rejected.map(\.code) == ["out_of_scope"])
            }
            try await client.execute(uri: "/v1/pull", method: .get, headers: headers(token: b)) {
                let page = try $0.decode(PullResponse.self)
                #expect(page.changes.allSatisfy { $0.collection == "partners" } && !page.changes.isEmpty)
            }
            try await client.execute(
                uri: "/v1/history/\(activity.id.uuidString.lowercased())", method: .get, headers: headers(token: b)
            ) {
                #expect($0.status == .notFound)
            }
            // A device may not push changes stamped by another node.
            var forged = creation(.at("SANTIAGO"), node: "device-a")
            forged.removeLast(forged.count - 1)
            try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: b), body: try json(PushRequest(changes: forged))
            ) { response in
                let decoded = try response.decode(PushResponse.self)
                #expect(decoded.rejected.map(\.code) == ["wrong_author"])
            }
            // Headquarters reads everything, including the history.
            try await client.execute(uri: "/v1/pull", method: .get, headers: headers(token: h)) { response in
                let decoded = try response.decode(PullResponse.self)
                #expect(decoded.changes.contains { $0.recordId == activity.id.uuidString.lowercased() })
            }
            try await client.execute(
                uri: "/v1/history/\(activity.id.uuidString.lowercased())", method: .get, headers: headers(token: h)
            ) { response in
                let decoded = try response.decode(HistoryResponse.self)
                #expect(decoded.entries.count == creation(activity, node: "device-a").count)
                // Named by the enrolled name of the device that sent each change, not a node id.
                #expect(decoded.entries.allSatisfy { $0.deviceName == "test LIMA" })
            }
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func pullsArePagedByCountWithoutLosingAnything(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind, maxBatch: 1_000)
        let code = try await f.code()
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            let activities = (0..<20).map { Activity.at("LIMA", "Course \($0)") }
            let changes = activities.flatMap { creation($0, node: "device-a") }
            try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: token), body: try json(PushRequest(changes: changes))
            ) {
                #expect($0.status == .ok)
            }
            var cursor: Int64 = 0
            var received: [Change] = []
            var pages = 0
            while pages < 100 {
                let page = try await client.execute(
                    uri: "/v1/pull?cursor=\(cursor)&limit=37", method: .get, headers: headers(token: token)
                ) {
                    try $0.decode(PullResponse.self)
                }
                #expect(page.changes.count <= 38)
                received += page.changes
                cursor = page.cursor
                pages += 1
                if !page.more { break }
            }
            #expect(pages > 5)
            #expect(Set(received.filter { $0.collection == "activities" }.map(\.stamp)) == Set(changes.map(\.stamp)))

            // Asked for, a page says how many changes follow it: each page's count plus what
            // follows is what a pull from the start receives.
            for start in [0, 37, received.count - 1, received.count] {
                var cursor: Int64 = 0
                var skipped = 0
                while skipped < start {
                    let page = try await client.execute(
                        uri: "/v1/pull?cursor=\(cursor)&limit=\(start - skipped)", method: .get,
                        headers: headers(token: token)
                    ) { try $0.decode(PullResponse.self) }
                    skipped += page.changes.count
                    cursor = page.cursor
                }
                let page = try await client.execute(
                    uri: "/v1/pull?cursor=\(cursor)&limit=37&total=1", method: .get,
                    headers: headers(token: token)
                ) { try $0.decode(PullResponse.self) }
                #expect(skipped + page.changes.count + (page.remaining ?? -1) == received.count, "from \(start)")
            }
            try await client.execute(uri: "/v1/pull?cursor=0&total=yes", method: .get, headers: headers(token: token)) {
                #expect($0.status == .badRequest && $0.errorCode == "invalid_value")
            }
            let unasked = try await client.execute(uri: "/v1/pull?cursor=0", method: .get, headers: headers(token: token)) {
                try $0.decode(PullResponse.self)
            }
            #expect(unasked.remaining == nil)
        }
        await f.close()
    }

    /// An advisor's count covers only what it may see.
    @Test(arguments: HubKind.available) func theRemainingCountIsTheCallersView(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind, maxBatch: 1_000)
        let lima = try await f.code()
        let quito = try await f.code(post: "QUITO")
        try await f.app.test(.router) { client in
            let a = try await enroll(client, code: lima, node: "device-a").token
            let b = try await enroll(client, code: quito, node: "device-b").token
            for (token, post, node, n) in [(a, "LIMA", "device-a", 5), (b, "QUITO", "device-b", 9)] {
                let changes = (0..<n).map { Activity.at(post, "Course \($0)") }.flatMap { creation($0, node: node) }
                try await client.execute(
                    uri: "/v1/push", method: .post, headers: headers(token: token), body: try json(PushRequest(changes: changes))
                ) {
                    #expect($0.status == .ok)
                }
            }
            let all = try await client.execute(uri: "/v1/pull?cursor=0", method: .get, headers: headers(token: a)) {
                try $0.decode(PullResponse.self)
            }
            let first = try await client.execute(
                uri: "/v1/pull?cursor=0&limit=3&total=1", method: .get, headers: headers(token: a)
            ) {
                try $0.decode(PullResponse.self)
            }
            #expect(first.changes.count + (first.remaining ?? 0) == all.changes.count)
        }
        await f.close()
    }
}
