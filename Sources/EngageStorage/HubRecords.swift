import EngageCore
import EngageModel

/// A device enrolled at the server.
public struct DeviceRecord: Sendable, Codable, Equatable {
    public enum Role: String, Sendable, Codable, CaseIterable { case advisor, hq, admin }

    public var id: String
    public var name: String
    public var post: String
    public var role: Role
    public var nodeId: String
    /// ms since 1970, nil if never seen.
    public var lastSeen: Int64?
    public var revoked: Bool

    public init(id: String, name: String, post: String, role: Role, nodeId: String, lastSeen: Int64?, revoked: Bool) {
        self.id = id
        self.name = name
        self.post = post
        self.role = role
        self.nodeId = nodeId
        self.lastSeen = lastSeen
        self.revoked = revoked
    }
}

/// An enrolment code's record (the code itself is never stored).
public struct EnrolmentRecord: Sendable, Equatable {
    public var name: String
    public var post: String
    public var role: String
    public var expiresAt: Int64
    public var used: Bool

    public init(name: String, post: String, role: String, expiresAt: Int64, used: Bool) {
        self.name = name
        self.post = post
        self.role = role
        self.expiresAt = expiresAt
        self.used = used
    }
}

/// One page of a pull.
public struct PullPage: Sendable, Equatable {
    public var changes: [Change]
    public var cursor: Int64
    public var more: Bool
    /// The hub database's generation (`HubStorage.generation`).
    public var generation: String? = nil
    /// When asked: about how many changes visible to the device come after this page (state
    /// rows after `cursor`; this sync's own writes, left out later, are included).
    public var remaining: Int? = nil

    public init(changes: [Change], cursor: Int64, more: Bool, generation: String? = nil, remaining: Int? = nil) {
        self.changes = changes
        self.cursor = cursor
        self.more = more
        self.generation = generation
        self.remaining = remaining
    }
}

/// What the hub did with a pushed batch. It depends only on the batch and the state it met,
/// so a retried batch gets the same result.
public struct PushResult: Sendable {
    public struct Rejection: Sendable, Equatable {
        public var stamp: HLC
        public var code: String
        public var message: String
        /// For a refused write of a scalar field: the hub's register for that field, which the
        /// device returns to (nil when the hub holds no value for it).
        public var current: Register?

        public init(stamp: HLC, code: String, message: String, current: Register?) {
            self.stamp = stamp
            self.code = code
            self.message = message
            self.current = current
        }
    }

    public init() {}

    public var accepted: [HLC] = []
    public var rejected: [Rejection] = []
    /// Conflicts (id, activity, field) that involve the batch's changes.
    public var conflicts: [(id: String, activityId: String, field: String)] = []
    /// New for this push (not a retry): what the metrics count.
    public var newlyAccepted = 0
    /// The ids of this push's entries in `change_log` (one transaction, so contiguous).
    public var logIDs: ClosedRange<Int64>?
    /// For changes the hub held already, logged from this device (a batch sent again after its
    /// answer was lost): the ids of the entries the first copy wrote, as runs of consecutive ids.
    /// Each run holds only this batch's own entries, so a pull told of it hides nothing the
    /// device lacks (a range spanning other entries of the same device would: a database
    /// restored from an older backup has not got them).
    public var held: [ClosedRange<Int64>] {
        var runs: [ClosedRange<Int64>] = []
        for id in Set(heldIDs).sorted() {
            if let last = runs.last, last.upperBound + 1 == id { runs[runs.count - 1] = last.lowerBound...id } else { runs.append(id...id) }
        }
        return runs
    }
    package var heldIDs: [Int64] = []
    public var conflictsRaised = 0
}

/// One accepted change in an activity's history, as the hub logged it (a row of its change log).
public struct ChangeLogEntry: Sendable {
    public var stamp: HLC
    public var deviceId: String
    /// The enrolled name of the device that sent it (nil if the device record is gone).
    public var deviceName: String?
    /// When the hub received it, ms since 1970.
    public var receivedAt: Int64
    public var change: Change
    /// The value it replaced (scalar fields).
    public var oldValue: FieldValue?
    /// Whether it became the current value.
    public var applied: Bool

    public init(stamp: HLC, deviceId: String, deviceName: String?, receivedAt: Int64, change: Change, oldValue: FieldValue?, applied: Bool) {
        self.stamp = stamp
        self.deviceId = deviceId
        self.deviceName = deviceName
        self.receivedAt = receivedAt
        self.change = change
        self.oldValue = oldValue
        self.applied = applied
    }
}
