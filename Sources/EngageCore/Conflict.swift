import Crypto
import Foundation

/// Two concurrent writes to the same field, or an edit concurrent with a delete.
/// The winner is applied everywhere; the other value is kept here until someone settles it.
public struct Conflict: Hashable, Sendable, Codable {
    public struct Side: Hashable, Sendable, Codable {
        public var value: FieldValue
        public var stamp: HLC
        /// The enrolled name of the device that wrote it, as the hub knew it when it raised the
        /// conflict (absent in bodies of earlier hubs, and for the hub's own writes). Not part of
        /// the conflict's id.
        public var by: String?
        /// Who wrote it: the node of the stamp.
        public var author: NodeID { stamp.node }
        /// Who wrote it, for people: the enrolled name when known, else the node id.
        public var authorName: String { by ?? stamp.node.rawValue }

        public init(value: FieldValue, stamp: HLC, by: String? = nil) {
            self.value = value
            self.stamp = stamp
            self.by = by
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

    /// A deterministic id, so the same conflict raised twice is one record: "c" and the first
    /// 128 bits of the SHA-256 of the length-prefixed parts, in hex (33 characters). A device
    /// chooses stamps and values, so the hash must resist chosen collisions — one conflict id
    /// taken by another would leave the second conflict unrecorded. (Earlier hubs used 64-bit
    /// FNV-1a, "c" and 16 hex digits; those ids stay valid.)
    static func id(_ parts: String...) -> String {
        var input = ""
        for part in parts { input += "\(part.utf8.count):\(part)" }
        let digest = SHA256.hash(data: Data(input.utf8))
        return "c" + digest.prefix(16).map { String(format: "%02x", $0) }.joined()
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
