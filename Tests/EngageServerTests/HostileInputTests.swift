import EngageCore
import EngageModel
import EngageProtocol
import EngageReports
import EngageServer
import EngageStore
import EngageTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Single requests that used to crash or bloat the service.
@Suite struct HostileInputTests {
    func push(_ body: String, _ client: some TestClientProtocol, token: String) async throws -> (HTTPResponse.Status, String?) {
        try await client.execute(uri: "/v1/push", method: .post, headers: headers(token: token), body: ByteBuffer(string: body)) {
            ($0.status, $0.errorCode)
        }
    }

    @Test func escapesAndNestingThatCrashedTheReaderGetA400() async throws {
        let f = try Fixture(maxBodyBytes: 1024 * 1024)
        let code = try f.code()
        try await f.app.test(.router) { client in
            let token = try await enroll(client, code: code, node: "device-a").token
            let change = #"{"collection":"activities","record":"r","field":"title","op":"set","stamp":"019b76daa8000000-device-a","value":"\ud800\u0041"}"#
            let (status, error) = try await push(#"{"changes":["# + change + "]}", client, token: token)
            #expect(status == .badRequest && ["invalid_body", "malformed_json"].contains(error ?? ""))
            let deep = #"{"x":"# + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + #","changes":[]}"#
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
        let change = Change(collection: "activities", recordId: "r", field: "participants", op: .set(.int(.max)),
                            stamp: HLC(wallMs: 1, counter: 0, node: NodeID("a")!))
        #expect(ActivityFields.validate(change)?.field == "participants")
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
