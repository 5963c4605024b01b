import EngageCore
import Foundation

/// A small reader for the protocol's own JSON, used where pages of thousands of changes are
/// decoded: it reads bytes in place instead of building Foundation's intermediate tree.
/// Keys it does not know are skipped, as the protocol asks of older peers.
///
/// It accepts a subset of what Foundation's decoder accepts and never more: invalid UTF-8,
/// raw control characters in strings, unknown escapes, unpaired surrogates, numbers it cannot
/// hold exactly and nesting deeper than `maxDepth` make it decline (`Failure`), and the caller
/// falls back to Foundation's decoder, which gives the precise error. A differential test
/// checks this over hostile inputs (`FastJSONFuzzTests`).
struct FastJSONReader {
    struct Failure: Error {}

    /// A key given twice in one object. Readers disagree on which one counts (Foundation takes
    /// the first), so such a body is refused, never read (found by the libFuzzer target).
    struct DuplicateKey: Error {
        let key: String

        var decodingError: DecodingError {
            .dataCorrupted(
                .init(
                    codingPath: [],
                    debugDescription: "the key '\(key.prefix(64))' appears twice in one object; give each key once"))
        }
    }

    /// Deeper values (only ever in keys it skips) are declined rather than recursed into.
    static let maxDepth = 32

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard i < bytes.count, bytes[i] == byte else { throw Failure() }
        i += 1
    }

    /// Consumes `byte` if it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        if i < bytes.count, bytes[i] == byte {
            i += 1
            return true
        }
        return false
    }

    var atEnd: Bool {
        mutating get {
            skipSpace()
            return i >= bytes.count
        }
    }

    /// Calls `body` with each key of an object, positioned at its value.
    mutating func object(_ body: (inout FastJSONReader, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw Failure() }
        if take(UInt8(ascii: "}")) { return }
        var keys: [String] = []
        repeat {
            let key = try string()
            if keys.contains(key) { throw DuplicateKey(key: key) }
            keys.append(key)
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
        } while take(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    mutating func array(_ body: (inout FastJSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw Failure() }
        if take(UInt8(ascii: "]")) { return }
        repeat { try body(&self) } while take(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"))
    }

    mutating func string() throws -> String {
        try expect(0x22)
        let start = i
        var plain = true
        var ascii = true
        while i < bytes.count, bytes[i] != 0x22 {
            guard bytes[i] >= 0x20 else { throw Failure() }  // a raw control character
            if bytes[i] >= 0x80 { ascii = false }
            if bytes[i] == 0x5C {
                plain = false
                i += 2
            } else {
                i += 1
            }
        }
        guard i < bytes.count else { throw Failure() }
        defer { i += 1 }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<i])
        // ASCII (stamps, ids, field names: most strings) is valid UTF-8 as it stands, and
        // `String(decoding:)` takes it without `String(validating:)`'s generic-metadata lookups,
        // which were a tenth of a pulling device's CPU time (docs/BENCHMARKS.md).
        if plain, ascii { return String(decoding: slice, as: UTF8.self) }
        if plain {
            guard let text = String(validating: slice, as: UTF8.self) else { throw Failure() }
            return text
        }
        return try Self.unescape(slice)
    }

    mutating func int() throws -> Int64 {
        skipSpace()
        var negative = false
        var value: Int64 = 0
        var digits = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        let first = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            value = value &* 10 &+ Int64(bytes[i] - 0x30)
            i += 1
            digits += 1
        }
        guard digits > 0, digits < 19, digits == 1 || bytes[first] != 0x30,  // 18 digits always fit; no leading zeros
            i >= bytes.count || ![UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[i])
        else { throw Failure() }
        return negative ? -value : value
    }

    mutating func bool() throws -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw Failure()
    }

    mutating func literal(_ word: StaticString) -> Bool {
        skipSpace()
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
        i += n
        return true
    }

    mutating func fieldValue() throws -> FieldValue {
        skipSpace()
        guard i < bytes.count else { throw Failure() }
        switch bytes[i] {
        case 0x22: return .string(try string())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try bool())
        case UInt8(ascii: "n"): if literal("null") { return .null } else { throw Failure() }
        default: return .int(try int())
        }
    }

    /// Skips any value.
    mutating func skip() throws {
        skipSpace()
        guard i < bytes.count else { throw Failure() }
        switch bytes[i] {
        case UInt8(ascii: "{"): try object { r, _ in try r.skip() }
        case UInt8(ascii: "["): try array { try $0.skip() }
        case 0x22: _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): guard literal("null") else { throw Failure() }
        default: _ = try int()  // a number it can hold; any other declines
        }
    }

    static func unescape(_ slice: UnsafeBufferPointer<UInt8>) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var k = 0
        func hex4(_ at: Int) throws -> UInt32 {
            guard at + 4 <= slice.count else { throw Failure() }
            var v: UInt32 = 0
            for b in slice[at..<at + 4] {
                switch b {
                case 0x30...0x39: v = v << 4 | UInt32(b - 0x30)
                case 0x41...0x46: v = v << 4 | UInt32(b - 0x41 + 10)
                case 0x61...0x66: v = v << 4 | UInt32(b - 0x61 + 10)
                default: throw Failure()
                }
            }
            return v
        }
        while k < slice.count {
            let b = slice[k]
            guard b == 0x5C else {
                out.append(b)
                k += 1
                continue
            }
            guard k + 1 < slice.count else { throw Failure() }
            switch slice[k + 1] {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4(k + 2)
                k += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low one.
                    guard k + 7 < slice.count, slice[k + 2] == 0x5C, slice[k + 3] == UInt8(ascii: "u") else { throw Failure() }
                    let low = try hex4(k + 4)
                    guard (0xDC00..<0xE000).contains(low) else { throw Failure() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    k += 6
                }
                guard let u = Unicode.Scalar(scalar) else { throw Failure() }  // a lone low surrogate
                out += Array(String(Character(u)).utf8)
            case 0x22, 0x5C, 0x2F: out.append(slice[k + 1])  // \" \\ \/
            default: throw Failure()
            }
            k += 2
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw Failure() }
        return text
    }
}

