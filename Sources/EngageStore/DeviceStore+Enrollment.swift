import EngageCore
import EngageReplica
import EngageStorage
import Foundation
import GRDB

/// Where this device syncs and with what credentials.
public struct Enrollment: Sendable, Equatable {
    public var serverURL: String
    public var deviceId: String
    public var token: String
    /// The post and role the hub enrolled the device for (nil when enrolled by an older version).
    public var post: String?
    public var role: String?
    /// The agency CA this device trusts for the server (PEM), given at enrolment with
    /// `--ca-cert`; nil: the system's trust store.
    public var agencyCA: String?

    public init(
        serverURL: String, deviceId: String, token: String, post: String? = nil, role: String? = nil, agencyCA: String? = nil
    ) {
        self.serverURL = serverURL
        self.deviceId = deviceId
        self.token = token
        self.post = post
        self.role = role
        self.agencyCA = agencyCA
    }
}

extension DeviceStore {
    public func enrollment() throws(StoreError) -> Enrollment? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT server_url, device_id, token, device_post, device_role, agency_ca FROM sync_state WHERE id = 1"),
                let url: String = row[0], let id: String = row[1], let token: String = row[2]
            else { return nil }
            return Enrollment(serverURL: url, deviceId: id, token: token, post: row[3], role: row[4], agencyCA: row[5])
        }
    }

    /// Saves the enrolment. A new enrolment (another device id: re-enrolled after a revocation,
    /// perhaps for another post or role) pulls from the beginning, since what it may see changed.
    public func saveEnrollment(_ e: Enrollment) throws(StoreError) {
        try write { db in
            let previous = try String.fetchOne(db, sql: "SELECT device_id FROM sync_state WHERE id = 1")
            try Self.save(e, db)
            if previous != e.deviceId { try db.execute(sql: "UPDATE sync_state SET server_cursor = 0 WHERE id = 1") }
        }
    }

    static func save(_ e: Enrollment, _ db: Database) throws {
        try db.execute(
            sql:
                "UPDATE sync_state SET server_url = ?, device_id = ?, token = ?, device_post = ?, device_role = ?, agency_ca = ? WHERE id = 1",
            arguments: [e.serverURL, e.deviceId, e.token, e.post, e.role, e.agencyCA])
    }

    /// Trusts another agency CA (PEM) for the enrolled server from now on (a CA replaced by the
    /// agency, given to a sync that went through with it).
    public func setAgencyCA(_ pem: String) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE sync_state SET agency_ca = ? WHERE id = 1", arguments: [pem]) }
    }

    /// Changes the server refused, newest first.
    public func rejectedChanges() throws(StoreError) -> [(change: Change, code: String, message: String, at: String)] {
        try read { db in
            let decoder = JSONDecoder()
            return try Row.fetchAll(db, sql: "SELECT * FROM rejected_change ORDER BY at DESC, stamp").compactMap { row in
                guard let c = try? decoder.decode(Change.self, from: Data((row["change"] as String).utf8)) else { return nil }
                return (c, row["code"], row["message"], row["at"])
            }
        }
    }

    /// Corrects the device clock by the server's time, learned from one round trip (and pulls
    /// back a clock that ran more than `HLC.maxAheadMs` ahead of it — never below a stamp of its
    /// own the hub already took: a hub whose clock stepped back would otherwise see this
    /// device's next stamps below those, take it for a copy, and let its older value win).
    public func learnServerTime(serverMs: Int64, sentMs: Int64, receivedMs: Int64) throws(StoreError) {
        try write { db in
            var context = try ReplicaContext.load(db)
            let before = context.clock.last
            context.clock.learnServerTime(serverMs: serverMs, sentMs: sentMs, receivedMs: receivedMs)
            if context.clock.last < before, let taken = try Self.latestTakenStamp(db, node: context.clock.node),
                taken > context.clock.last
            {
                context.clock = HybridClock(node: context.clock.node, last: taken, offsetMs: context.clock.offsetMs)
            }
            if context.clock.last < before {
                // The clock ran ahead and was pulled back: what this device stamped beyond the
                // bound is stamped again now, so that its own later edits still come after it.
                let bound = serverMs + HLC.maxAheadMs
                let ahead = Set(try Self.outbox(db).map(\.change.stamp).filter { $0.wallMs > bound })
                try Self.restamp(db, ahead, clock: &context.clock, seq: &context.seq, now: physicalMs())
            }
            try context.save(db)
        }
    }

    /// The latest stamp of this device's node the hub took (`device/0011_taken_stamp.sql`).
    static func latestTakenStamp(_ db: Database, node: NodeID) throws -> HLC? {
        let taken = try String.fetchOne(db, sql: "SELECT taken_stamp FROM sync_state WHERE id = 1").flatMap(HLC.init(encoded:))
        return taken?.node == node ? taken : nil
    }

    public func recordSync(at text: String) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE sync_state SET last_sync = ? WHERE id = 1", arguments: [text]) }
    }

    /// The device's raw physical clock (for timing round trips).
    public func physicalNow() -> Int64 { physicalMs() }
}
