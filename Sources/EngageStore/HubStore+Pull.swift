import EngageCore
import Foundation
import GRDB

/// One page of a pull.
public struct PullPage: Sendable, Equatable {
    public var changes: [Change]
    public var cursor: Int64
    public var more: Bool
}

extension HubStore {
    /// The latest state of what changed after `cursor` and is visible to `device`, in sequence
    /// order, at most `limit` changes and about `maxBytes` of JSON (never splitting one sequence
    /// number across pages). Advisors see their post's activities, the conflicts about them and
    /// the partner registry; headquarters sees everything.
    public func pull(after cursor: Int64, for device: DeviceRecord, limit: Int, maxBytes: Int) throws(StoreError) -> PullPage {
        try read { db in
            let latest = try Int64.fetchOne(db, sql: "SELECT local_seq FROM sync_state WHERE id = 1") ?? 0
            let visible: String
            var args: [any DatabaseValueConvertible] = []
            if device.role == .advisor {
                visible = """
                    AND (collection = 'partners'
                      OR (collection = 'activities' AND record_id IN (SELECT id FROM activity WHERE post = ?))
                      OR (collection = 'conflicts' AND record_id IN
                          (SELECT c.id FROM conflict c JOIN activity a ON a.id = c.record_id WHERE a.post = ?)))
                    """
                args = [device.post, device.post]
            } else {
                visible = ""
            }
            let sql = """
                SELECT * FROM (
                  SELECT seq, collection, record_id, field, value_type, value, stamp, NULL AS removed, 0 AS kind
                    FROM field_state WHERE seq > ? \(visible)
                  UNION ALL
                  SELECT seq, collection, record_id, field, NULL, element, tag, removed, 1
                    FROM element_state WHERE seq > ? \(visible))
                ORDER BY seq LIMIT ?
                """
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments([cursor] + args + [cursor] + args + [limit + 1]))
            var changes: [Change] = []
            var bytes = 0, lastSeq = cursor, full = false
            while let row = try rows.next() {
                let seq: Int64 = row[0]
                if (changes.count >= limit || bytes >= maxBytes) && seq != lastSeq {
                    full = true
                    break
                }
                guard let stamp = HLC(encoded: row[6]) else { continue }
                let collection: String = row[1], record: String = row[2], field: String = row[3]
                if (row[8] as Int64) == 0 {
                    let value = FieldValue(sqlType: row[4], value: row[5])
                    changes.append(Change(collection: collection, recordId: record, field: field, op: .set(value), stamp: stamp))
                    bytes += 120 + record.utf8.count + value.json.utf8.count
                } else {
                    let element: String = row[5]
                    changes.append(Change(collection: collection, recordId: record, field: field, op: .add(element), stamp: stamp))
                    if let removed = (row[7] as String?).flatMap(HLC.init(encoded:)) {
                        changes.append(Change(collection: collection, recordId: record, field: field,
                                              op: .remove(element, observed: [stamp]), stamp: removed))
                    }
                    bytes += 200 + record.utf8.count + element.utf8.count
                }
                lastSeq = seq
            }
            return PullPage(changes: changes, cursor: full ? lastSeq : max(latest, cursor), more: full)
        }
    }

    /// Every accepted change of an activity, oldest first.
    public func history(activityId: String) throws(StoreError) -> [(stamp: HLC, deviceId: String, receivedAt: Int64, change: Change, oldValue: FieldValue?, applied: Bool)] {
        try read { db in
            let decoder = JSONDecoder()
            return try Row.fetchAll(
                db, sql: "SELECT * FROM change_log WHERE collection = 'activities' AND record_id = ? ORDER BY id", arguments: [activityId]
            ).compactMap { row in
                guard let change = try? decoder.decode(Change.self, from: Data((row["change"] as String).utf8)) else { return nil }
                let old = (row["old_value"] as String?).flatMap { try? decoder.decode(FieldValue.self, from: Data($0.utf8)) }
                return (change.stamp, row["device_id"], row["received_at"], change, old, row["applied"])
            }
        }
    }

    /// The post an activity belongs to at the hub (nil if unknown).
    public func post(ofActivity id: String) throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT post FROM activity WHERE id = ?", arguments: [id]) }
    }
}
