import EngageCore
import EngageModel
import EngageStorage
import Foundation
import Logging
import PostgresNIO

/// What people read from the hub on PostgreSQL: the rules of `HubStore`'s readers (history,
/// HQ pages by id, the registry), each in one read-only snapshot.
extension PostgresHub {
    public func history(activityId: String) async throws(StoreError) -> [ChangeLogEntry] {
        let logger = logger
        return try await transaction(snapshot: true) { connection in
            let decoder = JSONDecoder()
            func value(_ text: String?) -> FieldValue? {
                text.flatMap { try? decoder.decode(FieldValue.self, from: Data($0.utf8)) }
            }
            var entries: [ChangeLogEntry] = []
            let rows = try await connection.query(
                """
                SELECT l.stamp, l.collection, l.record_id, l.field, l.element, l.op, l.new_value, l.observed, l.base, l.seen,
                  l.old_value, l.applied, l.device_id, l.received_at, d.name
                FROM change_log l LEFT JOIN device d ON d.id = l.device_id
                WHERE l.collection = 'activities' AND l.record_id = \(activityId) ORDER BY l.id
                """, logger: logger)
            for try await (
                stamp, collection, record, field, element, opName, newValue, observed, base, seen, old, applied, deviceId, at,
                name
            )
                in rows.decode(
                    (
                        String, String, String, String, String, String, String?, String?, String?, Int64, String?, Bool, String,
                        Int64, String?
                    ).self)
            {
                guard let stamp = HLC(encoded: stamp) else { continue }
                let op: Change.Op
                switch opName {
                case "add": op = .add(element)
                case "remove":
                    op = .remove(
                        element, observed: observed.flatMap { try? decoder.decode([HLC].self, from: Data($0.utf8)) } ?? [])
                default: op = .set(value(newValue) ?? .null)
                }
                let change = Change(
                    collection: collection, recordId: record, field: field, op: op, stamp: stamp,
                    base: base.flatMap(HLC.init(encoded:)), seen: seen)
                entries.append(
                    ChangeLogEntry(
                        stamp: stamp, deviceId: deviceId, deviceName: name, receivedAt: at, change: change, oldValue: value(old),
                        applied: applied))
            }
            return entries
        }
    }

    public func post(ofActivity id: String) async throws(StoreError) -> String? {
        let logger = logger
        return try await transaction(snapshot: true) { connection in
            for try await post in try await connection.query("SELECT post FROM activity WHERE id = \(id)", logger: logger).decode(
                String.self)
            {
                return post
            }
            return nil
        }
    }

    public func activities(after cursor: String?) async throws(StoreError) -> [Activity] {
        try await activityPage(after: cursor, limit: .max - 1, filter: ActivityFilter(), matching: { _ in true }).activities
    }

    /// One page of activities (not deleted) after `cursor` in id order, keyset-paged through the
    /// primary key in chunks, as `HubStore.activityPage`. Ids compare byte by byte (`COLLATE "C"`),
    /// as in SQLite, so both stores page alike.
    public func activityPage(
        after cursor: String?, limit: Int, filter: ActivityFilter, matching: @escaping @Sendable (Activity) -> Bool
    ) async throws(StoreError) -> (activities: [Activity], more: Bool) {
        let logger = logger
        let chunk = min(max(limit + 1, 256), 10_000)
        return try await transaction(snapshot: true) { connection in
            var page: [Activity] = []
            var after = cursor ?? ""
            while true {
                var sql = "SELECT \(Self.activityColumns) FROM activity WHERE NOT deleted AND id COLLATE \"C\" > $1"
                var binds = PostgresBindings()
                binds.append(after)
                if let kind = filter.kind {
                    binds.append(kind.rawValue)
                    sql += " AND kind = $\(binds.count)"
                }
                if let country = filter.country {
                    binds.append(country.code)
                    binds.append("%\"\(country.code)\"%")
                    sql += " AND (country = $\(binds.count - 1) OR other_countries LIKE $\(binds.count))"
                }
                if let post = filter.post {
                    binds.append(post)
                    sql += " AND post = $\(binds.count)"
                }
                if filter.shareable {
                    binds.append(Sensitivity.unclassified.rawValue)
                    sql += " AND sensitivity = $\(binds.count)"
                }
                binds.append(Int64(chunk))
                sql += " ORDER BY id COLLATE \"C\" LIMIT $\(binds.count)"
                let rows = try await Self.typedActivities(PostgresQuery(unsafeSQL: sql, binds: binds), connection, logger: logger)
                // A row that no longer reads still counts for the chunk and the cursor.
                for a in rows.compactMap(\.model) where matching(a) {
                    if page.count == limit { return (page, true) }
                    page.append(a)
                }
                guard rows.count == chunk, let last = rows.last else { return (page, false) }
                after = last.id
            }
        }
    }

    static let activityColumns =
        "id, kind, title, country, location, post, partners, goals, start_date, end_date, status, participants, notes, sensitivity, deleted, "
        + "other_countries, date_precision, amount"

