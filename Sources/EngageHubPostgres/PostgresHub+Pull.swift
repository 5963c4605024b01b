import EngageCore
import EngageStorage
import Foundation
import Logging
import PostgresNIO

/// Pulls on PostgreSQL: the rules of `HubStore.pull` (visibility by role and post, pages by
/// rows and bytes through `PullPager`, the device's own writes left out, `remaining`), read in
/// one REPEATABLE READ snapshot. The write lock gives sequence numbers in commit order, so a
/// snapshot holds every change up to the latest number it sees.
extension PostgresHub {
    public func pull(
        after cursor: Int64, for device: DeviceRecord, limit: Int, maxBytes: Int, own: [ClosedRange<Int64>] = [],
        countRemaining: Bool = false
    ) async throws(StoreError) -> PullPage {
        let logger = logger
        let generation = generation
        return try await transaction(snapshot: true) { connection in
            var page = try await Self.pullPage(
                after: cursor, for: device, limit: limit, maxBytes: maxBytes, own: own, connection, logger: logger)
            var skipped = 0
            while page.changes.isEmpty, page.more, skipped < 64 {
                page = try await Self.pullPage(
                    after: page.cursor, for: device, limit: limit, maxBytes: maxBytes, own: own, connection, logger: logger)
                skipped += 1
            }
            if countRemaining {
                page.remaining =
                    page.more ? try await Self.remaining(after: page.cursor, for: device, connection, logger: logger) : 0
            }
            page.generation = generation
            return page
        }
    }

    /// The condition on `collection` and `record_id` for the rows `device` may see, its
    /// arguments numbered from `first`.
    static func visibility(for device: DeviceRecord, first: Int) -> (sql: String, binds: [String]) {
        switch device.role {
        case .advisor:
            (
                """
                AND (collection = 'partners'
                  OR (collection = 'activities' AND record_id IN (SELECT id FROM activity WHERE post = $\(first)))
                  OR (collection = 'conflicts' AND record_id IN
                      (SELECT c.id FROM conflict c JOIN activity a ON a.id = c.record_id WHERE a.post = $\(first))))
                """, [device.post]
            )
        case .admin: ("AND collection = 'partners'", [])
        case .hq: ("", [])
        }
    }

    static func pullPage(
        after cursor: Int64, for device: DeviceRecord, limit: Int, maxBytes: Int, own: [ClosedRange<Int64>],
        _ connection: PostgresConnection,
        logger: Logger
    ) async throws -> PullPage {
        let latest = try await lastSeq(connection, logger: logger)
        if cursor > latest {
            throw StoreError(
                .cursorAhead,
                "your cursor (\(cursor)) is ahead of this server's database (\(latest)): it was restored from a backup or replaced; "
                    + "the app sends its changes again and pulls from the start (it does so by itself)")
        }
        let (visible, args) = visibility(for: device, first: 3)
        var fields = try await fieldRows("seq > $1", visible, query(cursor, Int64(limit + 1), args), connection, logger: logger)
        if device.role == .advisor {
            // Where its activities went: each as the activity's `post` field, in sequence order.
            var moved: [PullPager.FieldRow] = []
            for try await (seq, id, to, stamp) in try await connection.query(
                """
                SELECT seq, id, to_post, stamp FROM moved_activity
                WHERE from_post = \(device.post) AND seq > \(cursor) ORDER BY seq LIMIT \(Int64(limit + 1))
                """, logger: logger
            ).decode((Int64, String, String, String).self) {
                moved.append(
                    .init(
                        seq: seq, collection: ActivityFields.collection, recordId: id, field: "post", value: .string(to),
                        stamp: stamp))
            }
            fields = PullPager.merged(fields, moved, limit: limit) { $0.seq }
        }
        // Element rows past the last field row read cannot be placed yet: do not read them.
        let fieldEnd: Int64 = fields.count > limit ? fields[limit].seq : .max
        let elements = try await elementRows(
            "seq > $1 AND seq <= $\(3 + args.count)", visible, query(cursor, Int64(limit + 1), args, fieldEnd), connection,
            logger: logger)
        let sent =
            own.isEmpty
            ? [:] : try await ownWrites(fields: fields, elements: elements, own: own, device: device, connection, logger: logger)
        let page = PullPager.page(fields: fields, elements: elements, cursor: cursor, limit: limit, maxBytes: maxBytes) {
            change in
            guard let entry = sent[logKey(change)] else { return false }
            switch change.op {
            case .set(let value): return entry.op == "set" && entry.newValue == value.jsonText
            case .add: return entry.op == "add"
            case .remove(_, let tags):
                guard entry.op == "remove", let observed = entry.observed else { return false }
                return tags.allSatisfy { observed.contains("\"" + $0.encoded + "\"") }
            }
        }
        if page.rows == 0, let first = [fields.first?.seq, elements.first?.seq].compactMap({ $0 }).min() {
            // One sequence number holds more rows than a page (a removal observing many tags):
            // it is sent whole, so that every page makes progress.
            let at = query(first, Int64.max, args)
            let whole = PullPager.page(
                fields: try await fieldRows("seq = $1", visible, at, connection, logger: logger),
                elements: try await elementRows("seq = $1", visible, at, connection, logger: logger),
                cursor: first - 1, limit: .max - 1, maxBytes: .max, echo: { _ in false })
            return PullPage(changes: whole.changes, cursor: first, more: first < latest)
        }
        return PullPage(changes: page.changes, cursor: page.full ? page.lastSeq : max(latest, cursor), more: page.full)
    }