extension PullResponse {
    /// The page's JSON, written by hand: the bytes WireJSON would write, without the per-object
    /// cost (docs/BENCHMARKS.md, "Wire types").
    public var jsonText: String {
        var body = "{\"changes\":" + Change.jsonArray(changes)
        if let checkpoint { body += ",\"checkpoint\":" + JSON.quote(checkpoint) }
        body += ",\"cursor\":\(cursor)"
        if let generation { body += ",\"generation\":" + JSON.quote(generation) }
        body += ",\"more\":\(more)"
        if let remaining { body += ",\"remaining\":\(remaining)" }
        return body + "}"
    }

    /// Decodes a pull page; the fast reader first, Foundation's decoder if it declines.
    /// A key given twice in one object is refused (`DecodingError.dataCorrupted`).
    public static func decode(_ data: Data) throws -> PullResponse {
        do {
            return try data.withUnsafeBytes { raw in try fastDecode(raw.bindMemory(to: UInt8.self)) }
        } catch let duplicate as FastJSONReader.DuplicateKey {
            throw duplicate.decodingError
        } catch {
            return try WireJSON.decode(PullResponse.self, from: data)
        }
    }

    static func fastDecode(_ bytes: UnsafeBufferPointer<UInt8>) throws -> PullResponse {
        var reader = FastJSONReader(bytes)
        var changes: [Change] = []
        var cursor: Int64?
        var more: Bool?
        var generation: String?
        var remaining: Int?
        var checkpoint: String?
        try reader.object { r, key in
            switch key {
            case "changes": try r.array { r in changes.append(try Change.fastDecode(&r)) }
            case "checkpoint": checkpoint = try r.string()
            case "cursor": cursor = try r.int()
            case "more": more = try r.bool()
            case "generation": generation = try r.string()
            case "remaining": remaining = Int(try r.int())
            default: try r.skip()
            }
        }
        guard reader.atEnd, let cursor, let more else { throw FastJSONReader.Failure() }
        return PullResponse(
            changes: changes, cursor: cursor, more: more, generation: generation, remaining: remaining, checkpoint: checkpoint)
    }
}

extension Change {
    static func fastDecode(_ r: inout FastJSONReader) throws -> Change {
        var collection: String?
        var record: String?
        var field: String?
        var op: String?
        var value: FieldValue = .null
        var element: String?
        var observed: [HLC]?
        var stamp: HLC?
        var base: HLC?
        var seen: Int64 = 0
        try r.object { r, key in
            switch key {
            case "collection": collection = try r.string()
            case "record": record = try r.string()
            case "field": field = try r.string()
            case "op": op = try r.string()
            case "value": value = try r.fieldValue()
            case "element": element = try r.string()
            case "observed":
                var tags: [HLC] = []
                try r.array { r in tags.append(try HLC(encoded: r.string()).orThrow()) }
                observed = tags
            case "stamp": stamp = try HLC(encoded: r.string()).orThrow()
            case "base": base = r.literal("null") ? nil : try HLC(encoded: r.string()).orThrow()
            case "seen": seen = try r.int()
            default: try r.skip()
            }
        }
        guard let collection, let record, let field, let op, let stamp else { throw FastJSONReader.Failure() }
        let operation: Op
        switch (op, element) {
        case ("set", _): operation = .set(value)
        case ("add", let e?): operation = .add(e)
        case ("remove", let e?):
            guard let observed else { throw FastJSONReader.Failure() }  // required, as in `Change.init(from:)`
            operation = .remove(e, observed: observed)
        default: throw FastJSONReader.Failure()
        }
        return Change(collection: collection, recordId: record, field: field, op: operation, stamp: stamp, base: base, seen: seen)
    }
}

