import EngageCore
import EngageHubSQLite
import EngageModel
import EngageStorage
import EngageTestSupport
import Foundation
import Testing

@testable import EngageProtocol

/// The hand-written reader against Foundation's decoder, over hostile inputs: it may decline
/// what Foundation accepts (the caller then falls back), but never accepts what Foundation
/// refuses, never reads it differently, and never crashes.
@Suite struct FastJSONFuzzTests {
    static let valid = #"{"changes":[{"collection":"activities","field":"title","op":"set","record":"r1","seen":0,"stamp":"019b76daa8000000-device-a","value":"Port"}]}"#

    /// A hostile variant of a valid push: a piece of trouble spliced into a string value, a
    /// number or an unknown key.
    static func hostile(_ rng: inout SeededRandom) -> [UInt8] {
        let troubles: [[UInt8]] = [
            Array(#"\ud800\u0041"#.utf8), Array(#"\udc00"#.utf8), Array(#"\ud83d\ude00"#.utf8), Array(#"\ud83d"#.utf8),
            Array(#"\u00"#.utf8), Array(#"\u+041"#.utf8), Array(#"\x41"#.utf8), Array(#"\""#.utf8), Array(#"\\"#.utf8),
            [0x00], [0x01], [0x1F], [0x7F], [0xC3], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xFF], Array("é😀".utf8), Array(#"\n\t\r\b\f\/"#.utf8),
        ]
        var text = Array(valid.utf8)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0, 1:  // inside the title's string
            let at = text.firstIndex(of: UInt8(ascii: "P"))!
            text.insert(contentsOf: troubles.randomElement(using: &rng)!, at: at)
        case 2:  // a number where one is read
            let numbers = ["0", "-0", "01", "1e3", "1.5", "-", "99999999999999999999", "9223372036854775807", "-9223372036854775808", "18"]
            let at = text.firstIndex(of: UInt8(ascii: "0"))!  // "seen":0
            text.replaceSubrange(at...at, with: Array(numbers.randomElement(using: &rng)!.utf8))
        case 3:  // deep nesting under an unknown key
            let depth = [1, 10, 31, 32, 33, 100, 600, 20_000].randomElement(using: &rng)!
            let open = rng.chance(0.5) ? "[" : "{\"a\":"
            let close = open == "[" ? "]" : "}"
            let nested = String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)
            text.insert(contentsOf: Array(("\"x\":" + nested + ",").utf8), at: 1)
        default:  // random bytes overwritten
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                text[Int.random(in: 0..<text.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
        }
        return text
    }

    /// What the libFuzzer target found (docs/fuzzing.md): a key given twice, read as the last
    /// one where Foundation reads the first, and a removal without `observed`, which Foundation
    /// refuses and the fast reader took as observing nothing.
    @Test func whatTheCoverageGuidedFuzzerFound() {
        let twice = #"{"changes":[{"collection":"activities","field":"kind","op":"set","field":"title","record":"r","stamp":"019b76daa8000000-a","value":"x"}]}"#
        #expect(throws: DecodingError.self) { try PushRequest.decode(Data(twice.utf8)) }
        let page = #"{"changes":[],"cursor":1,"more":false,"cursor":2}"#
        #expect(throws: DecodingError.self) { try PullResponse.decode(Data(page.utf8)) }
        let unobserved = #"{"changes":[{"collection":"activities","element":"TRA","field":"partners","op":"remove","record":"r","stamp":"019b76daa8000000-a"}]}"#
        #expect(throws: DecodingError.self) { try PushRequest.decode(Data(unobserved.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(PushRequest.self, from: Data(unobserved.utf8)) }
    }

    /// Memory per request stays bounded by its size: a large body the fast reader declines is
    /// refused without building Foundation's tree of it.
    @Test func aLargeBodyTheFastReaderDeclinesIsNotHandedToFoundation() throws {
        let filler = "[" + Array(repeating: "{}", count: 200_000).joined(separator: ",") + "]"
        let body = #"{"changes":[],"x":"# + filler + #","relay":"yes"}"#  // a string where a Bool belongs
        #expect(body.utf8.count > PushRequest.foundationFallbackLimit)
        #expect(throws: DecodingError.self) { try PushRequest.decode(Data(body.utf8)) }
        do {
            _ = try PushRequest.decode(Data(body.utf8))
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("send a smaller push"))
        }
        let small = #"{"changes":[],"relay":"yes"}"#
        #expect(throws: DecodingError.self) { try PushRequest.decode(Data(small.utf8)) }  // Foundation's own message
    }

    @Test func theFastReaderNeverAcceptsMoreThanFoundationNorReadsDifferently() {
        var rng = SeededRandom(seed: 20_261_129)
        var declined = 0, agreed = 0
        for _ in 0..<5_000 {
            let bytes = Self.hostile(&rng)
            let fast = bytes.withUnsafeBufferPointer { buffer -> PushRequest? in
                var reader = FastJSONReader(buffer)
                var changes: [Change]?
                do {
                    try reader.object { r, key in
                        if key == "changes" {
                            var list: [Change] = []
                            try r.array { r in list.append(try Change.fastDecode(&r)) }
                            changes = list
                        } else {
                            try r.skip()
                        }
                    }
                } catch { return nil }
                return reader.atEnd ? changes.map { PushRequest(changes: $0) } : nil
            }
            let foundation = try? JSONDecoder().decode(PushRequest.self, from: Data(bytes))
            if let fast {
                #expect(fast == foundation, "fast read \(String(decoding: bytes.prefix(300), as: UTF8.self)) as Foundation did not")
                agreed += 1
            } else {
                declined += 1
            }
            _ = try? PushRequest.decode(Data(bytes))  // the shipped entry point never crashes either
        }
        #expect(agreed > 500 && declined > 500)
    }
}