    /// Bindings: `$1` a sequence number, `$2` a row limit, then the visibility arguments, then `bound`.
    static func query(_ seq: Int64, _ limit: Int64, _ args: [String], _ bound: Int64? = nil) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(seq)
        bindings.append(limit)
        for arg in args { bindings.append(arg) }
        if let bound { bindings.append(bound) }
        return bindings
    }

    /// `field_state` rows matching `condition` and `visible`, in sequence order, at most `$2`.
    static func fieldRows(
        _ condition: String, _ visible: String, _ bindings: PostgresBindings, _ connection: PostgresConnection, logger: Logger
    ) async throws -> [PullPager.FieldRow] {
        var rows: [PullPager.FieldRow] = []
        let sql =
            "SELECT seq, collection, record_id, field, value, stamp FROM field_state WHERE \(condition) \(visible) ORDER BY seq LIMIT $2"
        for try await (seq, collection, record, field, value, stamp) in try await connection.query(
            PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger
        ).decode((Int64, String, String, String, String, String).self) {
            rows.append(
                .init(
                    seq: seq, collection: collection, recordId: record, field: field, value: try FieldValue(json: value),
                    stamp: stamp))
        }
        return rows
    }

    /// `element_state` rows matching `condition` and `visible`, in sequence order, at most `$2`.
    static func elementRows(
        _ condition: String, _ visible: String, _ bindings: PostgresBindings, _ connection: PostgresConnection, logger: Logger
    ) async throws -> [PullPager.ElementRow] {
        var rows: [PullPager.ElementRow] = []
        let sql =
            "SELECT seq, collection, record_id, field, element, tag, removed FROM element_state WHERE \(condition) \(visible) ORDER BY seq, tag COLLATE \"C\" LIMIT $2"
        for try await (seq, collection, record, field, element, tag, removed) in try await connection.query(
            PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger
        ).decode((Int64, String, String, String, String, String, String?).self) {
            rows.append(
                .init(
                    seq: seq, collection: collection, recordId: record, field: field, element: element, tag: tag, removed: removed
                ))
        }
        return rows
    }

    /// The change-log entries `device` wrote under the receipts `own` among the page's stamps,
    /// by log key.
    static func ownWrites(
        fields: [PullPager.FieldRow], elements: [PullPager.ElementRow], own: [ClosedRange<Int64>], device: DeviceRecord,
        _ connection: PostgresConnection, logger: Logger
    ) async throws -> [String: (op: String, newValue: String?, observed: String?)] {
        let stamps = Array(Set(fields.map(\.stamp) + elements.map(\.tag) + elements.compactMap(\.removed)))
        var found: [String: (op: String, newValue: String?, observed: String?)] = [:]
        let rows = try await connection.query(
            """
            SELECT l.id, l.stamp, l.collection, l.record_id, l.field, l.element, l.op, l.new_value, l.observed
            FROM UNNEST(\(stamps)::text[]) AS s (stamp) JOIN change_log l ON l.stamp = s.stamp
            WHERE l.device_id = \(device.id)
            """, logger: logger)
        for try await (id, stamp, collection, record, field, element, op, newValue, observed) in rows.decode(
            (Int64, String, String, String, String, String, String, String?, String?).self)
        where own.contains(where: { $0.contains(id) }) {
            found[[stamp, collection, record, field, element].joined(separator: "\u{1F}")] = (op, newValue, observed)
        }
        return found
    }

    static func logKey(_ change: Change) -> String {
        [change.stamp.encoded, change.collection, change.recordId, change.field, change.target.element ?? ""].joined(
            separator: "\u{1F}")
    }

    /// About how many changes visible to `device` follow `cursor`: exact up to 100,000 rows per
    /// table, past that an upper bound from the sequence numbers (as `HubStore.remaining`).
    static func remaining(after cursor: Int64, for device: DeviceRecord, _ connection: PostgresConnection, logger: Logger)
        async throws -> Int
    {
        let cap: Int64 = 100_000
        let (visible, args) = visibility(for: device, first: 3)
        var fieldRows: Int64 = 0
        var elementRows: Int64 = 0
        var removals: Int64 = 0
        for try await n in try await connection.query(
            PostgresQuery(
                unsafeSQL: "SELECT COUNT(*) FROM (SELECT 1 FROM field_state WHERE seq > $1 \(visible) LIMIT $2) AS r",
                binds: query(cursor, cap, args)), logger: logger
        ).decode(Int64.self) { fieldRows = n }
        for try await (n, r) in try await connection.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT COUNT(*), COUNT(removed) FROM (SELECT removed FROM element_state WHERE seq > $1 \(visible) LIMIT $2) AS r",
                binds: query(cursor, cap, args)),
            logger: logger
        ).decode((Int64, Int64).self) { (elementRows, removals) = (n, r) }
        let counted = Int(fieldRows + elementRows + removals)
        guard fieldRows == cap || elementRows == cap else { return counted }
        return max(counted, Int(try await lastSeq(connection, logger: logger) - cursor))
    }
}
