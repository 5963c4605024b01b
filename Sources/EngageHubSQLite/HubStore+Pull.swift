import EngageCore
import EngageModel
import EngageReplica
import EngageStorage
import Foundation
import GRDB

extension HubStore {
    /// The latest state of what changed after `cursor` and is visible to `device`, in sequence
    /// order, at most `limit` changes and about `maxBytes` of JSON (never splitting one sequence
    /// number across pages). Advisors see their post's activities, the conflicts about them and
    /// the partner registry; headquarters sees everything; an admin device only the registry.
    ///
    /// With `own` — the receipts (change-log id ranges) of this device's pushes in this sync —
    /// what those pushes wrote and the hub still holds as it was sent is left out: the device
    /// has it. Exact: a value another write replaced still goes, and so does anything another
    /// device (or a copy of this one) wrote, which is never in these receipts.
    ///
    /// With `countRemaining`, the page says how many changes come after it (`remaining`): a
    /// count through the sequence indexes, as costly as reading what is left, so a client asks
    /// once per sync, for its progress line.
    public func pull(
        after cursor: Int64, for device: DeviceRecord, limit: Int, maxBytes: Int, own: [ClosedRange<Int64>] = [],
        countRemaining: Bool = false
    ) throws(StoreError) -> PullPage {
        var page = try pullPage(after: cursor, for: device, limit: limit, maxBytes: maxBytes, own: own)
        // A page whose rows were all the device's own writes (left out by `own`) would cost the
        // device an empty round trip: read on, within a bound of work per request.
        var skipped = 0
        while page.changes.isEmpty, page.more, skipped < Self.emptyPagesSkipped {
            page = try pullPage(after: page.cursor, for: device, limit: limit, maxBytes: maxBytes, own: own)
            skipped += 1
        }
        if countRemaining {
            page.remaining = page.more ? try remaining(after: page.cursor, for: device) : 0
        }
        return page
    }

    /// Pages of nothing but the caller's own writes read on within one request, at most.
    static let emptyPagesSkipped = 64

    /// Rows counted exactly for `remaining`; beyond them the answer is an estimate.
    static let remainingCounted = 100_000

    /// About how many field and element changes visible to `device` follow `cursor` (an element
    /// row that holds a removal is two changes). Counted exactly up to `remainingCounted` rows per
    /// table; past that, the count of every change numbered after the cursor (an upper bound:
    /// superseded and invisible writes included). Counting 1.8 M rows had cost a fresh device's
    /// initial pull 0.5 s at loopback speed (docs/BENCHMARKS.md).
    func remaining(after cursor: Int64, for device: DeviceRecord) throws(StoreError) -> Int {
        try read { db in
            let (visible, args) = Self.visibility(for: device)
            let cap = Self.remainingCounted
            let sql = Self.remainingSQL(visible)
            let fields = try Row.fetchOne(db, sql: sql.fields, arguments: StatementArguments([cursor] + args + [cap]))
            let elements = try Row.fetchOne(db, sql: sql.elements, arguments: StatementArguments([cursor] + args + [cap]))
            let (fieldRows, elementRows): (Int, Int) = (fields?[0] ?? 0, elements?[0] ?? 0)
            let counted = fieldRows + elementRows + (elements?[1] ?? 0)
            guard fieldRows == cap || elementRows == cap else { return counted }
            let latest =
                try Int64.fetchOne(
                    db,
                    sql: "SELECT MAX(m) FROM (SELECT MAX(seq) AS m FROM field_state UNION ALL SELECT MAX(seq) FROM element_state)"
                ) ?? cursor
            return max(counted, Int(latest - cursor))
        }
    }

    // The pull's queries read each state table through its sequence index (`INDEXED BY`: the
    // statement fails rather than run another plan). Left to itself, the planner would answer an
    // advisor's pull by reading every row of the post through `activity_post` and sorting them
    // (MULTI-INDEX OR + TEMP B-TREE): 126 ms to return nothing at 1 M field states, against
    // 0.2 ms through the index, so an incremental sync would cost the size of the hub. The plans
    // are checked by `QueryPlanTests`.