    static func typedActivities(_ query: PostgresQuery, _ connection: PostgresConnection, logger: Logger) async throws
        -> [TypedRows.Activity]
    {
        var rows: [TypedRows.Activity] = []
        for try await (
            id, kind, title, country, location, post, partners, goals, start, end, status, participants, notes, sensitivity,
            deleted, others, precision, amount
        ) in try await connection.query(query, logger: logger).decode(
            (
                String, String, String, String, String?, String, String, String, String, String?, String, Int64?, String, String,
                Bool,
                String, String, String?
            ).self)
        {
            rows.append(
                TypedRows.Activity(
                    id: id, kind: kind, title: title, country: country, location: location, post: post, partners: partners,
                    goals: goals,
                    startDate: start, endDate: end, status: status, participants: participants, notes: notes,
                    sensitivity: sensitivity,
                    deleted: deleted, otherCountries: others, datePrecision: precision, amount: amount))
        }
        return rows
    }

    /// Which of the activities `ids` the device `deviceId` has written to.
    public func activities(writtenBy deviceId: String, among ids: [String]) async throws(StoreError) -> Set<String> {
        let logger = logger
        return try await transaction(snapshot: true) { connection in
            var written: Set<String> = []
            let rows = try await connection.query(
                """
                SELECT DISTINCT record_id FROM change_log
                WHERE device_id = \(deviceId) AND collection = 'activities' AND record_id = ANY(\(ids))
                """, logger: logger)
            for try await id in rows.decode(String.self) { written.insert(id) }
            return written
        }
    }

    /// The latest mark of the change sequence, `SEQ.MARK` (`schema/postgres/0005_sequence_marks.sql`).
    public func checkpoint() async throws(StoreError) -> String? {
        let logger = logger
        return try await transaction(snapshot: true) { connection in
            let rows = try await connection.query("SELECT seq, mark FROM sequence_mark ORDER BY seq DESC LIMIT 1", logger: logger)
            for try await (seq, mark) in rows.decode((Int64, String).self) { return "\(seq).\(mark)" }
            return nil
        }
    }

    /// Whether this database holds `checkpoint`, a mark it gave before.
    public func holds(checkpoint: String) async throws(StoreError) -> Bool {
        guard let (seq, mark) = HubCheckpoint.parse(checkpoint) else { return false }
        let logger = logger
        return try await transaction(snapshot: true) { connection in
            let rows = try await connection.query(
                "SELECT 1 FROM sequence_mark WHERE seq = \(seq) AND mark = \(mark)", logger: logger)
            for try await _ in rows.decode(Int32.self) { return true }
            return false
        }
    }

    public func openConflictCount() async throws(StoreError) -> Int {
        try await count("SELECT COUNT(*) FROM conflict WHERE NOT resolved")
    }

    public func partnerCount() async throws(StoreError) -> Int {
        try await count("SELECT COUNT(*) FROM partner")
    }

    func count(_ sql: String) async throws(StoreError) -> Int {
        let logger = logger
        return try await transaction(snapshot: true) { connection in
            for try await n in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int64.self) {
                return Int(n)
            }
            return 0
        }
    }

    public func partnerRegistry() async throws(StoreError) -> PartnerRegistry {
        let logger = logger
        return try await transaction(snapshot: true) { connection in
            var partners: [Partner] = []
            for try await (code, name, country, type, aliases) in try await connection.query(
                "SELECT code, name, country, agency_type, aliases FROM partner", logger: logger
            ).decode((String, String, String, String, String).self) {
                guard let country = try? Country(country) else { continue }
                partners.append(
                    Partner(code: code, name: name, country: country, agencyType: type, aliases: PartnerFields.aliases(aliases)))
            }
            return PartnerRegistry(partners)
        }
    }
}

extension PostgresHub {
    /// Every record's replicated state (registers without sequence numbers), keyed by
    /// `collection/recordId`, in one snapshot: for the checks that compare replicas and for support.
    public func replicatedRecords() async throws(StoreError) -> [String: RecordState] {
        let logger = logger
        return try await transaction(snapshot: true) { connection in
            var records: [String: RecordState] = [:]
            for try await (collection, record, field, value, stamp) in try await connection.query(
                "SELECT collection, record_id, field, value, stamp FROM field_state", logger: logger
            ).decode((String, String, String, String, String).self) {
                guard let stamp = HLC(encoded: stamp) else { continue }
                records[collection + "/" + record, default: RecordState()].registers[field] = Register(
                    value: try FieldValue(json: value), stamp: stamp, seq: 0)
            }
            for try await (collection, record, field, element, tag, removed) in try await connection.query(
                "SELECT collection, record_id, field, element, tag, removed FROM element_state ORDER BY tag COLLATE \"C\"",
                logger: logger
            ).decode((String, String, String, String, String, String?).self) {
                guard let tag = HLC(encoded: tag) else { continue }
                records[collection + "/" + record, default: RecordState()].tags[field, default: [:]][element, default: []]
                    .append(ElementTag(tag: tag, removed: removed.flatMap(HLC.init(encoded:))))
            }
            return records
        }
    }
}
