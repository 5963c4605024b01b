import EngageCore
import EngageStorage
import Foundation
import Logging
import PostgresNIO

/// The replicated write path on PostgreSQL: under the write lock, the state of the records a
/// batch touches is read in two queries, merged in memory (`MemoryReplica`, row for row what
/// SQLite's `ReplicaWriter` writes), and the changed rows are written back in two statements.
extension PostgresHub {
    /// Merges `changes` (in order) into the replicated state in one transaction; returns how many
    /// changed something. The sequence numbers continue `hub_state.local_seq`.
    func applyReplicated(_ changes: [Change]) async throws(StoreError) -> Int {
        let logger = logger
        return try await transaction { connection in
            try await Self.lockWrites(connection, logger: logger)
            var memory = MemoryReplica(seq: try await Self.lastSeq(connection, logger: logger))
            let keys = changes.map { MemoryReplica.RecordKey(collection: $0.collection, recordId: $0.recordId) }
            for (key, state) in try await Self.states(of: keys, connection, logger: logger) { memory.load(key, state) }
            var applied = 0
            for change in changes where memory.apply(change) { applied += 1 }
            try await Self.writeRows(memory, connection, logger: logger)
            try await Self.project(memory, connection, logger: logger)
            try await connection.query("UPDATE hub_state SET local_seq = \(memory.seq) WHERE id = 1", logger: logger)
            return applied
        }
    }

    /// The last sequence number given; read under the write lock.
    static func lastSeq(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await seq in try await connection.query("SELECT local_seq FROM hub_state WHERE id = 1", logger: logger).decode(Int64.self) {
            return seq
        }
        throw StoreError(.database, "the hub database has no hub_state row; it was not made by engage-server")
    }

    /// The whole state of every record in `keys` (empty for new records).
    static func states(of keys: some Collection<MemoryReplica.RecordKey>, _ connection: PostgresConnection, logger: Logger) async throws
        -> [MemoryReplica.RecordKey: RecordState]
    {
        let wanted = Array(Set(keys))
        guard !wanted.isEmpty else { return [:] }
        var states: [MemoryReplica.RecordKey: RecordState] = [:]
        let collections = wanted.map(\.collection), records = wanted.map(\.recordId)
        let fields = try await connection.query(
            """
            SELECT f.collection, f.record_id, f.field, f.value, f.stamp, f.seq FROM field_state f
            JOIN UNNEST(\(collections)::text[], \(records)::text[]) AS k (collection, record_id)
              ON f.collection = k.collection AND f.record_id = k.record_id
            """, logger: logger)
        for try await (collection, record, field, value, stamp, seq) in fields.decode((String, String, String, String, String, Int64).self) {
            guard let stamp = HLC(encoded: stamp) else { throw StoreError(.database, "a stored stamp is malformed: \(stamp)") }
            states[.init(collection: collection, recordId: record), default: RecordState()].registers[field] =
                Register(value: try FieldValue(json: value), stamp: stamp, seq: seq)
        }
        let elements = try await connection.query(
            """
            SELECT e.collection, e.record_id, e.field, e.element, e.tag, e.removed FROM element_state e
            JOIN UNNEST(\(collections)::text[], \(records)::text[]) AS k (collection, record_id)
              ON e.collection = k.collection AND e.record_id = k.record_id
            ORDER BY e.tag COLLATE "C"
            """, logger: logger)
        for try await (collection, record, field, element, tag, removed) in elements.decode((String, String, String, String, String, String?).self) {
            guard let tag = HLC(encoded: tag) else { throw StoreError(.database, "a stored tag is malformed: \(tag)") }
            states[.init(collection: collection, recordId: record), default: RecordState()].tags[field, default: [:]][element, default: []]
                .append(ElementTag(tag: tag, removed: removed.flatMap(HLC.init(encoded:))))
        }
        for key in wanted where states[key] == nil { states[key] = RecordState() }
        return states
    }

