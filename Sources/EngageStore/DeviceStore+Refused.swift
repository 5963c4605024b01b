import EngageCore
import EngageModel
import EngageReplica
import EngageStorage
import Foundation
import GRDB

/// The work the hub refused on one activity: what was typed, and why.
public struct RefusedWork: Sendable, Equatable, Codable {
    public struct Item: Sendable, Equatable, Codable {
        public var field: String
        /// The value typed (`set`), or the element added or removed (`+E`, `-E`).
        public var value: String
        public var code: String
        public var message: String
        public var at: String
    }

    public var activityId: String
    public var items: [Item]
}

extension DeviceStore {
    /// Refused work, by activity (activities by id, each one's changes in stamp order): kept as
    /// typed, with the hub's reason, until the person sends it again or discards it.
    public func refusedWork() throws(StoreError) -> [RefusedWork] {
        var byActivity: [String: [RefusedWork.Item]] = [:]
        for (change, code, message, at) in try rejectedChanges().sorted(by: { $0.change.stamp < $1.change.stamp })
        where change.collection == ActivityFields.collection {
            let value =
                switch change.op {
                case .set(let v): v.stringValue ?? v.jsonText
                case .add(let e): "+" + e
                case .remove(let e, _): "-" + e
                }
            byActivity[change.recordId, default: []].append(
                .init(field: change.field, value: value, code: code, message: message, at: at))
        }
        return byActivity.keys.sorted().map { RefusedWork(activityId: $0, items: byActivity[$0]!) }
    }

    /// Sends an activity's refused work again, as new work: the activity as this device holds
    /// it, with the refused values over it (the latest of each field), and `post` when given —
    /// work typed before enrolment for another post, or none, is mended so. Its refusals are
    /// forgotten; the next sync sends it. Throws when the values do not make a whole activity
    /// the model and this device's enrolment accept, changing nothing.
    @discardableResult
    public func resendRefused(_ activityId: String, post: String? = nil) throws(StoreError) -> Activity {
        let id = activityId.lowercased()
        let refused = try rejectedChanges().filter {
            $0.change.collection == ActivityFields.collection && $0.change.recordId == id
        }
        .map(\.change).sorted { $0.stamp < $1.stamp }
        guard let uuid = UUID(uuidString: id), !refused.isEmpty else {
            throw StoreError(.notFound, "no refused work on activity '\(activityId)'; `engage refused` lists it")
        }
        return try write { db in
            let key = ReplicaWriter.RecordKey(collection: ActivityFields.collection, recordId: id)
            var writer = try ReplicaWriter(db: db, seq: try ReplicaContext.load(db).seq)
            let state = try writer.state(key)
            var scalars = state.scalarValues
            var sets = state.setValues
            for change in refused {
                switch change.op {
                case .set(let value): scalars[change.field] = value
                case .add(let element): sets[change.field, default: []].insert(element)
                case .remove(let element, _): sets[change.field, default: []].remove(element)
                }
            }
            if let post { scalars["post"] = .string(post) }
            let rebuilt: Activity?
            do {
                rebuilt = try ActivityFields.activity(id: id, scalars: scalars, sets: sets)
            } catch let error as ModelError {
                throw StoreError(error)
            }
            guard let activity = rebuilt else {
                throw StoreError(
                    .invalid,
                    "the refused changes of \(id.prefix(8)) do not make a whole activity (a kind, title, country and start date); "
                        + "log it again with `engage log`, then `engage refused --discard \(id.prefix(8))`")
            }
            let sent = try writeLocal(db, id: uuid) { _ in activity }
            try db.execute(
                sql: "DELETE FROM rejected_change WHERE stamp IN (\(databaseQuestionMarks(count: refused.count)))",
                arguments: StatementArguments(refused.map(\.stamp.encoded)))
            return sent
        }
    }

    /// Discards an activity's refused work for good; returns how many refused changes went.
    @discardableResult
    public func discardRefused(_ activityId: String) throws(StoreError) -> Int {
        let id = activityId.lowercased()
        let stamps = try rejectedChanges().filter {
            $0.change.collection == ActivityFields.collection && $0.change.recordId == id
        }
        .map(\.change.stamp.encoded)
        guard !stamps.isEmpty else {
            throw StoreError(.notFound, "no refused work on activity '\(activityId)'; `engage refused` lists it")
        }
        try write { db in
            try db.execute(
                sql: "DELETE FROM rejected_change WHERE stamp IN (\(databaseQuestionMarks(count: stamps.count)))",
                arguments: StatementArguments(stamps))
        }
        return stamps.count
    }

    /// Activities this device holds for another post than `post` (or for none): typed before
    /// enrolment, they would be refused at the first sync. For an advisor's enrolment to warn.
    public func activities(notOf post: String) throws(StoreError) -> [Activity] {
        try activities(ActivityFilter()).filter { $0.post != post }
    }
}
