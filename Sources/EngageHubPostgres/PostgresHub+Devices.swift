import EngageStorage
import Foundation
import Logging
import PostgresNIO

/// Devices and enrolment codes: the same rules and messages as `HubStore+Devices`.
extension PostgresHub {
    public func createEnrolment(codeHash: String, name: String, post: String, role: DeviceRecord.Role, expiresAt: Int64)
        async throws(StoreError)
    {
        let now = physicalMs()
        let logger = logger
        try await transaction { connection in
            _ = try await connection.query(
                """
                INSERT INTO enrolment (code_hash, name, post, role, created_at, expires_at)
                VALUES (\(codeHash), \(name), \(post), \(role.rawValue), \(now), \(expiresAt))
                """, logger: logger)
        }
    }

    public func enrolment(codeHash: String) async throws(StoreError) -> EnrolmentRecord? {
        let logger = logger
        return try await transaction { connection in
            let rows = try await connection.query(
                "SELECT name, post, role, expires_at, used_at FROM enrolment WHERE code_hash = \(codeHash)", logger: logger)
            for try await (name, post, role, expires, used) in rows.decode((String, String, String, Int64, Int64?).self) {
                return EnrolmentRecord(name: name, post: post, role: role, expiresAt: expires, used: used != nil)
            }
            return nil
        }
    }

    public func enroll(codeHash: String, deviceId: String, nodeId: String, tokenHash: String) async throws(StoreError)
        -> DeviceRecord
    {
        let now = physicalMs()
        let logger = logger
        return try await transaction { connection in
            // FOR UPDATE: two servers redeeming one code at once take turns; the second finds it used.
            let rows = try await connection.query(
                "SELECT name, post, role, expires_at, used_at, device_id FROM enrolment WHERE code_hash = \(codeHash) FOR UPDATE",
                logger: logger)
            var found: (String, String, String, Int64, Int64?, String?)?
            for try await row in rows.decode((String, String, String, Int64, Int64?, String?).self) { found = row }
            guard let (name, post, role, expires, used, usedBy) = found else {
                throw StoreError(
                    .notFound, "this enrolment code is not valid; ask an administrator for a new one (engage-server enroll)")
            }
            if let used {
                // The same device asking again (the answer was lost): the same enrolment, a new token.
                var bindings = PostgresBindings()
                bindings.append(usedBy ?? "")
                bindings.append(nodeId)
                guard HubRecords.mayRedeemAgain(used: used, expires: expires, now: now),
                    let again = try await Self.devices(
                        where: "id = $1 AND node_id = $2 AND revoked_at IS NULL", bindings, connection, logger: logger
                    ).first
                else { throw HubRecords.codeUsed }
                try await connection.query("UPDATE device SET token_hash = \(tokenHash) WHERE id = \(again.id)", logger: logger)
                return again
            }
            if expires < now { throw StoreError(.invalid, "this enrolment code expired; ask an administrator for a new one") }
            let device = DeviceRecord(
                id: deviceId, name: name, post: post, role: DeviceRecord.Role(rawValue: role) ?? .advisor,
                nodeId: nodeId, lastSeen: now, revoked: false)
            try await Self.insert(device, tokenHash: tokenHash, now: now, connection, logger: logger)
            try await connection.query(
                "UPDATE enrolment SET used_at = \(now), device_id = \(deviceId) WHERE code_hash = \(codeHash)", logger: logger)
            return device
        }
    }

    public func split(device: DeviceRecord, deviceId: String, nodeId: String, tokenHash: String) async throws(StoreError)
        -> DeviceRecord
    {
        let now = physicalMs()
        let logger = logger
        return try await transaction { connection in
            var granted = false
            for try await _ in try await connection.query(
                """
                UPDATE device SET split_granted_at = NULL
                WHERE id = \(device.id) AND split_granted_at IS NOT NULL AND revoked_at IS NULL RETURNING id
                """, logger: logger
            ).decode(String.self) { granted = true }
            guard granted else { throw HubRecords.noIdentityConflict(device) }
            let copy = DeviceRecord(
                id: deviceId, name: String((device.name + " (copy)").prefix(200)), post: device.post, role: device.role,
                nodeId: nodeId, lastSeen: now, revoked: false, parentId: device.id)
            try await Self.insert(copy, tokenHash: tokenHash, now: now, connection, logger: logger)
            return copy
        }
    }

