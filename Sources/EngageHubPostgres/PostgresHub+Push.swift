import EngageCore
import EngageStorage
import Foundation
import Logging
import PostgresNIO

/// Pushes on PostgreSQL: `HubPush`, the rules every hub store shares, over `MemoryReplica`,
/// in one transaction under the write lock.
///
/// The push's reads are made before it runs, in a few queries for the whole batch (the records'
/// state, the enrolments of the nodes that stamped them, the conflicts they name). A read it needs that was not foreseen —
/// the state of a conflict record it raises, an author's device name — is noted as missing; the
/// batch is then run again from the start with it (at most `passes` times). A run is a pure
/// function of what it reads, so the last run is the one a single read-on-demand run would be.
extension PostgresHub {
    public func push(_ changes: [Change], from device: DeviceRecord, relay: Bool = false) async throws(StoreError) -> PushResult {
        let now = physicalMs()
        let logger = logger
        return try await transaction { connection in
            try await Self.lockWrites(connection, logger: logger)
            var (seq, clock) = try await Self.hubState(connection, logger: logger)
            let activityIds = Array(Set(changes.filter { $0.collection == ActivityFields.collection }.map(\.recordId)))
            let known = try await Known.prefetch(changes, device: device, activityIds: activityIds, connection, logger: logger)
            let postsBefore = try await Self.posts(of: activityIds, connection, logger: logger)
            known.activityPosts = postsBefore  // the batch's activities: read once, for both
            var memory = MemoryReplica(seq: seq)
            var outcome: HubPush.Outcome?
            for _ in 0..<Self.passes {
                memory = MemoryReplica(seq: seq)
                for (key, state) in known.states { memory.load(key, state) }
                var writer = Loading(memory: memory, known: known)
                var passClock = clock
                let run = try HubPush.run(
                    changes, from: device, relay: relay, now: now, clock: &passClock, writer: &writer, reads: known.reads)
                memory = writer.memory
                if known.isComplete {
                    outcome = run
                    clock = passClock
                    break
                }
                try await known.fetchMissing(connection, logger: logger)
            }
            guard var outcome else {
                throw StoreError(.database, "a push kept needing more reads after \(Self.passes) passes; nothing was changed")
            }
            let moved = try await Self.resequenceMoved(postsBefore, in: &memory, connection, logger: logger)
            try await Self.writeRows(memory, connection, logger: logger)
            try await Self.noteMoves(moved, memory, connection, logger: logger)
            try await Self.project(memory, connection, logger: logger)
            outcome.result.logIDs = try await Self.append(outcome.log, device: device, now: now, connection, logger: logger)
            try await connection.query(
                "UPDATE hub_state SET local_seq = \(memory.seq), clock = \(clock.last.encoded) WHERE id = 1", logger: logger)
            if let stamp = outcome.newHighWater {
                try await connection.query(
                    """
                    INSERT INTO node_stamp (node_id, max_stamp) VALUES (\(device.nodeId), \(stamp.encoded))
                    ON CONFLICT (node_id) DO UPDATE SET max_stamp = excluded.max_stamp
                    """, logger: logger)
            }
            outcome.result.conflicts = try await Self.conflicts(involving: outcome.result.accepted, connection, logger: logger)
            return outcome.result
        }
    }

    /// Runs of a batch at most, each with the reads the one before found missing.
    static let passes = 4

    /// The last sequence number and the hub's clock; read under the write lock.
    static func hubState(_ connection: PostgresConnection, logger: Logger) async throws -> (Int64, HybridClock) {
        for try await (seq, clock) in try await connection.query(
            "SELECT local_seq, clock FROM hub_state WHERE id = 1", logger: logger
        )
        .decode((Int64, String?).self) {
            return (seq, HybridClock(node: HubRules.node, last: clock.flatMap(HLC.init(encoded:))))
        }
        throw StoreError(.database, "the hub database has no hub_state row; it was not made by engage-server")
    }

    /// The post of each activity in `ids` (nil while it has no typed row).
    static func posts(of ids: [String], _ connection: PostgresConnection, logger: Logger) async throws -> [String: String?] {
        var posts: [String: String?] = Dictionary(uniqueKeysWithValues: ids.map { ($0, nil) })
        guard !ids.isEmpty else { return posts }
        for try await (id, post) in try await connection.query(
            "SELECT id, post FROM activity WHERE id = ANY(\(ids))", logger: logger
        )
        .decode((String, String).self) {
            posts[id] = post
        }
        return posts
    }