    static func fieldPageSQL(_ visible: String) -> String {
        "SELECT seq, collection, record_id, field, value_type, value, stamp FROM field_state INDEXED BY field_state_seq "
            + "WHERE seq > ? \(visible) ORDER BY seq LIMIT ?"
    }

    static func elementPageSQL(_ visible: String) -> String {
        "SELECT seq, collection, record_id, field, element, tag, removed FROM element_state INDEXED BY element_state_seq "
            + "WHERE seq > ? AND seq <= ? \(visible) ORDER BY seq LIMIT ?"
    }

    /// Counts of at most `?` rows after `?`: fields (rows); elements (rows, removals).
    static func remainingSQL(_ visible: String) -> (fields: String, elements: String) {
        (
            "SELECT COUNT(*) FROM (SELECT 1 FROM field_state INDEXED BY field_state_seq WHERE seq > ? \(visible) LIMIT ?)",
            "SELECT COUNT(*), COUNT(removed) FROM (SELECT removed FROM element_state INDEXED BY element_state_seq WHERE seq > ? \(visible) LIMIT ?)"
        )
    }

    /// The SQL condition (and its arguments) for the rows a device may see.
    static func visibility(for device: DeviceRecord) -> (String, [any DatabaseValueConvertible]) {
        switch device.role {
        case .advisor:
            (
                """
                AND (collection = 'partners'
                  OR (collection = 'activities' AND record_id IN (SELECT id FROM activity WHERE post = ?))
                  OR (collection = 'conflicts' AND record_id IN
                      (SELECT c.id FROM conflict c JOIN activity a ON a.id = c.record_id WHERE a.post = ?)))
                """, [device.post, device.post]
            )
        case .admin: ("AND collection = 'partners'", [])  // administration is enrolment and devices, not activities
        case .hq: ("", [])
        }
    }

    func pullPage(
        after cursor: Int64, for device: DeviceRecord, limit: Int, maxBytes: Int, own: [ClosedRange<Int64>]
    ) throws(StoreError) -> PullPage {
        try read { db in
            let latest = try Int64.fetchOne(db, sql: "SELECT local_seq FROM sync_state WHERE id = 1") ?? 0
            if cursor > latest {
                throw StoreError(
                    .cursorAhead,
                    "your cursor (\(cursor)) is ahead of this server's database (\(latest)): it was restored from a backup or replaced; "
                        + "the app sends its changes again and pulls from the start (it does so by itself)")
            }
            let (visible, args) = Self.visibility(for: device)
            // Each table is read in sequence order through its own index, then the two are merged:
            // ordering a UNION by seq would sort every remaining row on every page.
            var fieldRows = try Row.fetchAll(
                db, sql: Self.fieldPageSQL(visible), arguments: StatementArguments([cursor] + args + [limit + 1]))
            if device.role == .advisor {
                // Where its activities went: each as the activity's `post` field, in sequence order.
                let moved = try Row.fetchAll(
                    db,
                    sql: "SELECT seq, 'activities', id, 'post', 3, to_post, stamp FROM moved_activity "
                        + "WHERE from_post = ? AND seq > ? ORDER BY seq LIMIT ?",
                    arguments: [device.post, cursor, limit + 1])
                fieldRows = PullPager.merged(fieldRows, moved, limit: limit) { $0[0] as Int64 }
            }
            // Element rows past the last field row read cannot be placed yet: do not read them.
            let fieldEnd: Int64 = fieldRows.count > limit ? fieldRows[limit][0] : .max
            let elementRows = try Row.fetchAll(
                db, sql: Self.elementPageSQL(visible), arguments: StatementArguments([cursor, fieldEnd] + args + [limit + 1]))
            let echo = own.isEmpty ? nil : try EchoFilter(receipts: own, device: device.id, db: db)
            let page = try PullPager.page(
                fields: fieldRows.map {
                    PullPager.FieldRow(
                        seq: $0[0], collection: $0[1], recordId: $0[2], field: $0[3],
                        value: FieldValue(sqlType: $0[4], value: $0[5]), stamp: $0[6])
                },
                elements: elementRows.map {
                    PullPager.ElementRow(
                        seq: $0[0], collection: $0[1], recordId: $0[2], field: $0[3], element: $0[4], tag: $0[5], removed: $0[6])
                },
                cursor: cursor, limit: limit, maxBytes: maxBytes, echo: { try echo?.sent($0) == true })
            let (changes, lastSeq, full, rows) = (page.changes, page.lastSeq, page.full, page.rows)
            if rows == 0, let first = [fieldRows.first, elementRows.first].compactMap({ $0?[0] as Int64? }).min() {
                // One sequence number holds more rows than a page (a removal observing many
                // tags): it is sent whole, so that every page makes progress.
                let changes = try Self.changes(atSeq: first, visible: visible, args: args, db: db)
                return PullPage(changes: changes, cursor: first, more: first < latest, generation: generation)
            }
            return PullPage(changes: changes, cursor: full ? lastSeq : max(latest, cursor), more: full, generation: generation)
        }
    }

