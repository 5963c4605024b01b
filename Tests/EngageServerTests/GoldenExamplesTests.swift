import EngageCore
import EngageHubSQLite
import EngageModel
import EngageProtocol
import EngageStorage
import EngageTestSupport
import Foundation
import Testing

@testable import EngageProtocol

/// Every message of the protocol, built from fixed values and encoded by the real encoder, must
/// equal its golden file in sync-protocol/examples/ (so a wire change shows up as a diff), and
/// each golden file must decode. `scripts/check-contract.py` validates the same files against
/// the schemas of openapi.yaml. ENGAGE_WRITE_GOLDEN=1 rewrites them.
@Suite struct GoldenExamplesTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sync-protocol/examples")

    static var changes: [Change] {
        var clock = HybridClock(node: NodeID("a1b2c3d4e5f60718")!)
        let activity = Activity(
            id: UUID(uuidString: "6f1c2a9e-3b7d-4c52-9a18-0e5d7c4b2f61")!, kind: .training, title: "Canine detection course",
            country: try! Country("TZ"), location: "Dar es Salaam", post: "DAR-ES-SALAAM", partners: ["TRA"], goals: [.counterThreats],
            startDate: try! Day("2026-03-02"), endDate: try! Day("2026-03-13"), status: .planned, participants: 10)
        var changes = LocalEdit.changes(from: RecordState(), to: activity, clock: &clock, physicalMs: 1_767_225_600_000, seen: 0)
        changes.append(Change(collection: "activities", recordId: changes[0].recordId, field: "partners",
                              op: .remove("TRA", observed: [changes.last!.stamp]), stamp: clock.tick(physicalMs: 1_767_225_660_000),
                              seen: 12))
        return changes
    }

    static var examples: [(String, any Codable)] {
        let c = changes
        return [
            ("EnrollRequest", EnrollRequest(code: "K7QM4TX2PA", nodeId: "a1b2c3d4e5f60718")),
            ("EnrollResponse", EnrollResponse(deviceId: "dev-5e0c9a1b2c3d", token: String(repeating: "3f", count: 32),
                                              name: "Dar es Salaam tablet", post: "DAR-ES-SALAAM", role: .advisor,
                                              generation: "7d3f0c52-9a41-4e8b-b2c6-1f0e9d8a7b65")),
            ("IdentityRequest", IdentityRequest(nodeId: "c4d5e6f708192a3b")),
            ("PushRequest", PushRequest(changes: Array(c.prefix(3)) + [c.last!])),
            ("PushResponse", PushResponse(
                accepted: [c[0].stamp, c[1].stamp],
                rejected: [.init(stamp: c[2].stamp, code: "out_of_scope", message: "activity 6f1c2a9e belongs to post LIMA; you may edit activities of DAR-ES-SALAAM only",
                                 current: .init(stamp: c[0].stamp, value: .string("TZ")))],
                conflicts: [.init(id: "c0d1e2f3a4b5c6d7e", activityId: c[0].recordId, field: "title")])),
            ("PullResponse", PullResponse(changes: Array(c.prefix(2)).map { var x = $0; x.base = nil; x.seen = 0; return x }, cursor: 42, more: true,
                                          generation: "7d3f0c52-9a41-4e8b-b2c6-1f0e9d8a7b65")),
            ("HistoryResponse", HistoryResponse(activityId: c[0].recordId, entries: [
                HistoryEntry(stamp: c[1].stamp.encoded, deviceId: "dev-5e0c9a1b2c3d", receivedAt: 1_767_225_700_000, field: "title",
                             element: nil, op: .set, oldValue: .case1("Canine course"), newValue: .case1("Canine detection course"),
                             applied: true),
            ])),
            ("Error", ErrorResponse(code: "batch_too_large", message: "6000 changes in one push; split it into batches of at most 5000")),
        ]
    }

    static func pretty(_ value: any Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    /// Decodes `golden` as the type of `value` and encodes it again.
    static func reencoded<T: Codable>(_ value: T, _ golden: String) throws -> String {
        try pretty(try JSONDecoder().decode(T.self, from: Data(golden.utf8)))
    }

    @Test func examplesMatchTheEncoderAndDecode() throws {
        let write = ProcessInfo.processInfo.environment["ENGAGE_WRITE_GOLDEN"] == "1"
        for (name, value) in Self.examples {
            let url = Self.folder.appendingPathComponent("\(name).json")
            let encoded = try Self.pretty(value)
            if write { try encoded.write(to: url, atomically: true, encoding: .utf8) }
            let golden = try String(contentsOf: url, encoding: .utf8)
            #expect(golden == encoded, "\(name).json differs from what the code sends; review the protocol change")
            #expect(try Self.reencoded(value, golden) == golden)
        }
    }
}

