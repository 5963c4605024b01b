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
    /// The device whose database this one's was copied from (a new identity after
    /// `identity_conflict`); nil for a device enrolled with a code.
    public var parentId: String?

    public init(
        id: String, name: String, post: String, role: Role, nodeId: String, lastSeen: Int64?, revoked: Bool,
        parentId: String? = nil
    ) {
        self.id = id
        self.name = name
        self.post = post
        self.role = role
        self.nodeId = nodeId
        self.lastSeen = lastSeen
        self.revoked = revoked
        self.parentId = parentId
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
            if let last = runs.last, last.upperBound + 1 == id {
                runs[runs.count - 1] = last.lowerBound...id
            } else {
                runs.append(id...id)
            }
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

    public init(
        stamp: HLC, deviceId: String, deviceName: String?, receivedAt: Int64, change: Change, oldValue: FieldValue?, applied: Bool
    ) {
        self.stamp = stamp
        self.deviceId = deviceId
        self.deviceName = deviceName
        self.receivedAt = receivedAt
        self.change = change
        self.oldValue = oldValue
        self.applied = applied
    }
}

/// What both hub stores say and run about devices' lineage.
public enum HubRecords {
    /// How long after a code is redeemed the same device (the same node id) may redeem it again,
    /// when the answer that carried its token was lost on the link: it gets the same enrolment
    /// under a new token, and the lost one stops working (docs/security.md).
    public static let enrolmentRetryMs: Int64 = 10 * 60_000

    /// Whether a code redeemed at `used`, expiring at `expires`, may be redeemed again at `now`
    /// by the node that redeemed it: within the window after it, never past the code's expiry,
    /// and not when the hub's clock reads before it (stepped back: no window stretched).
    public static func mayRedeemAgain(used: Int64, expires: Int64, now: Int64) -> Bool {
        (0...enrolmentRetryMs).contains(now - used) && now <= expires
    }

    public static let codeUsed = StoreError(
        .invalid,
        "this enrolment code was already used by another device (or more than 10 minutes ago); ask an administrator for a new one"
    )

    public static func noIdentityConflict(_ device: DeviceRecord) -> StoreError {
        StoreError(
            .noIdentityConflict,
            "device \(device.id) is not in an identity conflict: the hub gives a new identity only to a database it has just "
                + "answered identity_conflict, once; sync again, and ask an administrator if this repeats")
    }

    /// Revokes, at `now` (a bound parameter, e.g. `$2` or `?2`), the device bound as the first
    /// parameter (`?1`/`$1`) and every device of its lineage: up to the enrolment it descends
    /// from, then down to every copy of it. The same SQL on SQLite and PostgreSQL.
    public static func revokeLineageSQL(now: String, first: String = "?1") -> String {
        """
        WITH RECURSIVE up(id, parent_id) AS (
            SELECT id, parent_id FROM device WHERE id = \(first)
            UNION SELECT d.id, d.parent_id FROM device d JOIN up ON d.id = up.parent_id
        ), down(id) AS (
            SELECT id FROM up WHERE parent_id IS NULL
            UNION SELECT d.id FROM device d JOIN down ON d.parent_id = down.id
        )
        UPDATE device SET revoked_at = COALESCE(revoked_at, \(now)) WHERE id IN (SELECT id FROM down)
        """
    }
}