    /// Appends `entries` to the change log in order (under the write lock, so their ids are
    /// consecutive); returns their ids.
    static func append(
        _ entries: [HubPush.LogEntry], device: DeviceRecord, now: Int64, _ connection: PostgresConnection, logger: Logger
    )
        async throws -> ClosedRange<Int64>?
    {
        guard !entries.isEmpty else { return nil }
        let c = entries.map(\.change)
        // An empty string stands for NULL in the arrays: no stamp, JSON value or tag list is empty.
        let rows = try await connection.query(
            """
            INSERT INTO change_log (stamp, collection, record_id, field, element, op, new_value, observed, base, seen,
              old_value, applied, device_id, received_at)
            SELECT s, c, r, f, e, o, NULLIF(v, ''), NULLIF(x, ''), NULLIF(b, ''), n, NULLIF(p, ''), a, \(device.id), \(now)
            FROM UNNEST(\(c.map(\.stamp.encoded))::text[], \(c.map(\.collection))::text[], \(c.map(\.recordId))::text[],
                        \(c.map(\.field))::text[], \(entries.map(\.element))::text[], \(entries.map(\.opName))::text[],
                        \(entries.map { $0.newValue ?? "" })::text[], \(entries.map { $0.observed ?? "" })::text[],
                        \(c.map { $0.base?.encoded ?? "" })::text[], \(c.map(\.seen))::bigint[],
                        \(entries.map { $0.old?.jsonText ?? "" })::text[], \(entries.map(\.applied))::boolean[])
              WITH ORDINALITY AS u (s, c, r, f, e, o, v, x, b, n, p, a, i)
            ORDER BY i
            RETURNING id
            """, logger: logger)
        var ids: ClosedRange<Int64>?
        for try await id in rows.decode(Int64.self) { ids = (min(ids?.lowerBound ?? id, id))...max(ids?.upperBound ?? id, id) }
        return ids
    }

    /// A record whose typed row appeared or changed post is given new sequence numbers, with its
    /// conflicts, as `HubStore.resequenceMoved` gives them (activities by id, each followed by its
    /// conflicts by id, byte order): in memory, before the rows are written, so a batch of new
    /// activities costs no statement per record.
    /// Returns the activities whose post changed, with the post they left (nil: new) and the one
    /// they went to.
    @discardableResult
    static func resequenceMoved(
        _ before: [String: String?], in memory: inout MemoryReplica, _ connection: PostgresConnection, logger: Logger
    )
        async throws -> [(id: String, from: String?, to: String)]
    {
        var posts: [String: String] = [:]
        let moved = before.keys.filter { id in
            let key = MemoryReplica.RecordKey(collection: ActivityFields.collection, recordId: id)
            guard let after = memory.state(key).flatMap({ TypedRows.activity(id: id, state: $0) })?.post else { return false }
            posts[id] = after
            return after != before[id] ?? nil
        }.sorted(by: MemoryReplica.byteOrder)
        guard !moved.isEmpty else { return [] }
        // Their conflicts: those the hub holds, and those this batch raised.
        var conflicts: [String: Set<String>] = [:]
        for try await (id, record) in try await connection.query(
            "SELECT id, record_id FROM conflict WHERE record_id = ANY(\(moved))", logger: logger
        ).decode((String, String).self) {
            conflicts[record, default: []].insert(id)
        }
        let wanted = Set(moved)
        for key in memory.changedRecords where key.collection == ConflictRecord.collection {
            if let record = memory.state(key).flatMap(TypedRows.conflict)?.conflict.recordId, wanted.contains(record) {
                conflicts[record, default: []].insert(key.recordId)
            }
        }
        let conflictKeys = conflicts.values.flatMap { $0 }.map {
            MemoryReplica.RecordKey(collection: ConflictRecord.collection, recordId: $0)
        }
        for (key, state) in try await states(of: conflictKeys.filter { !memory.isLoaded($0) }, connection, logger: logger) {
            memory.load(key, state)
        }
        for id in moved {
            memory.resequence(.init(collection: ActivityFields.collection, recordId: id))
            for conflict in (conflicts[id] ?? []).sorted(by: MemoryReplica.byteOrder) {
                memory.resequence(.init(collection: ConflictRecord.collection, recordId: conflict))
            }
        }
        return moved.map { (id: $0, from: before[$0] ?? nil, to: posts[$0]!) }
    }