    /// Writes the rows `memory` changed (the caller advances `hub_state.local_seq`).
    static func writeRows(_ memory: MemoryReplica, _ connection: PostgresConnection, logger: Logger) async throws {
        let fields = memory.fieldRows
        if !fields.isEmpty {
            try await connection.query(
                """
                INSERT INTO field_state (collection, record_id, field, value, stamp, node, seq)
                SELECT * FROM UNNEST(\(fields.map(\.key.collection))::text[], \(fields.map(\.key.recordId))::text[], \(fields.map(\.field))::text[],
                                     \(fields.map(\.value.jsonText))::text[], \(fields.map(\.stamp.encoded))::text[],
                                     \(fields.map(\.stamp.node.rawValue))::text[], \(fields.map(\.seq))::bigint[])
                ON CONFLICT (collection, record_id, field) DO UPDATE
                  SET value = excluded.value, stamp = excluded.stamp, node = excluded.node, seq = excluded.seq
                """, logger: logger)
        }
        let elements = memory.elementRows
        if !elements.isEmpty {
            // An empty string stands for "not removed" (NULL) in the array; no stamp is empty.
            try await connection.query(
                """
                INSERT INTO element_state (collection, record_id, field, element, tag, removed, seq)
                SELECT c, r, f, e, t, NULLIF(x, ''), s FROM UNNEST(
                  \(elements.map(\.key.collection))::text[], \(elements.map(\.key.recordId))::text[], \(elements.map(\.field))::text[],
                  \(elements.map(\.element))::text[], \(elements.map(\.tag.encoded))::text[], \(elements.map { $0.removed?.encoded ?? "" })::text[],
                  \(elements.map(\.seq))::bigint[]) AS u (c, r, f, e, t, x, s)
                ON CONFLICT (collection, record_id, field, element, tag) DO UPDATE SET removed = excluded.removed, seq = excluded.seq
                """, logger: logger)
        }
    }
}

extension PostgresHub {
    /// Rebuilds the typed rows (`activity`, `conflict`, `partner`) of the records `memory` changed.
    static func project(_ memory: MemoryReplica, _ connection: PostgresConnection, logger: Logger) async throws {
        try await projectActivities(memory, connection, logger: logger)
        for key in memory.changedRecords {
            guard let state = memory.state(key) else { continue }
            switch key.collection {
            case ActivityFields.collection: continue  // all at once, below
            case ConflictRecord.collection:
                guard let (c, resolved) = TypedRows.conflict(state: state) else { continue }
                try await connection.query(
                    """
                    INSERT INTO conflict (id, collection, record_id, field, current_value, current_stamp, current_author,
                      other_value, other_stamp, other_author, resolved)
                    VALUES (\(key.recordId), \(c.collection), \(c.recordId), \(c.field), \(c.current.value.jsonText), \(c.current.stamp.encoded),
                      \(c.current.authorName), \(c.other.value.jsonText), \(c.other.stamp.encoded), \(c.other.authorName), \(resolved))
                    ON CONFLICT (id) DO UPDATE SET collection = excluded.collection, record_id = excluded.record_id, field = excluded.field,
                      current_value = excluded.current_value, current_stamp = excluded.current_stamp, current_author = excluded.current_author,
                      other_value = excluded.other_value, other_stamp = excluded.other_stamp, other_author = excluded.other_author,
                      resolved = excluded.resolved
                    """, logger: logger)
            case PartnerFields.collection:
                guard let p = TypedRows.partner(code: key.recordId, state: state) else { continue }
                try await connection.query(
                    """
                    INSERT INTO partner (code, name, country, agency_type, aliases) VALUES (\(p.code), \(p.name), \(p.country), \(p.agencyType), \(p.aliases))
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, country = excluded.country, agency_type = excluded.agency_type,
                      aliases = excluded.aliases
                    """, logger: logger)
            default: break
            }
        }
    }
}

