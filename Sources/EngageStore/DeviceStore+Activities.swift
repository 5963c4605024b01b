import EngageCore
import EngageModel
import EngageReplica
import EngageStorage
import Foundation
import GRDB

extension DeviceStore {
    /// Records a new activity. The id is the activity's own (made on the device).
    @discardableResult
    public func log(_ activity: Activity) throws(StoreError) -> Activity {
        try write { db in
            if try Self.exists(db, activity.id) {
                throw StoreError(.invalid, "an activity with id \(Self.key(activity.id)) already exists; use `engage edit`")
            }
            return try writeLocal(db, id: activity.id) { _ in activity }
        }
    }

    /// Edits an activity; only the fields that change are stamped. A deleted activity must be restored first.
    @discardableResult
    public func edit(_ id: UUID, _ change: (inout Activity) throws(ModelError) -> Void) throws(StoreError) -> Activity {
        try write { db in
            try writeLocal(db, id: id) { old in
                guard var activity = old else { throw Self.notFound(Self.key(id)) }
                if activity.deleted {
                    throw StoreError(
                        .deleted, "activity \(Self.key(id).prefix(8)) is deleted; `engage restore` it before editing")
                }
                try change(&activity)
                return activity
            }
        }
    }

    /// Marks an activity deleted (a tombstone: every field is kept).
    @discardableResult
    public func delete(_ id: UUID) throws(StoreError) -> Activity { try setDeleted(id, true) }

    /// Brings a deleted activity back with the fields it had.
    @discardableResult
    public func restore(_ id: UUID) throws(StoreError) -> Activity { try setDeleted(id, false) }

    private func setDeleted(_ id: UUID, _ deleted: Bool) throws(StoreError) -> Activity {
        try write { db in
            try writeLocal(db, id: id) { old in
                guard var activity = old else { throw Self.notFound(Self.key(id)) }
                activity.deleted = deleted
                return activity
            }
        }
    }

    public func activity(_ id: UUID) throws(StoreError) -> Activity {
        guard let a = try read({ db in try SQLiteStore.fetchActivities(db, where: "id = ?", [Self.key(id)]).first }) else {
            throw Self.notFound(Self.key(id))
        }
        return a
    }

    public func activities(_ filter: ActivityFilter = ActivityFilter()) throws(StoreError) -> [Activity] {
        var clauses: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if !filter.includeDeleted { clauses.append("deleted = 0") }
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
        let condition = clauses.isEmpty ? "1" : clauses.joined(separator: " AND ")
        return try read { db in try SQLiteStore.fetchActivities(db, where: condition, args) }
    }

