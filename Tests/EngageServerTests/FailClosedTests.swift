import EngageCore
import EngageModel
import EngageProtocol
import EngageServer
import EngageStorage
import EngageTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 22, kinds 9 and 10: what headquarters may hand to a partner agency is decided closed —
/// a record whose sensitivity has not arrived is not shareable, the shareable page's cursor is
/// never a sensitive activity's id — and no HQ query parameter reaches a store with a control
/// character in it.
@Suite struct FailClosedTests {
    /// An id that sorts where the test wants it (keyset paging goes in id order).
    static func id(_ n: Int) -> UUID { UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))! }

    static func page(_ response: TestResponse) -> (titles: [String], cursor: String?, more: Bool) {
        let page = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
        let titles = (page["activities"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
        return (titles, page["cursor"] as? String, page["more"] as? Bool ?? false)
    }

    @Test(arguments: HubKind.available) func anActivityWhoseSensitivityHasNotArrivedIsNotShareable(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind, maxBatch: 1_000)
        let lima = try await f.code(post: "LIMA")
        let hqCode = try await f.code(post: "HQ", role: .hq)
        try await f.app.test(.router) { client in
            let advisor = try await enroll(client, code: lima, node: "device-a").token
            let hq = try await enroll(client, code: hqCode, node: "device-h").token
            // Given a sensitive activity of which every field but `sensitivity` reached the hub
            // (a push cut short, or a device that never sends it)
            var secret = Activity.at("LIMA", "Sensitive operation")
            secret.sensitivity = .sensitive
            let partial = creation(secret, node: "device-a").filter { $0.field != "sensitivity" }
            let open = creation(Activity.at("LIMA", "Open course"), node: "device-a", at: 1_767_225_700_000)
            try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: advisor),
                body: try json(PushRequest(changes: partial + open))
            ) {
                #expect($0.status == .ok)
            }
            // Then the shareable page leaves it out, and so does the whole page (it is not yet known what it is)
            for query in ["shareable=true", "shareable=false"] {
                try await client.execute(uri: "/v1/hq/activities?\(query)", method: .get, headers: headers(token: hq)) {
                    response in
                    #expect(Self.page(response).titles == ["Open course"], "\(query)")
                }
            }
            // When its sensitivity arrives, it is listed as what it is, and still not shareable
            let rest = [
                Change(
                    collection: ActivityFields.collection, recordId: secret.id.uuidString.lowercased(), field: "sensitivity",
                    op: .set(.string("sensitive")), stamp: HLC(wallMs: 1_767_225_800_000, counter: 0, node: NodeID("device-a")!))
            ]
            try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: advisor), body: try json(PushRequest(changes: rest))
            ) {
                #expect($0.status == .ok, "\(String(buffer: $0.body))")
            }
            try await client.execute(uri: "/v1/hq/activities?shareable=true", method: .get, headers: headers(token: hq)) {
                response in
                #expect(Self.page(response).titles == ["Open course"])
            }
            try await client.execute(uri: "/v1/hq/activities", method: .get, headers: headers(token: hq)) { response in
                #expect(Self.page(response).titles.sorted() == ["Open course", "Sensitive operation"])
            }
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func theShareablePagesCursorIsNeverASensitiveActivitysID(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind, maxBatch: 1_000)
        let lima = try await f.code(post: "LIMA")
        let hqCode = try await f.code(post: "HQ", role: .hq)
        try await f.app.test(.router) { client in
            let advisor = try await enroll(client, code: lima, node: "device-a").token
            let hq = try await enroll(client, code: hqCode, node: "device-h").token
            // Given activities 1…6 in id order, the odd ones sensitive
            var changes: [Change] = []
            var sensitiveIDs: Set<String> = []
            for n in 1...6 {
                var a = Activity.at("LIMA", "Activity \(n)", id: Self.id(n))
                if n % 2 == 1 {
                    a.sensitivity = .sensitive
                    sensitiveIDs.insert(a.id.uuidString.lowercased())
                }
                changes += creation(a, node: "device-a", at: 1_767_225_600_000 + Int64(n) * 1_000)
            }
            try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: advisor), body: try json(PushRequest(changes: changes))
            ) {
                #expect($0.status == .ok)
            }
            // When headquarters walks the shareable pages one activity at a time
            var cursor: String?
            var titles: [String] = []
            var cursors: [String] = []
            var pages = 0
            repeat {
                let uri = "/v1/hq/activities?shareable=true&limit=1" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get, headers: headers(token: hq)) { Self.page($0) }
                titles += page.titles
                cursor = page.more ? page.cursor : nil
                if let cursor { cursors.append(cursor) }
                pages += 1
            } while cursor != nil && pages < 10
            // Then it gets every shareable one, and no cursor names a sensitive one
            #expect(titles == ["Activity 2", "Activity 4", "Activity 6"])
            #expect(cursors.allSatisfy { !sensitiveIDs.contains($0) }, "\(cursors)")
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func aControlCharacterInAnyHQQueryParameterIsABadRequest(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind)
        let hqCode = try await f.code(post: "HQ", role: .hq)
        try await f.app.test(.router) { client in
            let hq = try await enroll(client, code: hqCode, node: "device-h").token
            let activities = ["cursor", "post", "country", "kind", "goal", "from", "to", "shareable", "limit"]
            var uris = activities.flatMap { name in
                ["%00", "LI%00MA", "%1B%5B2J", "%C2%9B", "%7F"].map { "/v1/hq/activities?\(name)=\($0)" }
            }
            uris += ["/v1/hq/report?from=2026-01-01%00", "/v1/hq/report?to=%00", "/v1/hq/activities?cursor=00000000%00"]
            for uri in uris {
                try await client.execute(uri: uri, method: .get, headers: headers(token: hq)) { response in
                    #expect(response.status == .badRequest && response.errorCode == "invalid_value", "\(uri): \(response.status)")
                }
            }
        }
        await f.close()
    }
}