extension Optional {
    func orThrow() throws -> Wrapped {
        guard let self else { throw FastJSONReader.Failure() }
        return self
    }
}

extension PushRequest {
    /// The request's JSON, written by hand (the bytes WireJSON would write).
    public var jsonText: String {
        "{\"changes\":" + Change.jsonArray(changes) + (checkpoint.map { ",\"checkpoint\":" + JSON.quote($0) } ?? "")
            + (fill == true ? ",\"fill\":true" : "") + (relay == true ? ",\"relay\":true}" : "}")
    }

    /// Bodies up to this size (bytes) that the fast reader declines go to Foundation's decoder
    /// for its precise error message. Larger ones are refused outright: Foundation builds a
    /// tree of the whole body first (8 MiB of `[{},{},…]` held hundreds of MiB), so a request's
    /// memory would not stay bounded by its size. Every body a client writes is one the fast
    /// reader takes.
    public static let foundationFallbackLimit = 256 * 1024

    /// Decodes a push; the fast reader first, Foundation's decoder (with its precise error
    /// messages) if it declines and the body is at most `foundationFallbackLimit` bytes. A key
    /// given twice in one object is refused (`DecodingError.dataCorrupted`).
    public static func decode(_ data: Data) throws -> PushRequest {
        let fast: PushRequest?
        do {
            fast = try data.withUnsafeBytes { raw -> PushRequest in
                var reader = FastJSONReader(raw.bindMemory(to: UInt8.self))
                var changes: [Change]?
                var relay: Bool?
                var checkpoint: String?
                var fill: Bool?
                try reader.object { r, key in
                    if key == "checkpoint" {
                        checkpoint = try r.string()
                    } else if key == "fill" {
                        fill = try r.bool()
                    } else if key == "changes" {
                        var list: [Change] = []
                        try r.array { r in list.append(try Change.fastDecode(&r)) }
                        changes = list
                    } else if key == "relay" {
                        relay = try r.bool()
                    } else {
                        try r.skip()
                    }
                }
                guard reader.atEnd, let changes else { throw FastJSONReader.Failure() }
                return PushRequest(changes: changes, relay: relay, checkpoint: checkpoint, fill: fill)
            }
        } catch let duplicate as FastJSONReader.DuplicateKey {
            throw duplicate.decodingError
        } catch { fast = nil }
        if let fast { return fast }
        guard data.count <= foundationFallbackLimit else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: [],
                    debugDescription:
                        "a push of \(data.count) bytes that is not a valid PushRequest (sync-protocol/openapi.yaml); "
                        + "send a smaller push to get the exact error"))
        }
        return try WireJSON.decode(PushRequest.self, from: data)
    }
}

extension PushResponse {
    public var jsonText: String {
        let accepted = self.accepted.map { "\"" + $0.encoded + "\"" }.joined(separator: ",")
        let conflicts = self.conflicts.map {
            "{\"activityId\":" + JSON.quote($0.activityId) + ",\"field\":" + JSON.quote($0.field) + ",\"id\":" + JSON.quote($0.id)
                + "}"
        }.joined(separator: ",")
        let rejected = self.rejected.map { r in
            let current =
                r.current.map { ",\"current\":{\"stamp\":\"" + $0.stamp.encoded + "\",\"value\":" + $0.value.jsonText + "}" }
                ?? ""
            return "{\"code\":" + JSON.quote(r.code) + current + ",\"message\":" + JSON.quote(r.message) + ",\"stamp\":\""
                + r.stamp.encoded + "\"}"
        }.joined(separator: ",")
        let receipt = self.receipt.map { ",\"receipt\":[" + $0.map(String.init).joined(separator: ",") + "]" } ?? ""
        let held =
            self.held.map {
                ",\"held\":[" + $0.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]"
            } ?? ""
        let checkpoint = self.checkpoint.map { ",\"checkpoint\":" + JSON.quote($0) } ?? ""
        return "{\"accepted\":[" + accepted + "]" + checkpoint + ",\"conflicts\":[" + conflicts + "]" + held + receipt
            + ",\"rejected\":[" + rejected + "]}"
    }
}