    /// The posts moved activities left learn where they went (`postgres/0006_moved_activities.sql`).
    static func noteMoves(
        _ moved: [(id: String, from: String?, to: String)], _ memory: MemoryReplica, _ connection: PostgresConnection,
        logger: Logger
    ) async throws {
        for move in moved {
            let key = MemoryReplica.RecordKey(collection: ActivityFields.collection, recordId: move.id)
            if let from = move.from, let post = memory.state(key)?.registers["post"] {
                try await connection.query(
                    """
                    INSERT INTO moved_activity (id, from_post, to_post, stamp, seq)
                    VALUES (\(move.id), \(from), \(move.to), \(post.stamp.encoded), \(post.seq))
                    ON CONFLICT (id, from_post) DO UPDATE SET to_post = excluded.to_post, stamp = excluded.stamp, seq = excluded.seq
                    """, logger: logger)
                // Posts it left before learn where it went on to, too.
                try await connection.query(
                    """
                    UPDATE moved_activity SET to_post = \(move.to), stamp = \(post.stamp.encoded), seq = \(post.seq)
                    WHERE id = \(move.id)
                    """, logger: logger)
            }
            try await connection.query(
                "DELETE FROM moved_activity WHERE id = \(move.id) AND from_post = \(move.to)", logger: logger)
        }
    }

    /// Conflicts whose either side has one of `stamps`, by id.
    static func conflicts(involving stamps: [HLC], _ connection: PostgresConnection, logger: Logger) async throws
        -> [(id: String, activityId: String, field: String)]
    {
        guard !stamps.isEmpty else { return [] }
        let encoded = stamps.map(\.encoded)
        var found: [(id: String, activityId: String, field: String)] = []
        for try await (id, record, field) in try await connection.query(
            "SELECT id, record_id, field FROM conflict WHERE current_stamp = ANY(\(encoded)) OR other_stamp = ANY(\(encoded))",
            logger: logger
        ).decode((String, String, String).self) {
            found.append((id, record, field))
        }
        return found.sorted { $0.id < $1.id }
    }
}

/// `MemoryReplica` for one run of a push: a record not read beforehand is noted as missing and
/// taken as new, so the run goes on; its outcome is then dropped and the batch run again.
struct Loading: ReplicaApplying {
    var memory: MemoryReplica
    let known: Known

    mutating func state(_ key: MemoryReplica.RecordKey) throws -> RecordState {
        if let state = memory.state(key) { return state }
        known.missingStates.insert(key)
        memory.load(key, RecordState())
        return RecordState()
    }

    mutating func apply(_ change: Change) throws -> Bool {
        _ = try state(.init(collection: change.collection, recordId: change.recordId))
        return memory.apply(change)
    }
}

/// What a push has read from the database, and what a run found it lacked.
final class Known {
    // Not Sendable: used by one push, inside its transaction.
    var states: [MemoryReplica.RecordKey: RecordState] = [:]
    var received: [String: String] = [:]
    var heldIDs: [String: Int64] = [:]
    var highWater: HLC?
    var conflictPosts: [String: String?] = [:]
    var activityPosts: [String: String?] = [:]
    var authors: [String: DeviceRecord?] = [:]
    var missingStates: Set<MemoryReplica.RecordKey> = []
    var missingConflicts: Set<String> = []
    var missingActivities: Set<String> = []
    var missingNodes: Set<String> = []

    /// Whether the last run found every read it needed.
    var isComplete: Bool {
        missingStates.isEmpty && missingConflicts.isEmpty && missingActivities.isEmpty && missingNodes.isEmpty
    }

    var reads: HubPush.Reads {
        HubPush.Reads(
            received: received, heldIDs: heldIDs, highWater: highWater,
            lookups: HubPushRules.Lookups(
                conflictPost: { id in
                    if let post = self.conflictPosts[id] { return post }
                    self.missingConflicts.insert(id)
                    return nil
                },
                activityPost: { id in
                    if let post = self.activityPosts[id] { return post }
                    self.missingActivities.insert(id)
                    return nil
                },
                author: { node in
                    if let device = self.authors[node.rawValue] { return device }
                    self.missingNodes.insert(node.rawValue)
                    return nil
                }))
    }
}
