import EngageCore
import EngageModel
import Foundation
import GRDB

/// Applies changes to the replicated state inside one transaction, through the merge core,
/// then rebuilds the typed rows of the records it touched. Local and remote writes take
/// this same path; only local ones also go to the outbox.
struct ReplicaWriter {
    struct RecordKey: Hashable {
        var collection: String
        var recordId: String
    }

    let db: Database
    private(set) var seq: Int64
    private var states: [RecordKey: RecordState] = [:]
    private var dirty: Set<RecordKey> = []
    private(set) var appliedCount = 0

    init(db: Database, seq: Int64) {
        self.db = db
        self.seq = seq
    }

    /// The state of a record, loaded once per transaction.
    mutating func state(_ key: RecordKey) throws -> RecordState {
        if let cached = states[key] { return cached }
        try load(collection: key.collection, ids: [key.recordId])
        return states[key] ?? RecordState()
    }

    /// Loads many records' state in a few queries.
    mutating func load(collection: String, ids: some Collection<String>) throws {
        let missing = Array(Set(ids).filter { states[RecordKey(collection: collection, recordId: $0)] == nil })
        for start in stride(from: 0, to: missing.count, by: 500) {
            let chunk = Array(missing[start..<min(start + 500, missing.count)])
            for id in chunk { states[RecordKey(collection: collection, recordId: id)] = RecordState() }
            let marks = databaseQuestionMarks(count: chunk.count)
            let args = StatementArguments([collection] + chunk)
            let fields = try Row.fetchCursor(
                db, sql: "SELECT record_id, field, value_type, value, stamp, seq FROM field_state "
                    + "WHERE collection = ? AND record_id IN (\(marks))", arguments: args)
            while let row = try fields.next() {
                let key = RecordKey(collection: collection, recordId: row[0])
                guard let stamp = HLC(encoded: row[4]) else { continue }
                states[key]!.registers[row[1]] = Register(
                    value: FieldValue(sqlType: row[2], value: row[3]), stamp: stamp, seq: row[5])
            }
            let elements = try Row.fetchCursor(
                db, sql: "SELECT record_id, field, element, tag, removed FROM element_state "
                    + "WHERE collection = ? AND record_id IN (\(marks))", arguments: args)
            while let row = try elements.next() {
                let key = RecordKey(collection: collection, recordId: row[0])
                guard let tag = HLC(encoded: row[3]) else { continue }
                let removed = (row[4] as String?).flatMap(HLC.init(encoded:))
                states[key]!.tags[row[1], default: [:]][row[2], default: []].append(ElementTag(tag: tag, removed: removed))
            }
        }
    }

    /// Merges one change; returns whether the state changed.
    @discardableResult
    mutating func apply(_ change: Change) throws -> Bool {
        let key = RecordKey(collection: change.collection, recordId: change.recordId)
        var state = try state(key)
        switch change.op {
        case .set(let value):
            guard var register = Merge.register(state.registers[change.field], value, stamp: change.stamp) else {
                return false
            }
            seq += 1
            register.seq = seq
            state.registers[change.field] = register
            try db.cachedStatement(
                sql: """
                    INSERT INTO field_state (collection, record_id, field, value_type, value, stamp, node, seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (collection, record_id, field) DO UPDATE SET
                      value_type = excluded.value_type, value = excluded.value, stamp = excluded.stamp,
                      node = excluded.node, seq = excluded.seq
                    """
            ).execute(arguments: [
                change.collection, change.recordId, change.field, value.sqlType, value.sqlValue,
                change.stamp.encoded, change.stamp.node.rawValue, seq,
            ])
        case .add(let element), .remove(let element, _):
            let tags = state.tags[change.field]?[element] ?? []
            guard let merged = Merge.element(tags, change.op, stamp: change.stamp) else { return false }
            seq += 1
            for tag in merged where !tags.contains(tag) {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO element_state (collection, record_id, field, element, tag, removed, seq)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (collection, record_id, field, element, tag) DO UPDATE SET
                          removed = excluded.removed, seq = excluded.seq
                        """
                ).execute(arguments: [
                    change.collection, change.recordId, change.field, element, tag.tag.encoded,
                    tag.removed?.encoded, seq,
                ])
            }
            state.tags[change.field, default: [:]][element] = merged
        }
        states[key] = state
        dirty.insert(key)
        appliedCount += 1
        return true
    }

    /// Rebuilds the typed rows of every record touched since the last call.
    mutating func project() throws {
        for key in dirty.sorted(by: { ($0.collection, $0.recordId) < ($1.collection, $1.recordId) }) {
            guard let state = states[key] else { continue }
            switch key.collection {
            case ActivityFields.collection: try Projection.activity(db, id: key.recordId, state: state)
            case ConflictRecord.collection: try Projection.conflict(db, id: key.recordId, state: state)
            case PartnerFields.collection: try Projection.partner(db, code: key.recordId, state: state)
            default: break
            }
        }
        dirty.removeAll()
    }
}
