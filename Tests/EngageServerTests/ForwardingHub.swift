import EngageCore
import EngageHubSQLite
import EngageModel
import EngageStorage

/// A `HubStorage` that hands every call to `inner`; a conforming type replaces the calls it
/// alters (a hub that drops changes, one whose database is swapped under it).
protocol ForwardingHub: HubStorage {
    var inner: any HubStorage { get }
}

extension ForwardingHub {
    var generation: String { inner.generation }
    func createEnrolment(codeHash: String, name: String, post: String, role: DeviceRecord.Role, expiresAt: Int64)
        async throws(StoreError)
    {
        try await inner.createEnrolment(codeHash: codeHash, name: name, post: post, role: role, expiresAt: expiresAt)
    }
    func enrolment(codeHash: String) async throws(StoreError) -> EnrolmentRecord? {
        try await inner.enrolment(codeHash: codeHash)
    }
    func enroll(codeHash: String, deviceId: String, nodeId: String, tokenHash: String) async throws(StoreError) -> DeviceRecord {
        try await inner.enroll(codeHash: codeHash, deviceId: deviceId, nodeId: nodeId, tokenHash: tokenHash)
    }
    func grantSplit(deviceId: String) async throws(StoreError) { try await inner.grantSplit(deviceId: deviceId) }
    func split(device: DeviceRecord, deviceId: String, nodeId: String, tokenHash: String) async throws(StoreError) -> DeviceRecord
    {
        try await inner.split(device: device, deviceId: deviceId, nodeId: nodeId, tokenHash: tokenHash)
    }
    func device(tokenHash: String) async throws(StoreError) -> DeviceRecord? { try await inner.device(tokenHash: tokenHash) }
    func touch(deviceId: String) async throws(StoreError) { try await inner.touch(deviceId: deviceId) }
    func devices() async throws(StoreError) -> [DeviceRecord] { try await inner.devices() }
    func revoke(deviceId: String) async throws(StoreError) -> DeviceRecord { try await inner.revoke(deviceId: deviceId) }
    func push(_ changes: [Change], from device: DeviceRecord, relay: Bool) async throws(StoreError) -> PushResult {
        try await inner.push(changes, from: device, relay: relay)
    }
    func pull(
        after cursor: Int64, for device: DeviceRecord, limit: Int, maxBytes: Int, own: [ClosedRange<Int64>], countRemaining: Bool
    ) async throws(StoreError) -> PullPage {
        try await inner.pull(
            after: cursor, for: device, limit: limit, maxBytes: maxBytes, own: own, countRemaining: countRemaining)
    }
    func history(activityId: String) async throws(StoreError) -> [ChangeLogEntry] {
        try await inner.history(activityId: activityId)
    }
    func post(ofActivity id: String) async throws(StoreError) -> String? { try await inner.post(ofActivity: id) }
    func activities(after cursor: String?) async throws(StoreError) -> [Activity] { try await inner.activities(after: cursor) }
    func activityPage(
        after cursor: String?, limit: Int, filter: ActivityFilter, matching: @escaping @Sendable (Activity) -> Bool
    ) async throws(StoreError) -> (activities: [Activity], more: Bool) {
        try await inner.activityPage(after: cursor, limit: limit, filter: filter, matching: matching)
    }
    func partnerRegistry() async throws(StoreError) -> PartnerRegistry { try await inner.partnerRegistry() }
    func openConflictCount() async throws(StoreError) -> Int { try await inner.openConflictCount() }
    func checkpoint() async throws(StoreError) -> String? { try await inner.checkpoint() }
    func activities(writtenBy deviceId: String, among ids: [String]) async throws(StoreError) -> Set<String> {
        try await inner.activities(writtenBy: deviceId, among: ids)
    }
    func holds(checkpoint: String) async throws(StoreError) -> Bool { try await inner.holds(checkpoint: checkpoint) }
    func importPartners(_ partners: [Partner]) async throws(StoreError) -> Int { try await inner.importPartners(partners) }
    func partnerCount() async throws(StoreError) -> Int { try await inner.partnerCount() }
    func importActivities(_ activities: [Activity]) async throws(StoreError) -> (created: Int, existing: Int) {
        try await inner.importActivities(activities)
    }
}