extension FieldValue {
    /// A value from its JSON text (`jsonText`): null, true/false, an integer or a string.
    init(json text: String) throws {
        switch text {
        case "null": self = .null
        case "true": self = .bool(true)
        case "false": self = .bool(false)
        default:
            if let n = Int64(text) { self = .int(n); return }
            // A string without escapes is its text between the quotes: no decoder for most values.
            let bytes = text.utf8
            if bytes.count >= 2, bytes.first == 0x22, bytes.last == 0x22, !bytes.dropFirst().dropLast().contains(where: { $0 == 0x5C || $0 == 0x22 }) {
                self = .string(String(text.dropFirst().dropLast()))
                return
            }
            self = try JSONDecoder().decode(FieldValue.self, from: Data(text.utf8))
        }
    }
}

extension PostgresHub {
    /// Rebuilds the `activity` rows of the activity records `memory` changed in two statements:
    /// one upsert of every row (`UNNEST` of the columns, with a mask for each column that may
    /// be NULL) and one delete of the records that have no row yet.
    static func projectActivities(_ memory: MemoryReplica, _ connection: PostgresConnection, logger: Logger) async throws {
        var rows: [TypedRows.Activity] = [], none: [String] = []
        for key in memory.changedRecords where key.collection == ActivityFields.collection {
            guard let state = memory.state(key) else { continue }
            if let row = TypedRows.activity(id: key.recordId, state: state) { rows.append(row) } else { none.append(key.recordId) }
        }
        if !none.isEmpty { try await connection.query("DELETE FROM activity WHERE id = ANY(\(none))", logger: logger) }
        guard !rows.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO activity (id, kind, title, country, location, post, partners, goals, start_date, end_date, status,
              participants, notes, sensitivity, deleted, other_countries, date_precision, amount)
            SELECT id, kind, title, country, CASE WHEN ln THEN NULL ELSE l END, post, partners, goals, start_date,
              CASE WHEN en THEN NULL ELSE e END, status, CASE WHEN pn THEN NULL ELSE p END, notes, sensitivity, deleted,
              other_countries, date_precision, CASE WHEN an THEN NULL ELSE a END
            FROM UNNEST(\(rows.map(\.id))::text[], \(rows.map(\.kind))::text[], \(rows.map(\.title))::text[], \(rows.map(\.country))::text[],
                        \(rows.map { $0.location ?? "" })::text[], \(rows.map { $0.location == nil })::boolean[], \(rows.map(\.post))::text[],
                        \(rows.map(\.partners))::text[], \(rows.map(\.goals))::text[], \(rows.map(\.startDate))::text[],
                        \(rows.map { $0.endDate ?? "" })::text[], \(rows.map { $0.endDate == nil })::boolean[], \(rows.map(\.status))::text[],
                        \(rows.map { $0.participants ?? 0 })::bigint[], \(rows.map { $0.participants == nil })::boolean[], \(rows.map(\.notes))::text[],
                        \(rows.map(\.sensitivity))::text[], \(rows.map(\.deleted))::boolean[], \(rows.map(\.otherCountries))::text[],
                        \(rows.map(\.datePrecision))::text[], \(rows.map { $0.amount ?? "" })::text[], \(rows.map { $0.amount == nil })::boolean[])
              AS u (id, kind, title, country, l, ln, post, partners, goals, start_date, e, en, status, p, pn, notes, sensitivity, deleted,
                    other_countries, date_precision, a, an)
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title, country = excluded.country,
              location = excluded.location, post = excluded.post, partners = excluded.partners, goals = excluded.goals,
              start_date = excluded.start_date, end_date = excluded.end_date, status = excluded.status,
              participants = excluded.participants, notes = excluded.notes, sensitivity = excluded.sensitivity,
              deleted = excluded.deleted, other_countries = excluded.other_countries, date_precision = excluded.date_precision,
              amount = excluded.amount
            """, logger: logger)
    }
}
