import EngageCore
import EngageModel
import EngageStorage
import Foundation
import GRDB

/// Applies changes to the replicated state inside one transaction, through the merge core,
/// then rebuilds the typed rows of the records it touched. Local and remote writes take
/// this same path; only local ones also go to the outbox.
///
/// Work goes record by record: a record's state is read with two indexed range queries,
/// its changes are merged in memory and written through, and its typed row is rebuilt once.
package struct ReplicaWriter: ReplicaApplying {
    /// A record: the same key the in-memory write path uses.
    package typealias RecordKey = MemoryReplica.RecordKey

    package let db: Database
    package private(set) var seq: Int64
    /// A record's state as far as it has been read: all of it, or the fields in `loaded`.
    private struct Entry {
        var state = RecordState()
        var complete = false
        var loaded: Set<String> = []
        /// Whether the database held any state for it before this transaction.
        var existed = false
        /// Fields changed since the typed row was last written.
        var dirtyFields: Set<String> = []
    }
    private var entries: [RecordKey: Entry] = [:]
    private var dirty: [RecordKey] = []
    package private(set) var appliedCount = 0
    private var notifiedCount = 0
    private var wroteRaw = false
    private let statements: Statements
    /// The register rule; only replays that demonstrate a faulty server change it.
    package var register: (Register?, FieldValue, HLC) -> Register? = { Merge.register($0, $1, stamp: $2) }

    package init(db: Database, seq: Int64) throws {
        self.db = db
        self.seq = seq
        self.statements = try Statements(db)
    }

    /// The whole state of a record, read once per transaction.
    package mutating func state(_ key: RecordKey) throws -> RecordState {
        try entry(key, fields: nil).state
    }

    /// The entry of a record with at least `fields` (all fields when nil) read.
    private mutating func entry(_ key: RecordKey, fields: Set<String>?) throws -> Entry {
        var entry = entries.removeValue(forKey: key) ?? Entry()
        defer { entries[key] = entry }
        if entry.complete { return entry }
        let missing = fields.map { $0.subtracting(entry.loaded) }
        if let missing, missing.isEmpty { return entry }
        // Every merge writes through, so the database holds all of the state read so far:
        // a whole-record read starts afresh rather than adding the loaded fields' tags twice.
        if missing == nil { entry.state = RecordState() }
        let found = try statements.load(key, fields: missing, into: &entry.state)
        entry.existed = entry.existed || found
        if let missing { entry.loaded.formUnion(missing) } else { entry.complete = true }
        return entry
    }

    /// Merges a batch, taking each run of consecutive changes to one record together
    /// (pages arrive grouped by record), in the order they came.
    package mutating func apply(batch changes: [Change]) throws {
        var start = changes.startIndex
        while start < changes.endIndex {
            var end = start + 1
            while end < changes.endIndex, changes[end].recordId == changes[start].recordId,
                changes[end].collection == changes[start].collection
            {
                end += 1
            }
            try apply(run: changes[start..<end])
            start = end
        }
    }

    private mutating func apply(run: ArraySlice<Change>) throws {
        let key = RecordKey(collection: run.first!.collection, recordId: run.first!.recordId)
        // A few fields: read just those; many (a new or rewritten record): read it whole.
        var entry = try entry(key, fields: run.count > 4 ? nil : Set(run.map(\.field)))
        entries[key] = nil  // merge without copying
        statements.bindRecord(key)
        for change in run where try merge(change, into: &entry.state) { markDirty(key, change.field, &entry) }
        entries[key] = entry
    }

    /// Takes the next sequence number without writing.
    package mutating func nextSeq() -> Int64 {
        seq += 1
        return seq
    }

    /// Merges one change; returns whether the state changed.
    @discardableResult
    package mutating func apply(_ change: Change) throws -> Bool {
        let key = RecordKey(collection: change.collection, recordId: change.recordId)
        var entry = try entry(key, fields: [change.field])
        entries[key] = nil
        defer { entries[key] = entry }
        statements.bindRecord(key)
        guard try merge(change, into: &entry.state) else { return false }
        markDirty(key, change.field, &entry)
        return true
    }

    private mutating func markDirty(_ key: RecordKey, _ field: String, _ entry: inout Entry) {
        if entry.dirtyFields.isEmpty { dirty.append(key) }
        entry.dirtyFields.insert(field)
    }

    private mutating func merge(_ change: Change, into state: inout RecordState) throws -> Bool {
        switch change.op {
        case .set(let value):
            guard var register = register(state.registers[change.field], value, change.stamp) else {
                return false
            }
            seq += 1
            register.seq = seq
            state.registers[change.field] = register
            let s = statements.upsertField  // collection and record are bound by `bindRecord`
            s.bind(3, change.field)
            s.bind(4, value.sqlType)
            switch value {
            case .null: s.bindNull(5)
            case .bool(let b): s.bind(5, Int64(b ? 1 : 0))
            case .int(let i): s.bind(5, i)
            case .string(let text): s.bind(5, text)
            }
            s.bind(6, change.stamp.encoded)
            s.bind(7, change.stamp.node.rawValue)
            s.bind(8, seq)
            try s.run()
        case .add(let element), .remove(let element, _):
            let tags = state.tags[change.field]?[element] ?? []
            guard let merged = Merge.element(tags, change.op, stamp: change.stamp) else { return false }
            seq += 1
            let before = Set(tags)  // a set: an element may hold many tags, and this runs per change
            for tag in merged where !before.contains(tag) {
                let s = statements.upsertElement
                s.bind(3, change.field)
                s.bind(4, element)
                s.bind(5, tag.tag.encoded)
                s.bind(6, tag.removed?.encoded)
                s.bind(7, seq)
                try s.run()
            }
            state.tags[change.field, default: [:]][element] = merged
        }
        appliedCount += 1
        return true
    }

    /// Reads a record afresh after its state was changed outside the merge (a refused change
    /// undone) and marks its typed row for rebuilding.
    package mutating func refresh(_ key: RecordKey) throws {
        entries[key] = nil
        var entry = try entry(key, fields: nil)
        entries[key] = nil
        entry.existed = true
        markDirty(key, "*", &entry)
        entries[key] = entry
        wroteRaw = true
    }

    /// Gives every row of the record's replicated state a new sequence number, after all
    /// others: a pull then carries the whole record again, e.g. to devices it just became
    /// visible to. The record's cached state is dropped so later reads see the new numbers.
    package mutating func resequence(_ key: RecordKey) throws {
        let fields = try statements.prepared(
            "SELECT field FROM field_state WHERE collection = ? AND record_id = ? ORDER BY field")
        let elements = try statements.prepared(
            "SELECT field, element, tag FROM element_state WHERE collection = ? AND record_id = ? ORDER BY field, element, tag")
        let setField = try statements.prepared(
            "UPDATE field_state SET seq = ? WHERE collection = ? AND record_id = ? AND field = ?")
        let setElement = try statements.prepared(
            "UPDATE element_state SET seq = ? WHERE collection = ? AND record_id = ? AND field = ? AND element = ? AND tag = ?")
        var names: [String] = [], tags: [(String, String, String)] = []
        for s in [fields, elements] {
            s.bind(1, key.collection)
            s.bind(2, key.recordId)
        }
        try fields.forEachRow { names.append($0.text(0)) }
        try elements.forEachRow { tags.append(($0.text(0), $0.text(1), $0.text(2))) }
        for name in names {
            seq += 1
            setField.bind(1, seq)
            setField.bind(2, key.collection)
            setField.bind(3, key.recordId)
            setField.bind(4, name)
            try setField.run()
        }
        for (field, element, tag) in tags {
            seq += 1
            setElement.bind(1, seq)
            setElement.bind(2, key.collection)
            setElement.bind(3, key.recordId)
            setElement.bind(4, field)
            setElement.bind(5, element)
            setElement.bind(6, tag)
            try setElement.run()
        }
        entries[key] = nil
        wroteRaw = true
    }

    /// Rebuilds the typed rows of every record changed since the last call, and tells GRDB's
    /// observers about every table written through the C API (which GRDB does not see).
    package mutating func project() throws {
        defer { notifyObservers() }
        for key in dirty {
            guard let entry = entries[key] else { continue }
            entries[key]?.dirtyFields = []
            switch key.collection {
            case ActivityFields.collection:
                let isNew = !entry.existed && ActivityFields.createdScalars.allSatisfy { entry.state.registers[$0] != nil }
                if entry.complete || isNew {
                    try Projection.activity(statements.upsertActivity, id: key.recordId, state: entry.state)
                } else if entry.existed,
                    try Projection.updateActivity(statements, id: key.recordId, state: entry.state, fields: entry.dirtyFields)
                {
                    // An edit of a few fields of an existing row: just those columns were updated.
                } else {
                    try Projection.activity(statements.upsertActivity, id: key.recordId, state: try state(key))
                }
            case ConflictRecord.collection: try Projection.conflict(db, id: key.recordId, state: try state(key))
            case PartnerFields.collection: try Projection.partner(db, code: key.recordId, state: try state(key))
            default: break
            }
        }
        dirty.removeAll()
    }

    private mutating func notifyObservers() {
        guard appliedCount > notifiedCount || wroteRaw else { return }
        notifiedCount = appliedCount
        wroteRaw = false
        for table in ["field_state", "element_state", "activity"] { try? db.notifyChanges(in: Table(table)) }
    }
}

