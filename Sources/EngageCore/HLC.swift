/// A hybrid logical clock reading (Kulkarni et al., 2014): physical milliseconds, a logical
/// counter, and the node that made it. Readings are totally ordered, with the node id as the
/// final tie-break, and `encoded` sorts as a string exactly as the readings compare.
public struct HLC: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let wallMs: Int64
    public let counter: UInt16
    public let node: NodeID

    /// The latest wall time a reading may carry: 9999-12-31T23:59:59.999Z. It fits the 12 hex
    /// digits of `encoded` with room to spare, so encoding never wraps; clocks saturate here.
    public static let maxWallMs: Int64 = 253_402_300_799_999

    /// How far past the hub's own clock a pushed stamp may lie: 10 minutes. The hub refuses a
    /// later one (`stamp_ahead`) and the device re-stamps it with its corrected clock, so a
    /// wrong device clock can neither freeze a field nor drag the fleet's clocks forward.
    public static let maxAheadMs: Int64 = 10 * 60_000
    /// How far back the hub's clock may step (an NTP correction) and still take a device's next
    /// stamps at once, just above those it took before: beyond it they wait for its clock.
    public static let maxStepBackMs: Int64 = 60 * 60_000

    public init(wallMs: Int64, counter: UInt16, node: NodeID) {
        self.wallMs = min(max(0, wallMs), HLC.maxWallMs)
        self.counter = counter
        self.node = node
    }

    public static func < (lhs: HLC, rhs: HLC) -> Bool {
        if lhs.wallMs != rhs.wallMs { return lhs.wallMs < rhs.wallMs }
        if lhs.counter != rhs.counter { return lhs.counter < rhs.counter }
        return lhs.node.rawValue < rhs.node.rawValue
    }

    /// `<12 hex digits of ms><4 hex digits of counter>-<node>`, e.g. `0192f3a4b5c60000-a1b2c3d4e5f60718`.
    public var encoded: String {
        let node = node.rawValue.utf8
        return String(unsafeUninitializedCapacity: 17 + node.count) { buffer in
            let digits = Array("0123456789abcdef".utf8)
            let wall = UInt64(max(0, wallMs))
            for i in 0..<12 { buffer[i] = digits[Int((wall >> (4 * UInt64(11 - i))) & 0xF)] }
            for i in 0..<4 { buffer[12 + i] = digits[Int((UInt64(counter) >> (4 * UInt64(3 - i))) & 0xF)] }
            buffer[16] = UInt8(ascii: "-")
            var i = 17
            for byte in node {
                buffer[i] = byte
                i += 1
            }
            return i
        }
    }

    public var description: String { encoded }

    /// Parses `encoded`; nil when the text is not a clock reading or lies beyond `maxWallMs`.
    public init?(encoded text: String) {
        var text = text
        let parsed: HLC?? = text.withUTF8 { bytes -> HLC?? in
            guard bytes.count >= 18, bytes[16] == UInt8(ascii: "-") else { return .some(nil) }
            var wall: Int64 = 0
            var counter: UInt16 = 0
            for i in 0..<16 {
                let b = bytes[i]
                let v: UInt8
                switch b {
                case 0x30...0x39: v = b - 0x30
                case 0x61...0x66: v = b - 0x61 + 10
                default: return .some(nil)
                }
                if i < 12 { wall = wall << 4 | Int64(v) } else { counter = counter << 4 | UInt16(v) }
            }
            guard wall <= HLC.maxWallMs,
                let node = NodeID(String(decoding: UnsafeBufferPointer(rebasing: bytes[17...]), as: UTF8.self))
            else {
                return .some(nil)
            }
            return HLC(wallMs: wall, counter: counter, node: node)
        }
        guard let value = parsed ?? nil else { return nil }
        self = value
    }
}

extension HLC: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = HLC(encoded: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a clock stamp"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(encoded)
    }
}

/// A replica's identity: 1–64 characters of lower-case letters, digits and '-'.
public struct NodeID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ rawValue: String) {
        guard (1...64).contains(rawValue.utf8.count),
            rawValue.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
        else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = NodeID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad node id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
