import EngageCore
import EngageModel

/// Enrolled devices and one-time enrolment codes: the part of a hub's database that holds who
/// may sync (every method one transaction, errors as in `HubStorage`).
public protocol HubDevices: Sendable {
    func createEnrolment(codeHash: String, name: String, post: String, role: DeviceRecord.Role, expiresAt: Int64)
        async throws(StoreError)
    func enrolment(codeHash: String) async throws(StoreError) -> EnrolmentRecord?
    /// Exchanges an unused, unexpired code (its SHA-256 hash) for a device; `node_in_use` when
    /// another device has the node id.
    func enroll(codeHash: String, deviceId: String, nodeId: String, tokenHash: String) async throws(StoreError) -> DeviceRecord
    /// Makes a copied database's device a device of its own: same post and role, new ids and
    /// token, linked to `device` (its parent). Only once per `grantSplit` of `device`:
    /// `no_identity_conflict` otherwise.
    func split(device: DeviceRecord, deviceId: String, nodeId: String, tokenHash: String) async throws(StoreError) -> DeviceRecord
    /// Lets `device` take one new identity: the hub has just answered it `identity_conflict`.
    func grantSplit(deviceId: String) async throws(StoreError)
    /// The device a token hash belongs to (revoked ones included, marked); nil if unknown.
    func device(tokenHash: String) async throws(StoreError) -> DeviceRecord?
    func touch(deviceId: String) async throws(StoreError)
    /// Every enrolled device, oldest first.
    func devices() async throws(StoreError) -> [DeviceRecord]
    /// Revokes the device whose id is or starts with `deviceId`, and every device of its lineage
    /// (the enrolment it descends from and every copy): `not_found`, or `ambiguous_id` when the
    /// prefix matches several. Returns the device named.
    @discardableResult func revoke(deviceId: String) async throws(StoreError) -> DeviceRecord
}

/// What the service and its administration need from the hub's database, and all they may
/// reach. Implemented by `HubStore` through `SQLiteHub` (one SQLite file, the embedded
/// default) and by `PostgresHub` (PostgreSQL, for several server processes on one database);
/// `Tests/EngageServerTests/Conformance` runs the same tests on both.
///
/// Every method is one transaction: it commits before it returns, or changes nothing and
/// throws. Errors are `StoreError`s whose codes the service maps to HTTP answers
/// (`not_found` 404, `invalid_value` 400, `identity_conflict` and `node_in_use` 409,
/// `disk_full` 503, `database` and `file` 500); their messages say what to do.
public protocol HubStorage: HubDevices {
    /// The database's generation: new in every restored backup, so devices notice a restored hub.
    var generation: String { get }

    // MARK: Sync
    /// Applies a batch through the merge core (the rules are `HubPush`'s), answering
    /// the same for the same batch against the same state.
    func push(_ changes: [Change], from device: DeviceRecord, relay: Bool) async throws(StoreError) -> PushResult
    /// The latest state of what changed after `cursor` and `device` may see, in sequence order:
    /// at most `limit` changes and about `maxBytes` bytes of JSON; without what the change-log
    /// id ranges in `own` wrote; with `countRemaining`, about how many changes follow.
    func pull(
        after cursor: Int64, for device: DeviceRecord, limit: Int, maxBytes: Int, own: [ClosedRange<Int64>], countRemaining: Bool
    ) async throws(StoreError) -> PullPage

    /// The latest mark of the change sequence, `SEQ.MARK` (`schema/hub/0010_sequence_marks.sql`):
    /// read after an answer's data, a device names it at its next exchange. Nil before any write.
    func checkpoint() async throws(StoreError) -> String?
    /// Whether this database holds `checkpoint`, a mark it gave before: false when it went back
    /// (restored from a copy taken before that mark, whatever tool took it).
    func holds(checkpoint: String) async throws(StoreError) -> Bool

    /// Which of the activities `ids` the device `deviceId` has written to (one read: an
    /// import's later pushes of an activity it created are its own, not an override).
    func activities(writtenBy deviceId: String, among ids: [String]) async throws(StoreError) -> Set<String>

    // MARK: Reading for people
    /// Every accepted change of an activity, oldest first.
    func history(activityId: String) async throws(StoreError) -> [ChangeLogEntry]
    /// The post an activity belongs to (nil if the hub does not know it).
    func post(ofActivity id: String) async throws(StoreError) -> String?
    /// Every activity not deleted, by id, after `cursor` (an id) when given.
    func activities(after cursor: String?) async throws(StoreError) -> [Activity]
    /// One page of activities by id after `cursor`: at most `limit` of those the `filter` (in
    /// SQL) and `matching` (the rest of the HQ filter, in Swift) select, and whether more follow.
    func activityPage(
        after cursor: String?, limit: Int, filter: ActivityFilter, matching: @escaping @Sendable (Activity) -> Bool
    ) async throws(StoreError) -> (activities: [Activity], more: Bool)
    func partnerRegistry() async throws(StoreError) -> PartnerRegistry
    func openConflictCount() async throws(StoreError) -> Int

    // MARK: Administration
    /// Writes registry entries as the hub's own changes; returns how many changed.
    func importPartners(_ partners: [Partner]) async throws(StoreError) -> Int
    func partnerCount() async throws(StoreError) -> Int
    /// Creates the activities the hub lacks, as its own writes; those it holds stay as they are.
    func importActivities(_ activities: [Activity]) async throws(StoreError) -> (created: Int, existing: Int)
}
