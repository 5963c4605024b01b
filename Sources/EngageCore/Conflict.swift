/// Two concurrent writes to the same field, or an edit concurrent with a delete.
/// The winner is applied everywhere; the other value is kept here until someone settles it.
public struct Conflict: Hashable, Sendable, Codable {
    public struct Side: Hashable, Sendable, Codable {
        public var value: FieldValue
        public var stamp: HLC
        /// Who wrote it: the node of the stamp.
        public var author: NodeID { stamp.node }

        public init(value: FieldValue, stamp: HLC) {
            self.value = value
            self.stamp = stamp
        }
    }

    public var id: String
    public var collection: String
    public var recordId: String
    public var field: String
    /// The value in force (for `deleted`: the delete).
    public var current: Side
    /// The value that lost (for `deleted`: the concurrent edit, recorded as "not deleted").
    public var other: Side

    public init(collection: String, recordId: String, field: String, current: Side, other: Side) {
        self.collection = collection
        self.recordId = recordId
        self.field = field
        self.current = current
        self.other = other
        self.id = Conflict.id(collection, recordId, field, current.stamp, other.stamp)
    }

    /// A deterministic id, so the same conflict raised twice is one record.
    static func id(_ parts: String...) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.joined(separator: "|").utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "c" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func id(_ collection: String, _ record: String, _ field: String, _ a: HLC, _ b: HLC) -> String {
        id(collection, record, field, a.encoded, b.encoded)
    }
}

/// Conflicts travel as records of their own collection: an immutable `body` (the conflict
/// as JSON) and a last-writer-wins `resolved` flag. Settling one is a normal edit of the
/// field plus `resolved = true`.
public enum ConflictRecord {
    public static let collection = "conflicts"
    public static let bodyField = "body"
    public static let resolvedField = "resolved"
}
