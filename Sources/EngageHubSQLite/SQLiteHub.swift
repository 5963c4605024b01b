import Dispatch
import EngageCore
import EngageModel
import EngageStorage

/// `HubStore` as a `HubStorage`: each call runs on a thread of its own (GRDB blocks while
/// SQLite works), so the service's event loops and the cooperative pool never wait on the disk.
public struct SQLiteHub: HubStorage {
    public let store: HubStore

    public init(_ store: HubStore) { self.store = store }

    public var generation: String { store.generation }

    /// Runs blocking work on a global queue and resumes with its result.
    func offload<T: Sendable>(_ work: @escaping @Sendable () throws(StoreError) -> T) async throws(StoreError) -> T {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(StoreError) { continuation.resume(returning: .success(try work())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    public func createEnrolment(codeHash: String, name: String, post: String, role: DeviceRecord.Role, expiresAt: Int64)
        async throws(StoreError)
    {
        try await offload { () throws(StoreError) in
            try store.createEnrolment(codeHash: codeHash, name: name, post: post, role: role, expiresAt: expiresAt)
        }
    }
    public func enrolment(codeHash: String) async throws(StoreError) -> EnrolmentRecord? {
        try await offload { () throws(StoreError) in try store.enrolment(codeHash: codeHash) }
    }
    public func enroll(codeHash: String, deviceId: String, nodeId: String, tokenHash: String) async throws(StoreError)
        -> DeviceRecord
    {
        try await offload { () throws(StoreError) in
            try store.enroll(codeHash: codeHash, deviceId: deviceId, nodeId: nodeId, tokenHash: tokenHash)
        }
    }
    public func split(device: DeviceRecord, deviceId: String, nodeId: String, tokenHash: String) async throws(StoreError)
        -> DeviceRecord
    {
        try await offload { () throws(StoreError) in
            try store.split(device: device, deviceId: deviceId, nodeId: nodeId, tokenHash: tokenHash)
        }
    }
    public func device(tokenHash: String) async throws(StoreError) -> DeviceRecord? {
        try await offload { () throws(StoreError) in try store.device(tokenHash: tokenHash) }
    }
    public func touch(deviceId: String) async throws(StoreError) {
        try await offload { () throws(StoreError) in try store.touch(deviceId: deviceId) }
    }
    public func devices() async throws(StoreError) -> [DeviceRecord] {
        try await offload { () throws(StoreError) in try store.devices() }
    }
    public func grantSplit(deviceId: String) async throws(StoreError) {
        try await offload { () throws(StoreError) in try store.grantSplit(deviceId: deviceId) }
    }

    @discardableResult public func revoke(deviceId: String) async throws(StoreError) -> DeviceRecord {
        try await offload { () throws(StoreError) in try store.revoke(deviceId: deviceId) }
    }
    public func push(_ changes: [Change], from device: DeviceRecord, relay: Bool) async throws(StoreError) -> PushResult {
        try await offload { () throws(StoreError) in try store.push(changes, from: device, relay: relay) }
    }
    public func pull(
        after cursor: Int64, for device: DeviceRecord, limit: Int, maxBytes: Int, own: [ClosedRange<Int64>], countRemaining: Bool
    ) async throws(StoreError) -> PullPage {
        try await offload { () throws(StoreError) in
            try store.pull(after: cursor, for: device, limit: limit, maxBytes: maxBytes, own: own, countRemaining: countRemaining)
        }
    }
    public func history(activityId: String) async throws(StoreError) -> [ChangeLogEntry] {
        try await offload { () throws(StoreError) in try store.history(activityId: activityId) }
    }
    public func post(ofActivity id: String) async throws(StoreError) -> String? {
        try await offload { () throws(StoreError) in try store.post(ofActivity: id) }
    }
    public func activities(after cursor: String?) async throws(StoreError) -> [Activity] {
        try await offload { () throws(StoreError) in try store.activities(after: cursor) }
    }
    public func activityPage(
        after cursor: String?, limit: Int, filter: ActivityFilter, matching: @escaping @Sendable (Activity) -> Bool
    ) async throws(StoreError) -> (activities: [Activity], more: Bool) {
        let page = try await offload { () throws(StoreError) in
            let (activities, more) = try store.activityPage(after: cursor, limit: limit, filter: filter, matching: matching)
            return Page(activities: activities, more: more)
        }
        return (page.activities, page.more)
    }
    public func partnerRegistry() async throws(StoreError) -> PartnerRegistry {
        try await offload { () throws(StoreError) in try store.partnerRegistry() }
    }
    public func activities(writtenBy deviceId: String, among ids: [String]) async throws(StoreError) -> Set<String> {
        try await offload { () throws(StoreError) in try store.activities(writtenBy: deviceId, among: ids) }
    }
    public func checkpoint() async throws(StoreError) -> String? {
        try await offload { () throws(StoreError) in try store.checkpoint() }
    }
    public func holds(checkpoint: String) async throws(StoreError) -> Bool {
        try await offload { () throws(StoreError) in try store.holds(checkpoint: checkpoint) }
    }
    public func openConflictCount() async throws(StoreError) -> Int {
        try await offload { () throws(StoreError) in try store.openConflictCount() }
    }
    public func importPartners(_ partners: [Partner]) async throws(StoreError) -> Int {
        try await offload { () throws(StoreError) in try store.importPartners(partners) }
    }
    public func partnerCount() async throws(StoreError) -> Int {
        try await offload { () throws(StoreError) in try store.partnerCount() }
    }
    public func importActivities(_ activities: [Activity]) async throws(StoreError) -> (created: Int, existing: Int) {
        let counts = try await offload { () throws(StoreError) in
            let (created, existing) = try store.importActivities(activities)
            return [created, existing]
        }
        return (counts[0], counts[1])
    }

    /// A page as a Sendable value (tuples of arrays cross the continuation awkwardly).
    struct Page: Sendable {
        var activities: [Activity]
        var more: Bool
    }
}
