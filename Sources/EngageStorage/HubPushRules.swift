import EngageCore
import EngageModel
import Foundation

/// Which pushed changes a hub refuses, and why: the same rules for every hub store. The few
/// reads they need beyond the record's own state come through `Lookups`, from the store's
/// transaction.
public enum HubPushRules {
    /// The store reads the rules need, each inside the push's transaction.
    public struct Lookups {
        /// The `post` writes of an activity in the change log: each one's stamp (encoded) and new value (JSON).
        public var postWrites: (String) throws -> [(stamp: String, newValue: String?)]
        /// The post of the activity a conflict (by id) is about, nil if the hub has no such conflict.
        public var conflictPost: (String) throws -> String?
        /// The post of an activity (by id), nil if the hub has no typed row for it.
        public var activityPost: (String) throws -> String?

        public init(
            postWrites: @escaping (String) throws -> [(stamp: String, newValue: String?)], conflictPost: @escaping (String) throws -> String?,
            activityPost: @escaping (String) throws -> String?
        ) {
            self.postWrites = postWrites
            self.conflictPost = conflictPost
            self.activityPost = activityPost
        }
    }

    /// Why a change may not be applied, or nil.
    public static func refusal(
        _ change: Change, device: DeviceRecord, state: RecordState, batchPosts: [String: [(stamp: HLC, post: String)]], now: Int64,
        lookups: Lookups
    ) throws -> (String, String)? {
        if change.stamp.node.rawValue != device.nodeId {
            return ("wrong_author", "a device may push only changes stamped with its own node id (\(device.nodeId))")
        }
        if change.stamp.wallMs > now + HLC.maxAheadMs {
            return ("stamp_ahead",
                    "stamped \((change.stamp.wallMs - now) / 1000) s ahead of the server's clock (at most \(HLC.maxAheadMs / 1000) s); "
                    + "the app stamps it again with its corrected clock and sends it again")
        }
        switch change.collection {
        case ActivityFields.collection:
            if let error = ActivityFields.validate(change) { return ("invalid_value", error.message) }
            if let message = observedRefusal(change, state: state) { return ("invalid_value", message) }
            let post = try postAsOf(change, state: state, batch: batchPosts[change.recordId] ?? [], lookups: lookups)
            switch device.role {
            case .advisor:
                guard let post else {
                    // A new record whose post is in a later batch: only its author may write it.
                    let authors = Set(state.registers.values.map(\.stamp.node.rawValue))
                        .union(state.tags.values.flatMap { $0.values.flatMap { $0.map(\.tag.node.rawValue) } })
                    return authors.isSubset(of: [device.nodeId]) ? nil
                        : ("out_of_scope", "activity \(change.recordId.prefix(8)) has no post yet and is another device's")
                }
                if post != device.post {
                    return ("out_of_scope", "activity \(change.recordId.prefix(8)) belongs to post \(post); you may edit activities of \(device.post) only")
                }
                if change.field == "post", case .set(let value) = change.op, value != .string(device.post) {
                    return ("out_of_scope", "you may not move an activity to another post (\(value)); ask headquarters")
                }
                return nil
            case .hq:
                guard change.field == "post", case .set = change.op else {
                    return ("out_of_scope", "headquarters may move an activity to another post; its other fields are its post's advisors'")
                }
                return nil
            case .admin:
                return ("out_of_scope", "an admin device enrols and revokes devices; it may not edit activities")
            }
        case ConflictRecord.collection:
            guard change.field == ConflictRecord.resolvedField, case .set(.bool) = change.op else {
                return ("invalid_value", "a conflict can only be marked resolved (true or false)")
            }
            guard let post = try lookups.conflictPost(change.recordId)
            else { return ("not_found", "conflict \(change.recordId) does not exist at the server") }
            if device.role == .advisor, post != device.post { return ("out_of_scope", "conflict \(change.recordId) belongs to post \(post)") }
            if device.role == .admin { return ("out_of_scope", "an admin device may not settle conflicts") }
            return nil
        case PartnerFields.collection:
            guard device.role == .hq else {
                return ("out_of_scope", "the partner registry is reference data kept by headquarters; advisors record new partners on activities")
            }
            return ActivityFields.isFieldName(change.field) ? nil : ("invalid_value", "'\(change.field)' is not a field name")
        default:
            return ("invalid_value", "collection '\(change.collection)' does not exist; use activities, conflicts or partners")
        }
    }

