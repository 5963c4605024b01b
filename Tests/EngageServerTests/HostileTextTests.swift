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

/// Issue 22, kinds 5 and 6 at the hub: a value of a field this version does not know follows
/// the text rules and a size bound; titles and names stay on one line without bidirectional
/// controls. On both hub stores.
@Suite struct HostileTextTests {
    /// Pushes `extra` after creating an activity of LIMA; returns the rejections' codes by field.
    static func push(_ kind: HubKind, _ extra: @escaping @Sendable (String) -> [Change]) async throws -> [String: String] {
        let f = try await Fixture.make(kind, maxBodyBytes: 1024 * 1024, maxBatch: 1_000)
        let lima = try await f.code(post: "LIMA")
        let result = try await f.app.test(.router) { client in
            let advisor = try await enroll(client, code: lima, node: "device-a").token
            let activity = Activity.at("LIMA", "Port security course")
            let id = activity.id.uuidString.lowercased()
            let changes = creation(activity, node: "device-a") + extra(id)
            return try await client.execute(
                uri: "/v1/push", method: .post, headers: headers(token: advisor),
                body: try json(PushRequest(changes: changes))
            ) { response in
                #expect(response.status == .ok)
                let answer = try WireJSON.decode(PushResponse.self, from: Data(response.body.readableBytesView))
                let fields = Dictionary(changes.map { ($0.stamp, $0.field) }, uniquingKeysWith: { a, _ in a })
                return Dictionary(answer.rejected.map { (fields[$0.stamp] ?? "?", $0.code) }, uniquingKeysWith: { a, _ in a })
            }
        }
        await f.close()
        return result
    }

    static func change(_ id: String, _ field: String, _ op: Change.Op, _ n: Int) -> Change {
        Change(
            collection: ActivityFields.collection, recordId: id, field: field, op: op,
            stamp: HLC(wallMs: 1_767_225_700_000 + Int64(n), counter: 0, node: NodeID("device-a")!))
    }

    @Test(arguments: HubKind.available) func unknownFieldsValuesAreText(_ kind: HubKind) async throws {
        let rejected = try await Self.push(kind) { id in
            [
                Self.change(id, "reviewNote", .set(.string("Seen by the regional office")), 1),
                Self.change(id, "escapeNote", .set(.string("\u{1B}]0;HQ Director\u{07}\u{1B}[2J")), 2),
                Self.change(id, "hugeNote", .set(.string(String(repeating: "x", count: 300_000))), 3),
                Self.change(id, "sneakySet", .add("EVIL\r\nAGENCY"), 4),
            ]
        }
        #expect(rejected == ["escapeNote": "invalid_value", "hugeNote": "invalid_value", "sneakySet": "invalid_value"])
    }

    @Test(arguments: HubKind.available) func titlesAndNamesStayOnOneLine(_ kind: HubKind) async throws {
        let rejected = try await Self.push(kind) { id in
            [
                Self.change(id, "title", .set(.string("Course\r\u{1B}[2Kdeleted")), 1),
                Self.change(id, "location", .set(.string("Lima\u{202E}txt.exe")), 2),
                Self.change(id, "partners", .add("\u{2067}EVIL-AGENCY\u{2069}"), 3),
                Self.change(id, "notes", .set(.string("Two lines\nare fine in notes")), 4),
                Self.change(id, "notes", .set(.string("but not \u{9B}2J")), 5),
            ]
        }
        // The second note is refused for its C1 control (U+009B, a terminal's CSI); the first is taken.
        #expect(
            rejected == [
                "title": "invalid_value", "location": "invalid_value", "partners": "invalid_value", "notes": "invalid_value",
            ])
    }

    @Test(arguments: HubKind.available)
    func aRecordHoldsABoundedNumberOfUnknownFields(_ kind: HubKind) async throws {
        let n = ActivityFields.maxUnknownFields
        let rejected = try await Self.push(kind) { id in
            (0...n).map { Self.change(id, "extra\($0)", .set(.string("v")), $0) }
        }
        #expect(rejected == ["extra\(n)": "invalid_value"])
    }
}
