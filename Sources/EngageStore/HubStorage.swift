import EngageCore
import EngageModel

/// What the service needs from the server's database. `HubStore` (one SQLite file in WAL
/// mode) is the embedded default; a PostgreSQL implementation for deployments that outgrow
/// one machine would conform to the same protocol, keeping every method one transaction.
public protocol HubStorage: Sendable {
    /// The database's generation: new in every backup copy, so devices notice a restored hub.
    var generation: String { get }
    func createEnrolment(codeHash: String, name: String, post: String, role: DeviceRecord.Role, expiresAt: Int64) throws(StoreError)
    func enrolment(codeHash: String) throws(StoreError) -> EnrolmentRecord?
    func enroll(codeHash: String, deviceId: String, nodeId: String, tokenHash: String) throws(StoreError) -> DeviceRecord
    func split(device: DeviceRecord, deviceId: String, nodeId: String, tokenHash: String) throws(StoreError) -> DeviceRecord
    func device(tokenHash: String) throws(StoreError) -> DeviceRecord?
    func touch(deviceId: String) throws(StoreError)
    @discardableResult func revoke(deviceId: String) throws(StoreError) -> DeviceRecord
    func push(_ changes: [Change], from device: DeviceRecord, relay: Bool) throws(StoreError) -> PushResult
    func pull(
        after cursor: Int64, for device: DeviceRecord, limit: Int, maxBytes: Int, own: [ClosedRange<Int64>], countRemaining: Bool
    ) throws(StoreError) -> PullPage
    func history(activityId: String) throws(StoreError)
        -> [(stamp: HLC, deviceId: String, deviceName: String?, receivedAt: Int64, change: Change, oldValue: FieldValue?, applied: Bool)]
    func post(ofActivity id: String) throws(StoreError) -> String?
    func activities(after cursor: String?) throws(StoreError) -> [Activity]
    func activityPage(
        after cursor: String?, limit: Int, filter: ActivityFilter, matching: (Activity) -> Bool
    ) throws(StoreError) -> (activities: [Activity], more: Bool)
    func partnerRegistry() throws(StoreError) -> PartnerRegistry
    func openConflictCount() throws(StoreError) -> Int
}

extension HubStore: HubStorage {}
