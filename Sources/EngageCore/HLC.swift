/// A hybrid logical clock reading (Kulkarni et al., 2014): physical milliseconds, a logical
/// counter, and the node that made it. Readings are totally ordered, with the node id as the
/// final tie-break, and `encoded` sorts as a string exactly as the readings compare.
public struct HLC: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let wallMs: Int64
    public let counter: UInt16
    public let node: NodeID

    public init(wallMs: Int64, counter: UInt16, node: NodeID) {
        self.wallMs = wallMs
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
        Self.hex(UInt64(max(0, wallMs)), width: 12) + Self.hex(UInt64(counter), width: 4) + "-" + node.rawValue
    }

    public var description: String { encoded }

    /// Parses `encoded`; nil when the text is not a clock reading.
    public init?(encoded text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 18, utf8[16] == UInt8(ascii: "-"),
            let wall = Int64(String(decoding: utf8[0..<12], as: UTF8.self), radix: 16),
            let counter = UInt16(String(decoding: utf8[12..<16], as: UTF8.self), radix: 16),
            let node = NodeID(String(decoding: utf8[17...], as: UTF8.self))
        else { return nil }
        self.init(wallMs: wall, counter: counter, node: node)
    }

    private static func hex(_ value: UInt64, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
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
