import EngageCore
import EngageProtocol

/// What the CLI sees of an enrolment: no token, no wire types.
public struct EnrolledDevice: Sendable, Equatable {
    public var deviceId: String
    public var name: String
    public var post: String
    public var role: String
}

/// One accepted change of an activity, as history shows it.
public struct HistoryItem: Sendable, Codable, Equatable {
    public var stamp: String
    public var deviceId: String
    /// The device's enrolled name (nil for the hub's own writes).
    public var deviceName: String?
    public var receivedAt: Int64
    public var field: String
    public var element: String?
    public var op: String
    public var oldValue: FieldValue?
    public var newValue: FieldValue?
    public var applied: Bool

    init(_ e: HistoryEntry) {
        stamp = e.stamp
        deviceId = e.deviceId
        deviceName = e.deviceName
        receivedAt = e.receivedAt
        field = e.field
        element = e.element
        op = e.op.rawValue
        oldValue = e.oldValue?.fieldValue
        newValue = e.newValue?.fieldValue
        applied = e.applied
    }
}
