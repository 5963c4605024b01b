import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageStorage
import Foundation
import Testing

/// The contract cannot drift: every body of every recorded session — written by the shipped
/// server and client, hand-written JSON included — reads as the type swift-openapi-generator
/// made from sync-protocol/openapi.yaml, and writing that value again gives the same JSON (so no
/// key is missing from the spec or named differently). Push and pull bodies are also read by the
/// hand-written readers and compared change by change with what the generated types read.
@Suite struct WireContractTests {
    /// The generated type of a body, by method, route and status.
    static func schema(_ method: String, _ path: String, status: Int?, request: Bool) -> (any Codable.Type)? {
        if let status, status >= 400 { return ErrorResponse.self }
        let route = path.split(separator: "?").first.map(String.init) ?? path
        switch (method, route, request) {
        case ("POST", "/v1/enroll", true): return EnrollRequest.self
        case ("POST", "/v1/enroll", false), ("POST", "/v1/identity", false): return EnrollResponse.self
        case ("POST", "/v1/identity", true): return IdentityRequest.self
        case ("POST", "/v1/push", true): return Components.Schemas.PushRequest.self
        case ("POST", "/v1/push", false): return Components.Schemas.PushResponse.self
        case ("GET", "/v1/pull", false): return Components.Schemas.PullResponse.self
        case ("GET", "/v1/hq/activities", false): return Components.Schemas.HQActivitiesPage.self
        case ("GET", _, false) where route.hasPrefix("/v1/history/"): return HistoryResponse.self
        default: return nil
        }
    }

    /// JSON as Foundation reads it, with null members left out (an absent optional key and a null
    /// one mean the same).
    static func plain(_ data: Data) throws -> NSObject {
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] { return object.filter { !($0.value is NSNull) }.mapValues(strip) }
            if let array = value as? [Any] { return array.map(strip) }
            return value
        }
        return strip(try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as! NSObject
    }

    static func roundTrip(_ type: any Codable.Type, _ data: Data) throws -> Data {
        func go<T: Codable>(_: T.Type) throws -> Data { try WireJSON.encode(try JSONDecoder().decode(T.self, from: data)) }
        return try go(type)
    }

    @Test(arguments: SessionReplayTests.sessions) func everyRecordedBodyIsTheSpecsType(_ name: String) throws {
        let transcript = try SessionReplayTests.load(name)
        var checked = 0
        for exchange in transcript.exchanges {
            let method = exchange.request.method ?? "GET"
            let path = exchange.request.path ?? ""
            for (message, isRequest) in [(exchange.request, true), (exchange.response, false)] where message.body != nil {
                guard let type = Self.schema(method, path, status: isRequest ? nil : exchange.response.status, request: isRequest)
                else {
                    continue
                }
                let data = message.data
                let again = try Self.roundTrip(type, data)
                #expect(try Self.plain(again) == Self.plain(data), "\(name) #\(exchange.n) \(method) \(path): \(type)")
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    /// The hand-written push and pull readers and the generated types read the same changes.
    @Test func handWrittenAndGeneratedReadersAgree() throws {
        var pulls = 0
        for name in SessionReplayTests.sessions {
            for exchange in try SessionReplayTests.load(name).exchanges where exchange.request.path?.hasPrefix("/v1/pull") == true
            {
                guard exchange.response.status == 200, exchange.response.body != nil else { continue }
                let data = exchange.response.data
                let ours = try PullResponse.decode(data)
                let theirs = try JSONDecoder().decode(Components.Schemas.PullResponse.self, from: data)
                #expect(
                    ours.cursor == theirs.cursor && ours.more == theirs.more && ours.generation == theirs.generation,
                    "\(ours.generation ?? "-") \(theirs.generation ?? "-") \(ours.checkpoint ?? "-") \(theirs.checkpoint ?? "-")")
                #expect(ours.changes.count == theirs.changes.count)
                for (a, b) in zip(ours.changes, theirs.changes) {
                    let (op, value, element): (String, FieldValue?, String?) =
                        switch a.op {
                        case .set(let v): ("set", v, nil)
                        case .add(let e): ("add", nil, e)
                        case .remove(let e, _): ("remove", nil, e)
                        }
                    #expect(a.collection == b.collection && a.recordId == b.record && a.field == b.field)
                    #expect(op == b.op.rawValue && element == b.element && a.stamp.encoded == b.stamp)
                    #expect(value == (b.value?.fieldValue ?? (op == "set" ? .null : nil)))
                }
                pulls += 1
            }
        }
        #expect(pulls > 5)
    }
}