    /// What this sync's pushes wrote, looked up per change in the change log (by its unique
    /// key: stamp, collection, record, field, element) and kept if its log id is in a receipt.
    struct EchoFilter {
        let statement: Statement
        let receipts: [ClosedRange<Int64>]
        let device: String

        /// Only entries logged from `device`: a device naming another's receipts hides nothing.
        init(receipts: [ClosedRange<Int64>], device: String, db: Database) throws {
            self.receipts = receipts
            self.device = device
            statement = try db.cachedStatement(
                sql: """
                    SELECT id, op, new_value, observed FROM change_log
                    WHERE stamp = ? AND collection = ? AND record_id = ? AND field = ? AND element = ? AND device_id = ?
                    """)
        }

        /// Whether the device sent exactly this change (a removal: one that observed its tag).
        func sent(_ change: Change) throws -> Bool {
            let element = change.target.element ?? ""
            guard
                let row = try Row.fetchOne(
                    statement,
                    arguments: [change.stamp.encoded, change.collection, change.recordId, change.field, element, device]),
                receipts.contains(where: { $0.contains(row[0]) })
            else { return false }
            switch change.op {
            case .set(let value): return row[1] == "set" && (row[2] as String?) == value.jsonText
            case .add: return row[1] == "add"
            case .remove(_, let tags):
                guard row[1] == "remove", let observed = row[3] as String? else { return false }
                return tags.allSatisfy { observed.contains("\"" + $0.encoded + "\"") }
            }
        }
    }

    /// Every visible change with sequence number `seq`.
    static func changes(atSeq seq: Int64, visible: String, args: [any DatabaseValueConvertible], db: Database) throws -> [Change]
    {
        var changes: [Change] = []
        for row in try Row.fetchAll(
            db, sql: "SELECT collection, record_id, field, value_type, value, stamp FROM field_state WHERE seq = ? \(visible)",
            arguments: StatementArguments([seq] + args))
        {
            guard let stamp = HLC(encoded: row[5]) else { continue }
            changes.append(
                Change(
                    collection: row[0], recordId: row[1], field: row[2], op: .set(FieldValue(sqlType: row[3], value: row[4])),
                    stamp: stamp))
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT collection, record_id, field, element, tag, removed FROM element_state WHERE seq = ? \(visible)",
            arguments: StatementArguments([seq] + args))
        {
            guard let tag = HLC(encoded: row[4]) else { continue }
            let element: String = row[3]
            changes.append(Change(collection: row[0], recordId: row[1], field: row[2], op: .add(element), stamp: tag))
            if let removed = (row[5] as String?).flatMap(HLC.init(encoded:)) {
                changes.append(
                    Change(
                        collection: row[0], recordId: row[1], field: row[2], op: .remove(element, observed: [tag]), stamp: removed
                    ))
            }
        }
        return changes
    }