    /// Why a relayed change (another node's, re-sent after the hub lost it) may not be taken:
    /// it must follow the model and the stamp bound, and its record must be one the relaying
    /// device may see.
    public static func relayRefusal(
        _ change: Change, device: DeviceRecord, state: RecordState, batchPosts: [String: [(stamp: HLC, post: String)]], now: Int64,
        lookups: Lookups
    ) throws -> (String, String)? {
        if change.stamp.node == HubRules.node && change.collection != ConflictRecord.collection {
            return ("wrong_author", "the hub's own writes are relayed only for conflicts")
        }
        if change.stamp.wallMs > now + HLC.maxAheadMs {
            return ("stamp_ahead", "stamped \((change.stamp.wallMs - now) / 1000) s ahead of the server's clock")
        }
        guard device.role == .advisor || device.role == .hq else {
            return ("out_of_scope", "an admin device holds no activities to relay")
        }
        switch change.collection {
        case ActivityFields.collection:
            if let error = ActivityFields.validate(change) { return ("invalid_value", error.message) }
            if let message = observedRefusal(change, state: state) { return ("invalid_value", message) }
            guard device.role == .advisor else { return nil }
            let post = try postAsOf(change, state: state, batch: batchPosts[change.recordId] ?? [], lookups: lookups)
            return post == nil || post == device.post ? nil
                : ("out_of_scope", "activity \(change.recordId.prefix(8)) belongs to post \(post ?? ""); this device may not relay it")
        case ConflictRecord.collection:
            // A conflict the hub raised, or its settlement: taken if its body is a conflict with
            // this id, about an activity the device may see.
            let body: String? = if change.field == ConflictRecord.bodyField, case .set(.string(let text)) = change.op { text }
                else { state.registers[ConflictRecord.bodyField]?.value.stringValue }
            guard let body, let conflict = try? JSONDecoder().decode(Conflict.self, from: Data(body.utf8)), conflict.id == change.recordId,
                change.field == ConflictRecord.bodyField || change.field == ConflictRecord.resolvedField
            else { return ("invalid_value", "not a conflict record this hub can take back") }
            // A conflict's body never changes: a relay may bring back one the hub lost, never
            // replace one it holds (that would hide a side someone typed).
            if change.field == ConflictRecord.bodyField, let held = state.registers[ConflictRecord.bodyField], held.value != .string(body) {
                return ("invalid_value", "conflict \(change.recordId) is held with another body; a conflict's body never changes")
            }
            guard device.role == .advisor else { return nil }
            let post = try lookups.activityPost(conflict.recordId)
            return post == device.post ? nil : ("out_of_scope", "conflict \(change.recordId) is not about an activity of \(device.post)")
        default:
            // The partner registry is reference data: headquarters re-sends its own edits.
            return ("out_of_scope", "only activities and conflicts are relayed")
        }
    }

    /// Most additions of one element a removal may observe, and most tags one element may hold.
    public static let maxObserved = 1_000
    /// Most of them the hub may not hold (additions it lost in a restore, not yet sent again).
    public static let maxObservedUnknown = 64
    /// Most tags one record may hold in all its set fields: a bound per element alone let one
    /// device put 192,000 made-up tags on one activity through 3,000 invented elements.
    public static let maxTagsPerRecord = 2_000

    /// Why an addition or removal of a set element may not be taken, or nil. Every tag an
    /// element holds is a row every device of the post receives and merges; unbounded, one push
    /// of a few hundred kilobytes of made-up tags had made each of them spin for hours. A removal
    /// observes the additions its device had received, which the hub holds (or lost in a
    /// restore); an element is added and removed a few times in its life, not a thousand.
    static func observedRefusal(_ change: Change, state: RecordState) -> String? {
        let element: String, observed: [HLC]
        switch change.op {
        case .set: return nil
        case .add(let e): (element, observed) = (e, [])
        case .remove(let e, let o): (element, observed) = (e, o)
        }
        if observed.count > maxObserved {
            return "a removal observes at most \(maxObserved) additions of an element; this one names \(observed.count)"
        }
        let held = Set((state.tags[change.field]?[element] ?? []).map(\.tag))
        let unknown = Set(observed).subtracting(held).count
        if unknown > maxObservedUnknown {
            return "this removal of '\(element)' names \(unknown) additions the server never received (at most \(maxObservedUnknown)); "
                + "a removal names only the additions the device has — sync, then remove it again"
        }
        let added = if case .add = change.op, !held.contains(change.stamp) { 1 } else { 0 }
        if held.count + unknown + added > maxObserved {
            return "'\(element)' has been added and removed \(held.count) times on this activity, the most one element may be; "
                + "leave it as it is"
        }
        let total = state.tags.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } }
        if total + unknown + added > maxTagsPerRecord {
            return "this activity's partners, goals and countries have been added and removed \(total) times, the most one activity may hold; "
                + "leave them as they are"
        }
        return nil
    }

    /// The post an activity had when `change` was written — the scope it is judged in. An
    /// edit stamped before headquarters moved the activity was made while it was its author's
    /// post's, and is applied like any concurrent write (a hub restored from a backup may get
    /// the move before the edits it followed). It is the latest post written at or before the
    /// change's stamp, else the first post the activity was given (a creation stamps some
    /// fields before its post), else nil (no post yet).
    public static func postAsOf(_ change: Change, state: RecordState, batch: [(stamp: HLC, post: String)], lookups: Lookups) throws -> String? {
        let current = state.registers["post"]
        if let current, current.stamp <= change.stamp { return current.value.stringValue }
        var writes = batch
        for row in try lookups.postWrites(change.recordId) {
            if let stamp = HLC(encoded: row.stamp), let text = row.newValue,
                case .string(let post)? = try? JSONDecoder().decode(FieldValue.self, from: Data(text.utf8))
            {
                writes.append((stamp, post))
            }
        }
        if let current, let post = current.value.stringValue { writes.append((current.stamp, post)) }
        let before = writes.filter { $0.stamp <= change.stamp }.max { $0.stamp < $1.stamp }
        return (before ?? writes.min { $0.stamp < $1.stamp })?.post
    }
}