@Suite struct HandWrittenJSONTests {
    @Test func changeJSONMatchesTheEncoderOnRandomChanges() throws {
        var rng = SeededRandom(seed: 99)
        let texts = ["", "plain", "quote \" and \\ backslash", "line\nbreak\ttab\r\u{08}\u{0C}\u{01}", "naïve — ünïcödé 日本 🚢", "a/b"]
        let node = NodeID("device-1")!
        for i in 0..<500 {
            let stamp = HLC(wallMs: Int64.random(in: 0...1_800_000_000_000, using: &rng), counter: UInt16(i % 7), node: node)
            let op: Change.Op = switch i % 3 {
            case 0: .set([FieldValue.null, .bool(i % 2 == 0), .int(Int64(i) - 250), .string(texts.randomElement(using: &rng)!)].randomElement(using: &rng)!)
            case 1: .add(texts.randomElement(using: &rng)!)
            default: .remove(texts.randomElement(using: &rng)!, observed: (0..<(i % 3)).map { _ in stamp })
            }
            let change = Change(collection: "activities", recordId: texts.randomElement(using: &rng)!, field: "notes", op: op, stamp: stamp,
                                base: i % 4 == 0 ? nil : stamp, seen: Int64(i))
            #expect(change.jsonText == String(decoding: try WireJSON.encode(change), as: UTF8.self))
        }
    }
}

extension HandWrittenJSONTests {
    @Test func fastPullDecodingMatchesFoundation() throws {
        var rng = SeededRandom(seed: 7)
        let texts = ["", "plain", "quote \" and \\ backslash", "line\nbreak\ttab\r\u{08}\u{0C}\u{01}", "naïve — 日本 🚢", "a/b"]
        let node = NodeID("hub")!
        let changes: [Change] = (0..<300).map { i in
            let stamp = HLC(wallMs: Int64.random(in: 0...1_800_000_000_000, using: &rng), counter: UInt16(i % 5), node: node)
            let op: Change.Op = switch i % 3 {
            case 0: .set([FieldValue.null, .bool(i % 2 == 0), .int(Int64(i) - 150), .string(texts.randomElement(using: &rng)!)].randomElement(using: &rng)!)
            case 1: .add(texts.randomElement(using: &rng)!)
            default: .remove(texts.randomElement(using: &rng)!, observed: [stamp])
            }
            return Change(collection: "activities", recordId: "r\(i)", field: "notes", op: op, stamp: stamp, base: i % 2 == 0 ? stamp : nil,
                          seen: Int64(i))
        }
        let page = PullResponse(changes: changes, cursor: 77, more: false)
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        for data in [try WireJSON.encode(page), try pretty.encode(page)] {
            #expect(try PullResponse.decode(data) == page)
            #expect(try data.withUnsafeBytes { try PullResponse.fastDecode($0.bindMemory(to: UInt8.self)) } == page)
        }
        // Unknown keys are skipped; a malformed page is refused.
        let extra = Data(#"{"cursor":1,"future":{"a":[1,{"b":null}]},"changes":[],"more":true}"#.utf8)
        #expect(try PullResponse.decode(extra) == PullResponse(changes: [], cursor: 1, more: true))
        #expect(throws: (any Error).self) { try PullResponse.decode(Data(#"{"changes":[{"op":"set"}],"cursor":1,"more":true}"#.utf8)) }
    }
}

extension HandWrittenJSONTests {
    @Test func handWrittenPushMessagesMatchTheEncoder() throws {
        let changes = GoldenExamplesTests.changes
        let request = PushRequest(changes: changes)
        #expect(request.jsonText == String(decoding: try WireJSON.encode(request), as: UTF8.self))
        #expect(try PushRequest.decode(Data(request.jsonText.utf8)) == request)
        let response = PushResponse(
            accepted: changes.map(\.stamp), rejected: [.init(stamp: changes[0].stamp, code: "out_of_scope", message: "a \"quoted\" reason")],
            conflicts: [.init(id: "c1", activityId: "a\nb", field: "title")])
        #expect(response.jsonText == String(decoding: try WireJSON.encode(response), as: UTF8.self))
    }
}
