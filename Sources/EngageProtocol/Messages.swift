import EngageCore
// The generated wire types are part of this module's interface.
@_exported import EngageWire
import Foundation
import OpenAPIRuntime

/// The protocol's major version. A server answers every request of the same major version;
/// minor additions are new optional keys, which older peers ignore.
public enum ProtocolVersion {
    public static let current = 1
    /// Requests carry it in this header; a missing header means the current version.
    public static let header = "Engage-Protocol"
    /// Every response carries the server's clock (ms since 1970) in this header.
    public static let serverTimeHeader = "Engage-Server-Time"
}

// The bodies of enrolment, identity, history and errors are the types generated from
// sync-protocol/openapi.yaml (EngageWire), so they cannot drift from the contract. Push and pull
// bodies keep hand-written types and JSON (FastJSON, `Change.jsonText`): they carry up to 5,000
// changes per exchange and are the measured hot path (docs/BENCHMARKS.md, "Wire types"); a test
// reads every recorded push and pull body with the generated types too.

public typealias EnrollRequest = Components.Schemas.EnrollRequest
public typealias EnrollResponse = Components.Schemas.EnrollResponse
public typealias IdentityRequest = Components.Schemas.IdentityRequest
public typealias HistoryResponse = Components.Schemas.HistoryResponse
public typealias HistoryEntry = Components.Schemas.HistoryResponse.EntriesPayloadPayload
/// Every error: a stable code and a message that says what to do.
public typealias ErrorResponse = Components.Schemas._Error

extension ErrorResponse {
    public init(code: String, message: String) { self.init(error: .init(code: code, message: message)) }
}

extension Components.Schemas.FieldValue {
    /// The wire form of a field value.
    public init(_ value: FieldValue) {
        switch value {
        case .string(let s): self = .case1(s)
        case .int(let i): self = .case2(i)
        case .bool(let b): self = .case3(b)
        case .null: self = .case4(nil)
        }
    }

    /// The field value it carries; nil for a JSON value other than null, a boolean, an integer or a string.
    public var fieldValue: FieldValue? {
        switch self {
        case .case1(let s): .string(s)
        case .case2(let i): .int(i)
        case .case3(let b): .bool(b)
        case .case4(let other): other.value == nil ? .null : nil
        }
    }
}

public struct PushRequest: Codable, Sendable, Equatable {
    public var changes: [Change]
    /// Set when the device re-sends, to a hub that lost them (restored from a backup), values
    /// other devices wrote: stamps of other nodes are then taken as relayed history, judged by
    /// what the device may see rather than what it may write.
    public var relay: Bool?
    /// The latest mark of the hub's change sequence this device was given (`SEQ.MARK`): a hub
    /// that does not hold it went back and answers `409 hub_went_back`, having written nothing.
    public var checkpoint: String?
    /// Set for an import's changes: they fill in activities the hub lacks, and those of an
    /// activity it holds (of the device's post) are refused `exists` — never applied over it.
    public var fill: Bool?

    public init(changes: [Change], relay: Bool? = nil, checkpoint: String? = nil, fill: Bool? = nil) {
        self.changes = changes
        self.relay = relay
        self.checkpoint = checkpoint
        self.fill = fill
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
    /// Receipts for changes the hub held already, logged from this device (a batch sent again
    /// after its answer was lost): runs of consecutive change-log ids, `[first, last]`, each
    /// holding only that batch's entries, at most `maxHeld`. A pull given them (`own`) leaves
    /// those out too. Absent when nothing was held.
    public var held: [[Int64]]?
    /// The latest mark of the hub's change sequence, read after this push was written: the
    /// device saves it with what the answer acknowledged and names it at its next exchange.
    public var checkpoint: String?
    /// Receipts a pull may name in `own` (a client merges adjacent ones).
    public static let maxReceipts = 64
    /// Runs of held entries an answer names; a batch held in more pieces has the rest pulled back.
    public static let maxHeld = 16

    public init(
        accepted: [HLC], rejected: [Rejection], conflicts: [ConflictNotice], receipt: [Int64]? = nil, held: [[Int64]]? = nil,
        checkpoint: String? = nil
    ) {
        self.checkpoint = checkpoint
        self.accepted = accepted
        self.rejected = rejected
        self.conflicts = conflicts
        self.receipt = receipt
        self.held = held
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
    /// About how many changes come after this page, when the request asked (`total=1`).
    public var remaining: Int?
    /// The latest mark of the hub's change sequence, read after this page: the device saves it
    /// with the page and names it at its next exchange (`checkpoint=`).
    public var checkpoint: String?

    public init(
        changes: [Change], cursor: Int64, more: Bool, generation: String? = nil, remaining: Int? = nil, checkpoint: String? = nil
    ) {
        self.checkpoint = checkpoint
        self.changes = changes
        self.cursor = cursor
        self.more = more
        self.generation = generation
        self.remaining = remaining
    }
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
