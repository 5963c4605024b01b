import EngageCore
import EngageModel
import Foundation
import GRDB

/// Typed rows rebuilt from replicated state.
enum Projection {
    static func activity(_ db: Database, id: String, state: RecordState) throws {
        // A value that breaks the model cannot have been accepted; treat the record as incomplete.
        guard let a = try? ActivityFields.activity(id: id, scalars: state.scalarValues, sets: state.setValues) else {
            try db.cachedStatement(sql: "DELETE FROM activity WHERE id = ?").execute(arguments: [id])
            return
        }
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO activity (id, kind, title, country, location, post, partners, goals,
                  start_date, end_date, status, participants, notes, sensitivity, deleted)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            id, a.kind.rawValue, a.title, a.country.code, a.location, a.post, JSONText.array(a.partners.sorted()),
            "[" + a.goals.map { String($0.rawValue) }.sorted().joined(separator: ",") + "]",
            a.startDate.description, a.endDate?.description, a.status.rawValue, a.participants, a.notes,
            a.sensitivity.rawValue, a.deleted,
        ])
    }

    static func conflict(_ db: Database, id: String, state: RecordState) throws {
        guard let body = state.registers[ConflictRecord.bodyField]?.value.stringValue,
            let c = try? JSONDecoder().decode(Conflict.self, from: Data(body.utf8))
        else { return }
        let resolved = state.registers[ConflictRecord.resolvedField]?.value.boolValue ?? false
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO conflict (id, collection, record_id, field, current_value, current_stamp,
                  current_author, other_value, other_stamp, other_author, resolved)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            id, c.collection, c.recordId, c.field, c.current.value.json, c.current.stamp.encoded,
            c.current.author.rawValue, c.other.value.json, c.other.stamp.encoded, c.other.author.rawValue, resolved,
        ])
    }

    static func partner(_ db: Database, code: String, state: RecordState) throws {
        let v = state.scalarValues
        guard let name = v["name"]?.stringValue, let country = v["country"]?.stringValue,
            let type = v["agencyType"]?.stringValue
        else { return }
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO partner (code, name, country, agency_type) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [code, name, country, type])
    }
}