    public func grantSplit(deviceId: String) async throws(StoreError) {
        let now = physicalMs()
        let logger = logger
        try await transaction { connection in
            _ = try await connection.query("UPDATE device SET split_granted_at = \(now) WHERE id = \(deviceId)", logger: logger)
        }
    }

    /// Inserts a device, refusing a node id another device has (revoked or not) with `node_in_use`.
    static func insert(_ device: DeviceRecord, tokenHash: String, now: Int64, _ connection: PostgresConnection, logger: Logger)
        async throws
    {
        let taken = try await connection.query("SELECT id FROM device WHERE node_id = \(device.nodeId)", logger: logger)
        for try await other in taken.decode(String.self) { throw nodeInUse(device.nodeId, other) }
        do {
            try await connection.query(
                """
                INSERT INTO device (id, name, post, role, node_id, token_hash, created_at, last_seen, parent_id)
                VALUES (\(device.id), \(device.name), \(device.post), \(device.role.rawValue), \(device.nodeId), \(tokenHash), \(now), \(now),
                        \(device.parentId))
                """, logger: logger)
        } catch  where isUniqueViolation(error) {
            // Another server enrolled the same node id between the check and the insert.
            throw nodeInUse(device.nodeId, "enrolled at the same moment")
        }
    }

    static func nodeInUse(_ node: String, _ other: String) -> StoreError {
        StoreError(
            .nodeInUse,
            "node id \(node) is already enrolled; the app takes a new identity and enrols again (it does so by itself)")
    }

    public func device(tokenHash: String) async throws(StoreError) -> DeviceRecord? {
        let logger = logger
        return try await transaction { connection in
            try await Self.devices(where: "token_hash = $1", tokenHash, connection, logger: logger).first
        }
    }

    public func touch(deviceId: String) async throws(StoreError) {
        let now = physicalMs()
        let logger = logger
        try await transaction { connection in
            _ = try await connection.query("UPDATE device SET last_seen = \(now) WHERE id = \(deviceId)", logger: logger)
        }
    }

    public func devices() async throws(StoreError) -> [DeviceRecord] {
        let logger = logger
        return try await transaction { connection in try await Self.devices(where: "TRUE", nil, connection, logger: logger) }
    }

    @discardableResult
    public func revoke(deviceId: String) async throws(StoreError) -> DeviceRecord {
        let now = physicalMs()
        let logger = logger
        return try await transaction { connection in
            // A prefix match that treats '%' and '_' as the characters they are.
            let rows = try await Self.devices(
                where: "left(id, length($1)) = $1 AND length($1) > 0", deviceId, connection, logger: logger)
            guard rows.count == 1, var device = rows.first else {
                throw rows.isEmpty
                    ? StoreError(.notFound, "no device has id '\(deviceId)'; `engage-server devices list` shows them")
                    : StoreError(.ambiguousID, "device id '\(deviceId)' matches several; type more characters")
            }
            var bindings = PostgresBindings()
            bindings.append(device.id)
            bindings.append(now)
            try await connection.query(
                PostgresQuery(unsafeSQL: HubRecords.revokeLineageSQL(now: "$2", first: "$1"), binds: bindings), logger: logger)
            device.revoked = true
            return device
        }
    }

    /// Devices matching `condition` (which may use `$1`, bound to `argument`), oldest first.
    static func devices(where condition: String, _ argument: String?, _ connection: PostgresConnection, logger: Logger)
        async throws -> [DeviceRecord]
    {
        var bindings = PostgresBindings()
        if let argument { bindings.append(argument) }
        return try await devices(where: condition, bindings, connection, logger: logger)
    }

    /// Devices matching `condition` (which may use the `bindings`), oldest first.
    static func devices(where condition: String, _ bindings: PostgresBindings, _ connection: PostgresConnection, logger: Logger)
        async throws
        -> [DeviceRecord]
    {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT id, name, post, role, node_id, last_seen, revoked_at, parent_id FROM device WHERE \(condition) ORDER BY created_at, id COLLATE \"C\"",
                binds: bindings),
            logger: logger)
        var devices: [DeviceRecord] = []
        for try await (id, name, post, role, node, seen, revoked, parent) in rows.decode(
            (String, String, String, String, String, Int64?, Int64?, String?).self)
        {
            devices.append(
                DeviceRecord(
                    id: id, name: name, post: post, role: DeviceRecord.Role(rawValue: role) ?? .advisor, nodeId: node,
                    lastSeen: seen, revoked: revoked != nil, parentId: parent))
        }
        return devices
    }
}

extension PostgresHub: HubDevices {}
