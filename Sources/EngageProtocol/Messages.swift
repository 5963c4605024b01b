import EngageCore
import Foundation

/// The protocol's major version. A server answers every request of the same major version;
/// minor additions are new optional keys, which older peers ignore.
public enum ProtocolVersion {
    public static let current = 1
    /// Requests carry it in this header; a missing header means the current version.
    public static let header = "Engage-Protocol"
    /// Every response carries the server's clock (ms since 1970) in this header.
    public static let serverTimeHeader = "Engage-Server-Time"
}

public struct EnrollRequest: Codable, Sendable, Equatable {
    public var code: String
    public var nodeId: String?

    public init(code: String, nodeId: String? = nil) {
        self.code = code
        self.nodeId = nodeId
    }
}

public struct EnrollResponse: Codable, Sendable, Equatable {
    public var deviceId: String
    public var token: String
    public var name: String
    public var post: String
    public var role: String
    /// The hub database's generation (see `PullResponse.generation`).
    public var generation: String?

    public init(deviceId: String, token: String, name: String, post: String, role: String, generation: String? = nil) {
        self.deviceId = deviceId
        self.token = token
        self.name = name
        self.post = post
        self.role = role
        self.generation = generation
    }
}

public struct PushRequest: Codable, Sendable, Equatable {
    public var changes: [Change]
    /// Set when the device re-sends, to a hub that lost them (restored from a backup), values
    /// other devices wrote: stamps of other nodes are then taken as relayed history, judged by
    /// what the device may see rather than what it may write.
    public var relay: Bool?

    public init(changes: [Change], relay: Bool? = nil) {
        self.changes = changes
        self.relay = relay
    }
}

/// The answer to a push: a retry gets the same `accepted` stamps (the hub keeps each change
/// once); a refusal carries the hub's value as it is when the answer is written.
public struct PushResponse: Codable, Sendable, Equatable {
    public struct Rejection: Codable, Sendable, Equatable {
        public var stamp: HLC
        public var code: String
        public var message: String
        /// For a refused write of a scalar field: the value the hub holds for it and its stamp,
        /// which the device returns to. Absent when the hub holds no value for the field, or
        /// for element changes (the device simply undoes those).
        public var current: Current?

        public init(stamp: HLC, code: String, message: String, current: Current? = nil) {
            self.stamp = stamp
            self.code = code
            self.message = message
            self.current = current
        }
    }

    public struct Current: Codable, Sendable, Equatable {
        public var stamp: HLC
        public var value: FieldValue

        public init(stamp: HLC, value: FieldValue) {
            self.stamp = stamp
            self.value = value
        }
    }

    public struct ConflictNotice: Codable, Sendable, Equatable {
        public var id: String
        public var activityId: String
        public var field: String

        public init(id: String, activityId: String, field: String) {
            self.id = id
            self.activityId = activityId
            self.field = field
        }
    }

    /// Stamps of the changes the hub holds (applied, superseded or already seen).
    public var accepted: [HLC]
    public var rejected: [Rejection]
    /// Conflicts that involve the pushed changes.
    public var conflicts: [ConflictNotice]
    /// The hub's receipt for what this push newly wrote: the first and last ids of its entries
    /// in the hub's change log (contiguous: one push is one transaction). A later pull given it
    /// (`own`) leaves those writes out. Absent when the push wrote nothing new.
    public var receipt: [Int64]?
    /// Receipts a pull may name in `own` (a client merges adjacent ones).
    public static let maxReceipts = 64

    public init(accepted: [HLC], rejected: [Rejection], conflicts: [ConflictNotice], receipt: [Int64]? = nil) {
        self.accepted = accepted
        self.rejected = rejected
        self.conflicts = conflicts
        self.receipt = receipt
    }
}

public struct PullResponse: Codable, Sendable, Equatable {
    /// The latest state of every field that changed after the cursor and is visible to the caller.
    public var changes: [Change]
    public var cursor: Int64
    public var more: Bool
    /// The hub database's generation. A device whose saved generation differs is talking to
    /// a hub restored from a backup or replaced: it re-sends what it wrote and pulls from 0.
    public var generation: String?

    public init(changes: [Change], cursor: Int64, more: Bool, generation: String? = nil) {
        self.changes = changes
        self.cursor = cursor
        self.more = more
        self.generation = generation
    }
}

/// Asks for a new identity for a device whose database another device is also using (the
/// hub answered a push with `409 identity_conflict`). The answer is an `EnrollResponse`.
public struct IdentityRequest: Codable, Sendable, Equatable {
    public var nodeId: String

    public init(nodeId: String) { self.nodeId = nodeId }
}

public struct HistoryEntry: Codable, Sendable, Equatable {
    public var stamp: HLC
    public var deviceId: String
    public var receivedAt: Int64
    public var field: String
    public var element: String?
    public var op: String
    public var oldValue: FieldValue?
    public var newValue: FieldValue?
    public var applied: Bool

    public init(stamp: HLC, deviceId: String, receivedAt: Int64, field: String, element: String?, op: String,
                oldValue: FieldValue?, newValue: FieldValue?, applied: Bool) {
        self.stamp = stamp
        self.deviceId = deviceId
        self.receivedAt = receivedAt
        self.field = field
        self.element = element
        self.op = op
        self.oldValue = oldValue
        self.newValue = newValue
        self.applied = applied
    }
}

public struct HistoryResponse: Codable, Sendable, Equatable {
    public var activityId: String
    public var entries: [HistoryEntry]

    public init(activityId: String, entries: [HistoryEntry]) {
        self.activityId = activityId
        self.entries = entries
    }
}

/// Every error: a stable code and a message that says what to do.
public struct ErrorResponse: Codable, Sendable, Equatable {
    public struct Body: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
    }

    public var error: Body

    public init(code: String, message: String) { error = Body(code: code, message: message) }
}

/// Stable JSON for the wire: sorted keys, no escaped slashes.
public enum WireJSON {
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
