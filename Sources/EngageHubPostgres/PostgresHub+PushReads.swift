import EngageCore
import EngageStorage
import Foundation
import Logging
import PostgresNIO

/// The reads of a push on PostgreSQL, a few queries each for the whole batch.
extension Known {
    /// What a push of `changes` from `device` foreseeably reads: the records' state, the change-log
    /// entries with their stamps, the node's high water, the enrolments of the nodes that
    /// stamped the batch, and the posts of the conflicts they name.
    static func prefetch(
        _ changes: [Change], device: DeviceRecord, activityIds: [String], _ connection: PostgresConnection, logger: Logger
    )
        async throws -> Known
    {
        let known = Known()
        known.states = try await PostgresHub.states(
            of: changes.map { MemoryReplica.RecordKey(collection: $0.collection, recordId: $0.recordId) }, connection,
            logger: logger)
        let stamps = Array(Set(changes.map(\.stamp.encoded)))
        if !stamps.isEmpty {
            let rows = try await connection.query(
                // Joined with the list rather than `= ANY`, so the plan is the unique index's point
                // lookups whatever the statistics say (a sequential scan had cost 10 ms a push at 150,000 entries).
                """
                SELECT l.stamp, l.collection, l.record_id, l.field, l.element, l.op, l.new_value, l.id, l.device_id
                FROM UNNEST(\(stamps)::text[]) AS s (stamp) JOIN change_log l ON l.stamp = s.stamp
                """,
                logger: logger)
            for try await (stamp, collection, record, field, element, op, newValue, id, deviceId) in rows.decode(
                (String, String, String, String, String, String, String?, Int64, String).self)
            {
                let key = HubPush.logKey(stamp, collection, record, field, element)
                known.received[key] = HubPush.signature(op: op, newValue: newValue)
                if deviceId == device.id { known.heldIDs[key] = id }
            }
        }
        for try await stamp in try await connection.query(
            "SELECT max_stamp FROM node_stamp WHERE node_id = \(device.nodeId)", logger: logger
        ).decode(String.self) {
            known.highWater = HLC(encoded: stamp)
        }
        try await known.readAuthors(Array(Set(changes.map(\.stamp.node.rawValue))), connection, logger: logger)
        try await known.readConflictPosts(
            Array(Set(changes.filter { $0.collection == ConflictRecord.collection }.map(\.recordId))), connection, logger: logger)
        return known
    }

    /// Reads what the last run found missing, and clears the list.
    func fetchMissing(_ connection: PostgresConnection, logger: Logger) async throws {
        for (key, state) in try await PostgresHub.states(of: missingStates, connection, logger: logger) { states[key] = state }
        try await readConflictPosts(Array(missingConflicts), connection, logger: logger)
        for (id, post) in try await PostgresHub.posts(of: Array(missingActivities), connection, logger: logger) {
            activityPosts[id] = post
        }
        try await readAuthors(Array(missingNodes), connection, logger: logger)
        missingStates = []
        missingConflicts = []
        missingActivities = []
        missingNodes = []
    }

    /// The device enrolled under each node in `nodes` (revoked ones included; none for the hub's own node).
    func readAuthors(_ nodes: [String], _ connection: PostgresConnection, logger: Logger) async throws {
        guard !nodes.isEmpty else { return }
        for node in nodes { authors[node] = .some(nil) }
        var bindings = PostgresBindings()
        bindings.append(nodes)
        for device in try await PostgresHub.devices(where: "node_id = ANY($1)", bindings, connection, logger: logger) {
            authors[device.nodeId] = device
        }
    }

    /// The post of the activity each conflict in `ids` is about (nil for a conflict the hub lacks).
    func readConflictPosts(_ ids: [String], _ connection: PostgresConnection, logger: Logger) async throws {
        guard !ids.isEmpty else { return }
        for id in ids { conflictPosts[id] = .some(nil) }
        for try await (id, post) in try await connection.query(
            "SELECT c.id, a.post FROM conflict c JOIN activity a ON a.id = c.record_id WHERE c.id = ANY(\(ids))", logger: logger
        ).decode((String, String).self) {
            conflictPosts[id] = post
        }
    }
}