/// The prepared statements of the write path, prepared once per transaction.
package final class Statements {
    package let upsertField: RawStatement
    package let upsertElement: RawStatement
    package let upsertActivity: RawStatement
    private let db: Database
    private var cache: [String: RawStatement] = [:]

    /// A statement prepared once per transaction, by its SQL.
    package func prepared(_ sql: String) throws -> RawStatement {
        if let statement = cache[sql] { return statement }
        let statement = try RawStatement(db, sql: sql)
        cache[sql] = statement
        return statement
    }
    package let selectRecord: RawStatement
    package let selectField: RawStatement
    package let selectFieldElements: RawStatement

    package init(_ db: Database) throws {
        self.db = db
        upsertField = try RawStatement(db, 
            sql: """
                INSERT INTO field_state (collection, record_id, field, value_type, value, stamp, node, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (collection, record_id, field) DO UPDATE SET
                  value_type = excluded.value_type, value = excluded.value, stamp = excluded.stamp,
                  node = excluded.node, seq = excluded.seq
                """)
        upsertElement = try RawStatement(db, 
            sql: """
                INSERT INTO element_state (collection, record_id, field, element, tag, removed, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (collection, record_id, field, element, tag) DO UPDATE SET
                  removed = excluded.removed, seq = excluded.seq
                """)
        upsertActivity = try RawStatement(db, sql: Projection.upsertActivitySQL)
        selectRecord = try RawStatement(db, sql: """
            SELECT 0, field, value_type, value, stamp, seq FROM field_state WHERE collection = ?1 AND record_id = ?2
            UNION ALL
            SELECT 1, field, element, tag, removed, NULL FROM element_state WHERE collection = ?1 AND record_id = ?2
            """)
        selectField = try RawStatement(db, sql: """
            SELECT 0, field, value_type, value, stamp, seq FROM field_state WHERE collection = ? AND record_id = ? AND field = ?
            """)
        selectFieldElements = try RawStatement(db, sql: """
            SELECT 1, field, element, tag, removed FROM element_state WHERE collection = ? AND record_id = ? AND field = ?
            """)
    }

    /// Binds the record both upserts write; SQLite keeps bindings across resets.
    package func bindRecord(_ key: ReplicaWriter.RecordKey) {
        for statement in [upsertField, upsertElement] {
            statement.bind(1, key.collection)
            statement.bind(2, key.recordId)
        }
    }

    /// Reads `fields` (all when nil) of a record into `state`; returns whether any row was found.
    package func load(_ key: ReplicaWriter.RecordKey, fields: Set<String>?, into state: inout RecordState) throws -> Bool {
        var found = false
        if let fields {
            // A few fields: point lookups; element rows only for set fields.
            for field in fields.sorted() {
                let isSet = ActivityFields.sets.contains(field)
                let statement = isSet ? selectFieldElements : selectField
                statement.bind(1, key.collection)
                statement.bind(2, key.recordId)
                statement.bind(3, field)
                try statement.forEachRow { row in
                    found = true
                    isSet ? Self.readElement(row, into: &state) : Self.readScalar(row, into: &state)
                }
            }
        } else {
            selectRecord.bind(1, key.collection)
            selectRecord.bind(2, key.recordId)
            try selectRecord.forEachRow { row in
                found = true
                row.int64(0) == 0 ? Self.readScalar(row, into: &state) : Self.readElement(row, into: &state)
            }
        }
        return found
    }

    /// Columns: kind, field, value_type, value, stamp, seq.
    private static func readScalar(_ row: RawStatement, into state: inout RecordState) {
        guard let stamp = HLC(encoded: row.text(4)) else { return }
        let value: FieldValue
        switch row.int64(2) {
        case 1: value = .bool(row.int64(3) != 0)
        case 2: value = .int(row.int64(3))
        case 3: value = .string(row.text(3))
        default: value = .null
        }
        state.registers[row.text(1)] = Register(value: value, stamp: stamp, seq: row.int64(5))
    }

    /// Columns: kind, field, element, tag, removed.
    private static func readElement(_ row: RawStatement, into state: inout RecordState) {
        guard let tag = HLC(encoded: row.text(3)) else { return }
        let removed = row.optionalText(4).flatMap(HLC.init(encoded:))
        state.tags[row.text(1), default: [:]][row.text(2), default: []].append(ElementTag(tag: tag, removed: removed))
    }
}
