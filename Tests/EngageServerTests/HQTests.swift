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
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct HQTests {
    @Test(arguments: HubKind.available) func aSecondHeadquartersPullMovesOnlyWhatChanged(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind, maxBodyBytes: 8 * 1024 * 1024, maxBatch: 5_000)
        try await f.app.test(.live) { client in
            let port = try #require(client.port)
            let advisor = try await TestDevice(port: port, code: try await f.code(post: "LIMA"), clock: f.clock)
            let hq = try await TestDevice(port: port, code: try await f.code(post: "HQ", role: .hq), clock: f.clock)
            let activities = (0..<20).map { Activity.at("LIMA", "Course \($0)") }
            for a in activities { try advisor.store.log(a) }
            _ = try await advisor.sync.sync()
            let first = try await hq.sync.sync()
            #expect(first.pulled > 20 * 15)
            #expect(try hq.store.activities().count == 20)
            try advisor.store.edit(activities[7].id) { $0.status = .completed }
            _ = try await advisor.sync.sync()
            let second = try await hq.sync.sync()
            #expect(second.pulled == 1)
            #expect(try hq.activity(activities[7].id)?.status == .completed)
            let third = try await hq.sync.sync()
            #expect(third.pulled == 0)
        }
        await f.close()
    }

    @Test(arguments: HubKind.available) func headquartersToolsReadActivitiesAndTheReport(_ kind: HubKind) async throws {
        let f = try await Fixture.make(kind, maxBatch: 1_000)
        let lima = try await f.code(post: "LIMA"), hqCode = try await f.code(post: "HQ", role: .hq)
        try await f.app.test(.router) { client in
            let advisor = try await enroll(client, code: lima, node: "device-a").token
            let hq = try await enroll(client, code: hqCode, node: "device-h").token
            var secret = Activity.at("LIMA", "Sensitive operation")
            secret.sensitivity = .sensitive
            secret.notes = "names of the informants' agency contacts"
            var open = Activity.at("LIMA", "Open course")
            open.notes = "internal remark"
            open.country = try Country("PE")
            let changes = creation(secret, node: "device-a") + creation(open, node: "device-a", at: 1_767_225_700_000)
            try await client.execute(uri: "/v1/push", method: .post, headers: headers(token: advisor), body: try json(PushRequest(changes: changes))) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/hq/activities", method: .get, headers: headers(token: advisor)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/hq/activities?limit=1", method: .get, headers: headers(token: hq)) { response in
                let page = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
                #expect((page["activities"] as? [Any])?.count == 1 && page["more"] as? Bool == true && page["cursor"] is String)
            }
            try await client.execute(uri: "/v1/hq/activities?shareable=true", method: .get, headers: headers(token: hq)) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("Open course") && !text.contains("Sensitive operation") && !text.contains("internal remark"))
            }
            try await client.execute(uri: "/v1/hq/activities?country=PE", method: .get, headers: headers(token: hq)) { response in
                let page = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
                #expect((page["activities"] as? [[String: Any]])?.map { $0["country"] as? String } == ["PE"])
            }
            try await client.execute(uri: "/v1/hq/activities?country=XX", method: .get, headers: headers(token: hq)) {
                #expect($0.status == .badRequest && $0.errorCode == "invalid_value")
            }
            // What would leak the sensitive form if ignored is refused: a non-boolean shareable,
            // a misspelt parameter.
            for bad in ["shareable=yes", "shareable=TRUE1", "sharable=true", "countries=PE", "from=2026-05-01&to=2026-01-01", "goal=abc"] {
                try await client.execute(uri: "/v1/hq/activities?\(bad)", method: .get, headers: headers(token: hq)) {
                    #expect($0.status == .badRequest && $0.errorCode == "invalid_value", "\(bad)")
                }
            }
            try await client.execute(uri: "/v1/hq/activities?shareable=TRUE", method: .get, headers: headers(token: hq)) { response in
                #expect(!String(buffer: response.body).contains("Sensitive operation"))
            }
            try await client.execute(uri: "/v1/hq/report?from=2026-01-01", method: .get, headers: headers(token: hq)) { response in
                let report = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
                #expect(Set(report.keys) == ["period", "coverage", "shortfalls", "redundancies", "trend", "dataQuality"])
            }
        }
        await f.close()
    }
}