    /// Every accepted change of an activity, oldest first, with the enrolled name of the device
    /// that sent it (nil for the hub's own writes, e.g. imports).
    public func history(activityId: String) throws(StoreError) -> [ChangeLogEntry] {
        try read { db in
            let decoder = JSONDecoder()
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT l.*, d.name AS device_name FROM change_log l LEFT JOIN device d ON d.id = l.device_id
                    WHERE l.collection = 'activities' AND l.record_id = ? ORDER BY l.id
                    """, arguments: [activityId]
            ).compactMap { row in
                guard let stamp = HLC(encoded: row["stamp"]) else { return nil }
                func value(_ column: String) -> FieldValue? {
                    (row[column] as String?).flatMap { try? decoder.decode(FieldValue.self, from: Data($0.utf8)) }
                }
                let element: String = row["element"]
                let op: Change.Op
                switch row["op"] as String {
                case "add": op = .add(element)
                case "remove":
                    let tags = (row["observed"] as String?).flatMap { try? decoder.decode([HLC].self, from: Data($0.utf8)) } ?? []
                    op = .remove(element, observed: tags)
                default: op = .set(value("new_value") ?? .null)
                }
                let change = Change(
                    collection: row["collection"], recordId: row["record_id"], field: row["field"], op: op, stamp: stamp,
                    base: (row["base"] as String?).flatMap(HLC.init(encoded:)), seen: row["seen"])
                return ChangeLogEntry(
                    stamp: stamp, deviceId: row["device_id"], deviceName: row["device_name"], receivedAt: row["received_at"],
                    change: change, oldValue: value("old_value"), applied: row["applied"])
            }
        }
    }

    /// The post an activity belongs to at the hub (nil if unknown).
    public func post(ofActivity id: String) throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT post FROM activity WHERE id = ?", arguments: [id]) }
    }
}

extension HubStore {
    /// The activities at the hub (not deleted) in id order, after `cursor` when given:
    /// what headquarters reads.
    public func activities(after cursor: String? = nil) throws(StoreError) -> [Activity] {
        try read { db in
            try SQLiteStore.fetchActivities(db, where: "deleted = 0 AND id > ?", [cursor ?? ""], orderBy: "id")
        }
    }

    /// Read through the primary key from the cursor on (checked by `QueryPlanTests`).
    static func activityPageSQL(_ clauses: [String]) -> String {
        "SELECT \(SQLiteStore.activityColumns) FROM activity WHERE \(clauses.joined(separator: " AND ")) ORDER BY id LIMIT ?"
    }

    /// One page of the activities (not deleted) after `cursor` in id order — keyset paging: the
    /// page is read through the primary key from the cursor on, `filter`'s kind, country and
    /// post in SQL and `matching` in Swift, in chunks, so the cost and the memory are those of
    /// the page and the rows skipped to fill it, never of the whole table. `more` says whether
    /// an activity after the page matches.
    public func activityPage(
        after cursor: String?, limit: Int, filter: ActivityFilter = ActivityFilter(), matching: (Activity) -> Bool = { _ in true }
    ) throws(StoreError) -> (activities: [Activity], more: Bool) {
        var clauses = ["deleted = 0", "id > ?"]
        var args: [any DatabaseValueConvertible] = [cursor ?? ""]
        if let kind = filter.kind {
            clauses.append("kind = ?")
            args.append(kind.rawValue)
        }
        if let country = filter.country {
            // The main country, or one of a regional activity's others (codes are two letters, quoted in the array).
            clauses.append("(country = ? OR other_countries LIKE ?)")
            args += [country.code, "%\"\(country.code)\"%"]
        }
        if let post = filter.post {
            clauses.append("post = ?")
            args.append(post)
        }
        if filter.shareable {
            clauses.append("sensitivity = ?")
            args.append(Sensitivity.unclassified.rawValue)
        }
        let chunk = max(limit + 1, 256)
        return try read { db in
            var page: [Activity] = []
            var after = cursor ?? ""
            while true {
                args[0] = after
                let rows = try Row.fetchAll(db, sql: Self.activityPageSQL(clauses), arguments: StatementArguments(args + [chunk]))
                // A row that no longer reads (written by a newer version) is skipped, but it still
                // counts for the chunk and the cursor: the rows after it are not lost.
                for a in rows.compactMap(SQLiteStore.activity(from:)) where matching(a) {
                    if page.count == limit { return (page, true) }
                    page.append(a)
                }
                guard rows.count == chunk, let last = rows.last else { return (page, false) }
                after = last[0]
            }
        }
    }

    public func openConflictCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflict WHERE resolved = 0") ?? 0 }
    }

    public func partnerRegistry() throws(StoreError) -> PartnerRegistry {
        try read { db in
            PartnerRegistry(
                try Row.fetchAll(db, sql: "SELECT code, name, country, agency_type, aliases FROM partner").compactMap(
                    SQLiteStore.partner(from:)))
        }
    }
}
