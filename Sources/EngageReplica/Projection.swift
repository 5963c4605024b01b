import EngageCore
import EngageModel
import EngageStorage
import Foundation
import GRDB

/// Typed rows rebuilt from replicated state.
package enum Projection {
    /// Writes the typed row straight from the registers. Values were validated when they were
    /// written (locally by the model, remotely by the server and `ActivityFields.validate`);
    /// a record whose required fields have not all arrived has no row yet.
    package static let upsertActivitySQL = """
        INSERT INTO activity (id, kind, title, country, location, post, partners, goals,
          start_date, end_date, status, participants, notes, sensitivity, deleted, other_countries, date_precision, amount)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title,
          country = excluded.country, location = excluded.location, post = excluded.post,
          partners = excluded.partners, goals = excluded.goals, start_date = excluded.start_date,
          end_date = excluded.end_date, status = excluded.status, participants = excluded.participants,
          notes = excluded.notes, sensitivity = excluded.sensitivity, deleted = excluded.deleted,
          other_countries = excluded.other_countries, date_precision = excluded.date_precision, amount = excluded.amount
        """

    package static let deleteActivitySQL = "DELETE FROM activity WHERE id = ?"

    /// Writes the typed row straight from the registers. Values were validated when they were
    /// written (locally by the model, remotely by the server and `ActivityFields.validate`);
    /// a record whose required fields have not all arrived has no row yet.
    package static func activity(_ upsert: RawStatement, id: String, state: RecordState) throws {
        guard let row = TypedRows.activity(id: id, state: state) else {
            try upsert.database.execute(sql: deleteActivitySQL, arguments: [id])
            return
        }
        upsert.bind(1, row.id)
        upsert.bind(2, row.kind)
        upsert.bind(3, row.title)
        upsert.bind(4, row.country)
        upsert.bind(5, row.location)
        upsert.bind(6, row.post)
        upsert.bind(7, row.partners)
        upsert.bind(8, row.goals)
        upsert.bind(9, row.startDate)
        upsert.bind(10, row.endDate)
        upsert.bind(11, row.status)
        if let n = row.participants { upsert.bind(12, n) } else { upsert.bindNull(12) }
        upsert.bind(13, row.notes)
        upsert.bind(14, row.sensitivity)
        upsert.bind(15, Int64(row.deleted ? 1 : 0))
        upsert.bind(16, row.otherCountries)
        upsert.bind(17, row.datePrecision)
        upsert.bind(18, row.amount)
        try upsert.run()
    }

    package static let columns: [String: String] = [
        "kind": "kind", "title": "title", "country": "country", "location": "location", "post": "post",
        "partners": "partners", "goals": "goals", "startDate": "start_date", "endDate": "end_date", "status": "status",
        "participants": "participants", "notes": "notes", "sensitivity": "sensitivity", "deleted": "deleted",
        "otherCountries": "other_countries", "datePrecision": "date_precision", "amount": "amount",
    ]

    /// Updates just the columns of `fields` in an existing row; false when there is no row.
    package static func updateActivity(_ statements: Statements, id: String, state: RecordState, fields: Set<String>) throws -> Bool {
        let names = fields.filter { columns[$0] != nil }.sorted()
        guard !names.isEmpty else { return true }
        let assignments = names.map { "\(columns[$0]!) = ?" }.joined(separator: ", ")
        let update = try statements.prepared("UPDATE activity SET \(assignments) WHERE id = ?")
        for (i, field) in names.enumerated() {
            let index = Int32(i + 1)
            switch field {
            case "partners": update.bind(index, JSON.array((state.setValues["partners"] ?? []).sorted()))
            case "goals": update.bind(index, goalsJSON(state.setValues["goals"] ?? []))
            case "otherCountries": update.bind(index, JSON.array((state.setValues["otherCountries"] ?? []).sorted()))
            case "datePrecision": update.bind(index, state.registers[field]?.value.stringValue ?? DatePrecision.day.rawValue)
            default:
                switch state.registers[field]?.value ?? .null {
                case .null: update.bindNull(index)
                case .bool(let b): update.bind(index, Int64(b ? 1 : 0))
                case .int(let n): update.bind(index, n)
                case .string(let text): update.bind(index, text)
                }
            }
        }
        update.bind(Int32(names.count + 1), id)
        try update.run()
        return update.database.changesCount > 0
    }

    package static func goalsJSON(_ goals: Set<String>) -> String { TypedRows.goalsJSON(goals) }

    package static func conflict(_ db: Database, id: String, state: RecordState) throws {
        guard let (c, resolved) = TypedRows.conflict(state: state) else { return }
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO conflict (id, collection, record_id, field, current_value, current_stamp,
                  current_author, other_value, other_stamp, other_author, resolved)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            id, c.collection, c.recordId, c.field, c.current.value.jsonText, c.current.stamp.encoded,
            c.current.authorName, c.other.value.jsonText, c.other.stamp.encoded, c.other.authorName, resolved,
        ])
    }

    package static func partner(_ db: Database, code: String, state: RecordState) throws {
        guard let p = TypedRows.partner(code: code, state: state) else { return }
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO partner (code, name, country, agency_type, aliases) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [p.code, p.name, p.country, p.agencyType, p.aliases])
    }
}
