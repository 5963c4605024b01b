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
        let r = state.registers
        guard let kind = r["kind"]?.value.stringValue, let title = r["title"]?.value.stringValue,
            let country = r["country"]?.value.stringValue, let start = r["startDate"]?.value.stringValue
        else {
            try upsert.database.execute(sql: deleteActivitySQL, arguments: [id])
            return
        }
        let sets = state.setValues
        upsert.bind(1, id)
        upsert.bind(2, kind)
        upsert.bind(3, title)
        upsert.bind(4, country)
        upsert.bind(5, r["location"]?.value.stringValue)
        upsert.bind(6, r["post"]?.value.stringValue ?? "")
        upsert.bind(7, JSON.array((sets["partners"] ?? []).sorted()))
        upsert.bind(8, goalsJSON(sets["goals"] ?? []))
        upsert.bind(9, start)
        upsert.bind(10, r["endDate"]?.value.stringValue)
        upsert.bind(11, r["status"]?.value.stringValue ?? "planned")
        if let n = r["participants"]?.value.intValue { upsert.bind(12, n) } else { upsert.bindNull(12) }
        upsert.bind(13, r["notes"]?.value.stringValue ?? "")
        upsert.bind(14, r["sensitivity"]?.value.stringValue ?? "unclassified")
        upsert.bind(15, Int64(r["deleted"]?.value.boolValue == true ? 1 : 0))
        upsert.bind(16, JSON.array((sets["otherCountries"] ?? []).sorted()))
        upsert.bind(17, r["datePrecision"]?.value.stringValue ?? DatePrecision.day.rawValue)
        upsert.bind(18, r["amount"]?.value.stringValue)
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

    package static func goalsJSON(_ goals: Set<String>) -> String {
        "[" + goals.compactMap { Int($0) }.sorted().map(String.init).joined(separator: ",") + "]"
    }

    package static func conflict(_ db: Database, id: String, state: RecordState) throws {
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
            id, c.collection, c.recordId, c.field, c.current.value.jsonText, c.current.stamp.encoded,
            c.current.authorName, c.other.value.jsonText, c.other.stamp.encoded, c.other.authorName, resolved,
        ])
    }

    package static func partner(_ db: Database, code: String, state: RecordState) throws {
        let v = state.scalarValues
        guard let name = v["name"]?.stringValue, let country = v["country"]?.stringValue,
            let type = v["agencyType"]?.stringValue
        else { return }
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO partner (code, name, country, agency_type, aliases) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [code, name, country, type, v["aliases"]?.stringValue ?? "[]"])
    }
}
