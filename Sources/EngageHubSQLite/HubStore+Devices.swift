import EngageCore
import EngageReplica
import EngageStorage
import Foundation
import GRDB

extension HubStore {
    /// Stores a one-time enrolment code (its hash) valid until `expiresAt`.
    public func createEnrolment(codeHash: String, name: String, post: String, role: DeviceRecord.Role, expiresAt: Int64)
        throws(StoreError)
    {
        let now = physicalMs()
        try write { db in
            try db.execute(
                sql: "INSERT INTO enrolment (code_hash, name, post, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [codeHash, name, post, role.rawValue, now, expiresAt])
        }
    }

    /// Exchanges an unused, unexpired code for a device; fails without changing anything otherwise.
    public func enroll(codeHash: String, deviceId: String, nodeId: String, tokenHash: String) throws(StoreError) -> DeviceRecord {
        let now = physicalMs()
        return try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM enrolment WHERE code_hash = ?", arguments: [codeHash]) else {
                throw StoreError(
                    .notFound, "this enrolment code is not valid; ask an administrator for a new one (engage-server enroll)")
            }
            if let used = row["used_at"] as Int64? {
                // The same device asking again (the answer was lost): the same enrolment, a new token.
                guard HubRecords.mayRedeemAgain(used: used, expires: row["expires_at"], now: now),
                    let id = row["device_id"] as String?,
                    let again = try Row.fetchOne(
                        db, sql: "SELECT * FROM device WHERE id = ? AND node_id = ? AND revoked_at IS NULL",
                        arguments: [id, nodeId])
                else { throw HubRecords.codeUsed }
                try db.execute(sql: "UPDATE device SET token_hash = ? WHERE id = ?", arguments: [tokenHash, id])
                return Self.device(from: again)
            }
            if (row["expires_at"] as Int64) < now {
                throw StoreError(.invalid, "this enrolment code expired; ask an administrator for a new one")
            }
            try Self.checkNodeFree(nodeId, db: db)
            let device = DeviceRecord(
                id: deviceId, name: row["name"], post: row["post"],
                role: DeviceRecord.Role(rawValue: row["role"]) ?? .advisor, nodeId: nodeId,
                lastSeen: now, revoked: false)
            try db.execute(
                sql:
                    "INSERT INTO device (id, name, post, role, node_id, token_hash, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [device.id, device.name, device.post, device.role.rawValue, nodeId, tokenHash, now, now])
            try db.execute(
                sql: "UPDATE enrolment SET used_at = ?, device_id = ? WHERE code_hash = ?", arguments: [now, deviceId, codeHash])
            return device
        }
    }

    /// Refuses a node id another enrolled device has (revoked or not): stamps name their node,
    /// so two devices must never share one.
    static func checkNodeFree(_ nodeId: String, db: Database) throws {
        if try String.fetchOne(db, sql: "SELECT id FROM device WHERE node_id = ?", arguments: [nodeId]) != nil {
            throw StoreError(
                .nodeInUse,
                "node id \(nodeId) is already enrolled; the app takes a new identity and enrols again (it does so by itself)")
        }
    }

    /// Makes `device`'s copy a device of its own (see `Service.newIdentity`): same name (marked
    /// as a copy), post and role; a new id, node id and token; `device` as its parent. Consumes
    /// the grant the hub gave with `identity_conflict`; refuses without one. One transaction.
    public func split(device: DeviceRecord, deviceId: String, nodeId: String, tokenHash: String) throws(StoreError)
        -> DeviceRecord
    {
        let now = physicalMs()
        return try write { db in
            try db.execute(
                sql:
                    "UPDATE device SET split_granted_at = NULL WHERE id = ? AND split_granted_at IS NOT NULL AND revoked_at IS NULL",
                arguments: [device.id])
            guard db.changesCount == 1 else { throw HubRecords.noIdentityConflict(device) }
            try Self.checkNodeFree(nodeId, db: db)
            let copy = DeviceRecord(
                id: deviceId, name: String((device.name + " (copy)").prefix(200)), post: device.post, role: device.role,
                nodeId: nodeId, lastSeen: now, revoked: false, parentId: device.id)
            try db.execute(
                sql: """
                    INSERT INTO device (id, name, post, role, node_id, token_hash, created_at, last_seen, parent_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [copy.id, copy.name, copy.post, copy.role.rawValue, nodeId, tokenHash, now, now, device.id])
            return copy
        }
    }

    public func grantSplit(deviceId: String) throws(StoreError) {
        let now = physicalMs()
        try write { db in try db.execute(sql: "UPDATE device SET split_granted_at = ? WHERE id = ?", arguments: [now, deviceId]) }
    }

    /// The device a token hash belongs to; nil if unknown. Revoked devices are returned (marked).
    public func device(tokenHash: String) throws(StoreError) -> DeviceRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM device WHERE token_hash = ?", arguments: [tokenHash]).map(Self.device(from:))
        }
    }

    /// Notes that a device was seen now.
    public func touch(deviceId: String) throws(StoreError) {
        let now = physicalMs()
        try write { db in try db.execute(sql: "UPDATE device SET last_seen = ? WHERE id = ?", arguments: [now, deviceId]) }
    }

    public func devices() throws(StoreError) -> [DeviceRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM device ORDER BY created_at, id").map(Self.device(from:)) }
    }

    /// Revokes a device (by id or unique prefix); its next request is refused. Returns it.
    @discardableResult
    public func revoke(deviceId: String) throws(StoreError) -> DeviceRecord {
        let now = physicalMs()
        return try write { db in
            // A prefix match that treats '%' and '_' as the characters they are.
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM device WHERE substr(id, 1, length(?1)) = ?1 AND length(?1) > 0 LIMIT 2",
                arguments: [deviceId])
            guard rows.count == 1 else {
                throw rows.isEmpty
                    ? StoreError(.notFound, "no device has id '\(deviceId)'; `engage-server devices list` shows them")
                    : StoreError(.ambiguousID, "device id '\(deviceId)' matches several; type more characters")
            }
            var device = Self.device(from: rows[0])
            try db.execute(sql: HubRecords.revokeLineageSQL(now: "?2"), arguments: [device.id, now])
            device.revoked = true
            return device
        }
    }

    static func device(from row: Row) -> DeviceRecord {
        DeviceRecord(
            id: row["id"], name: row["name"], post: row["post"], role: DeviceRecord.Role(rawValue: row["role"]) ?? .advisor,
            nodeId: row["node_id"], lastSeen: row["last_seen"], revoked: (row["revoked_at"] as Int64?) != nil,
            parentId: row["parent_id"])
    }
}

extension HubStore {
    public func enrolment(codeHash: String) throws(StoreError) -> EnrolmentRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM enrolment WHERE code_hash = ?", arguments: [codeHash]).map {
                EnrolmentRecord(
                    name: $0["name"], post: $0["post"], role: $0["role"], expiresAt: $0["expires_at"],
                    used: ($0["used_at"] as Int64?) != nil)
            }
        }
    }

    /// Gives a device a new token (its hash); used by replays to stand a placeholder in for the real one.
    public func setToken(deviceId: String, tokenHash: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE device SET token_hash = ? WHERE id = ?", arguments: [tokenHash, deviceId])
            guard db.changesCount == 1 else {
                throw StoreError(
                    .notFound,
                    "device \(deviceId) is not in this database; replay a device transcript against the server database it synced with (--db)"
                )
            }
        }
    }
}