    /// Resolves a full id or a unique prefix of at least 6 characters, as git does.
    public func resolveID(_ text: String) throws(StoreError) -> UUID {
        let prefix = text.lowercased()
        guard prefix.count >= 6, prefix.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw StoreError(.invalid, "'\(text)' is not an activity id; give the id or its first 6 or more characters")
        }
        let ids = try read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM activity WHERE id LIKE ? || '%' ORDER BY id LIMIT 3", arguments: [prefix])
        }
        guard let first = ids.first, let uuid = UUID(uuidString: first) else { throw Self.notFound(text) }
        guard ids.count == 1 else {
            throw StoreError(
                .ambiguousID,
                "id prefix '\(text)' matches several activities (\(ids.joined(separator: ", "))); type more characters")
        }
        return uuid
    }

    /// Imports activities; ones whose id already exists are left as they are, so importing the
    /// same file twice creates nothing the second time. All are validated before any is written.
    /// What it writes is sent as `fill`: the hub, too, leaves an activity it holds as it is.
    public func importActivities(_ activities: [Activity]) throws(StoreError) -> (created: Int, existing: Int) {
        for (index, activity) in activities.enumerated() {
            do { try activity.validate() } catch {
                throw StoreError(
                    .invalid, "activity \(index + 1) (\(Self.key(activity.id).prefix(8))): \(error.message); nothing was imported"
                )
            }
        }
        return try write { db in
            var created = 0
            var existing = 0
            for activity in activities {
                if try Self.exists(db, activity.id) {
                    existing += 1
                } else {
                    let before = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM outbox") ?? 0
                    _ = try writeLocal(db, id: activity.id) { _ in activity }
                    try db.execute(sql: "UPDATE outbox SET fill = 1 WHERE seq > ?", arguments: [before])
                    created += 1
                }
            }
            return (created, existing)
        }
    }

    // MARK: - The local write path

    /// Builds the new activity from the old, stamps the fields that changed and applies them
    /// through the merge core, appending them to the outbox. Runs inside the caller's transaction.
    func writeLocal(_ db: Database, id: UUID, _ transform: (Activity?) throws -> Activity) throws -> Activity {
        var context = try ReplicaContext.load(db)
        var writer = try ReplicaWriter(db: db, seq: context.seq)
        let key = ReplicaWriter.RecordKey(collection: ActivityFields.collection, recordId: Self.key(id))
        let state = try writer.state(key)
        let old = try ActivityFields.activity(id: key.recordId, scalars: state.scalarValues, sets: state.setValues)
        var new = try transform(old)
        try Self.checkScope(db, old: old, new: &new)
        try new.validate()
        // An edit comes after every write of the record this device holds, whatever its clock says.
        if let latest = state.latestStamp { context.clock.observe(latest, physicalMs: physicalMs()) }
        let changes = LocalEdit.changes(
            from: state, to: new, clock: &context.clock, physicalMs: physicalMs(), seen: context.cursor)
        try applyLocal(db, changes, writer: &writer)
        context.seq = writer.seq
        try context.save(db)
        return new
    }

    /// Applies local changes and queues them for the server.
    func applyLocal(_ db: Database, _ changes: [Change], writer: inout ReplicaWriter) throws {
        for change in changes {
            // Local stamps come after everything the record holds, so each applies; the outbox
            // sequence stays unique even if one did not.
            let seq = try writer.apply(change) ? writer.seq : writer.nextSeq()
            try db.cachedStatement(sql: "INSERT INTO outbox (seq, change) VALUES (?, ?)").execute(arguments: [
                seq, change.jsonText,
            ])
        }
        try writer.project()
    }

    /// Refuses at once what the hub would refuse from this device's enrolment: an advisor logs
    /// and edits activities of their own post (a new one without a post gets it) and may not
    /// move one elsewhere; headquarters may only move an activity to another post. A device
    /// not yet enrolled is not limited; the hub judges its changes when it syncs.
    static func checkScope(_ db: Database, old: Activity?, new: inout Activity) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT device_post, device_role FROM sync_state WHERE id = 1"),
            let post: String = row[0], let role: String = row[1]
        else { return }
        let id = key(new.id).prefix(8)
        switch role {
        case "advisor":
            guard let old else {
                if new.post.isEmpty { new.post = post }
                guard new.post == post else {
                    throw StoreError(
                        .outOfScope,
                        "this device logs activities of post \(post), not \(new.post); leave --post out or give \(post)")
                }
                return
            }
            guard old.post == post else {
                // Headquarters moved it away: the hub would refuse every edit of it.
                throw StoreError(
                    .outOfScope,
                    "activity \(id) was moved to post \(old.post) by headquarters; it is read-only here — its advisors or headquarters may change it"
                )
            }
            guard new.post == old.post else {
                throw StoreError(
                    .outOfScope, "activity \(id) belongs to post \(old.post); moving it to another post is for headquarters")
            }
        case "hq":
            var unchanged = new
            if let old { unchanged.post = old.post }
            guard let old, unchanged == old else {
                throw StoreError(
                    .outOfScope,
                    "headquarters may move an activity to another post (--post); logging and editing it is for its post's advisors"
                )
            }
        default:
            throw StoreError(.outOfScope, "a \(role) device does not edit activities")
        }
    }

    static func key(_ id: UUID) -> String { id.uuidString.lowercased() }

    static func notFound(_ id: String) -> StoreError {
        StoreError(.notFound, "no activity has id '\(id)'; `engage list --include-deleted` shows the ids")
    }

    static func exists(_ db: Database, _ id: UUID) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM field_state WHERE collection = ? AND record_id = ?)",
            arguments: [ActivityFields.collection, key(id)]) ?? false
    }

}
