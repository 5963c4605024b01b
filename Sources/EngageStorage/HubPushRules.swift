import EngageCore
import EngageModel
import Foundation

/// Which pushed changes a hub refuses, and why: the same rules for every hub store.
///
/// Every authorisation comes from the hub's own state: the record's post as the hub holds it
/// (including writes of this batch it has already authorised and applied), and the enrolment
/// of the device that sends the batch and of the node that stamped each change. Nothing a
/// device sends about itself — stamps, `post` writes, relays, claimed authors — widens what
/// it may write. A change's stamp orders it in the merge; it never decides its scope.
public enum HubPushRules {
    /// The store reads the rules need, each inside the push's transaction.
    public struct Lookups {
        /// The post of the activity a conflict (by id) is about, nil if the hub has no such conflict.
        public var conflictPost: (String) throws -> String?
        /// The post of an activity (by id), nil if the hub has no typed row for it.
        public var activityPost: (String) throws -> String?
        /// The enrolled device (revoked ones included) that writes under a node, nil for the
        /// hub's own node and for nodes the hub never enrolled.
        public var author: (NodeID) throws -> DeviceRecord?

        public init(
            conflictPost: @escaping (String) throws -> String?, activityPost: @escaping (String) throws -> String?,
            author: @escaping (NodeID) throws -> DeviceRecord?
        ) {
            self.conflictPost = conflictPost
            self.activityPost = activityPost
            self.author = author
        }
    }

    /// A refusal: a stable code and a message that says what to do.
    public typealias Refusal = (code: String, message: String)

    /// Why a change the device wrote itself may not be applied, or nil.
    /// `claimed` holds the post the batch first writes to each activity (a creation's): it may
    /// make the hub refuse a new record's other fields (created at another post), never accept one.
    public static func refusal(
        _ change: Change, device: DeviceRecord, state: RecordState, claimed: [String: String], now: Int64, lookups: Lookups
    ) throws -> Refusal? {
        if change.stamp.node.rawValue != device.nodeId {
            return ("wrong_author", "a device may push only changes stamped with its own node id (\(device.nodeId))")
        }
        if change.stamp.wallMs > now + HLC.maxAheadMs {
            return (
                "stamp_ahead",
                "stamped \((change.stamp.wallMs - now) / 1000) s ahead of the server's clock (at most \(HLC.maxAheadMs / 1000) s); "
                    + "the app stamps it again with its corrected clock and sends it again"
            )
        }
        return try authorRefusal(change, author: device, state: state, claimed: claimed, lookups: lookups)
    }

    /// Why `author` may not have written `change`, judged on the hub's current state of its record.
    static func authorRefusal(
        _ change: Change, author: DeviceRecord, state: RecordState, claimed: [String: String], lookups: Lookups
    ) throws -> Refusal? {
        switch change.collection {
        case ActivityFields.collection:
            // The change alone first (its own values: nothing of the record), then the scope, then
            // what depends on the record's state.
            if let error = ActivityFields.validate(change) { return ("invalid_value", error.message) }
            if let refusal = activityScope(change, author: author, state: state) { return refusal }
            if author.role == .advisor, state.registers["post"] == nil, claimed[change.recordId] != author.post {
                // A new activity comes with its post, the author's, in the same push: none that
                // belongs to no post (headquarters would see it nowhere, or as nobody's).
                return claimed[change.recordId] == nil
                    ? ("out_of_scope", "a new activity is sent with its post (\(author.post)); give it one and send it again")
                    : (
                        "out_of_scope",
                        "this new activity is given another post in the same push; you may create activities of \(author.post) only"
                    )
            }
            if let error = ActivityFields.unknownFieldsRefusal(change, state: state) { return ("invalid_value", error.message) }
            if let message = observedRefusal(change, state: state) { return ("invalid_value", message) }
            return nil
        case ConflictRecord.collection:
            guard author.role != .admin else { return ("out_of_scope", "an admin device may not settle conflicts") }
            let post = try lookups.conflictPost(change.recordId)
            guard let post, author.role == .hq || post == author.post else { return notFound(conflict: change.recordId, author) }
            guard change.field == ConflictRecord.resolvedField, case .set(.bool) = change.op else {
                return (
                    "invalid_value", "a device may only mark a conflict resolved (true or false); conflicts are raised by the hub"
                )
            }
            return nil
        case PartnerFields.collection:
            guard author.role == .hq else {
                return (
                    "out_of_scope",
                    "the partner registry is reference data kept by headquarters; advisors record new partners on activities"
                )
            }
            return PartnerFields.validate(change).map { ("invalid_value", $0.message) }
        default:
            return ("invalid_value", "collection '\(change.collection)' does not exist; use activities, conflicts or partners")
        }
    }

    /// The one scope rule for activities: an advisor writes the activities the hub holds as its
    /// post's (and new ones no other device has written, given its own post); headquarters
    /// moves activities between posts; an admin device writes none. The message never says
    /// which post holds another post's activity.
    static func activityScope(_ change: Change, author: DeviceRecord, state: RecordState) -> Refusal? {
        switch author.role {
        case .advisor:
            guard postHolds(state, advisor: author) else { return notFound(activity: change.recordId, author) }
            if change.field == "post" {
                // An advisor gives a new activity its post, once; only headquarters changes it
                // (a far-ahead stamp on its own post must not outlast headquarters' moves).
                guard case .set(let value) = change.op, value == .string(author.post) else {
                    return ("out_of_scope", "you may not move an activity to another post; ask headquarters")
                }
                if state.registers["post"] != nil {
                    return ("out_of_scope", "an activity's post is given when it is created; ask headquarters to move it")
                }
            }
            return nil
        case .hq:
            guard change.field == "post", case .set = change.op else {
                return (
                    "out_of_scope", "headquarters may move an activity to another post; its other fields are its post's advisors'"
                )
            }
            return nil
        case .admin:
            return ("out_of_scope", "an admin device enrols and revokes devices; it may not edit activities")
        }
    }

    /// Whether an advisor's post holds an activity at the hub: its post is the advisor's, or it
    /// has none yet and no other node has written it (a new record, until its post arrives).
    static func postHolds(_ state: RecordState, advisor: DeviceRecord) -> Bool {
        if let post = state.registers["post"]?.value.stringValue { return post == advisor.post }
        let authors = Set(state.registers.values.map(\.stamp.node.rawValue))
            .union(state.tags.values.flatMap { $0.values.flatMap { $0.map(\.tag.node.rawValue) } })
        return authors.isSubset(of: [advisor.nodeId])
    }

    /// The answer for an activity that is unknown to the hub or another post's: the same words for both.
    static func notFound(activity id: String, _ author: DeviceRecord) -> Refusal {
        (
            "out_of_scope",
            "activity \(id.prefix(8)) is not one of \(author.post)'s activities at the server; you may edit activities of \(author.post) only"
        )
    }

    static func notFound(conflict id: String, _ author: DeviceRecord) -> Refusal {
        ("not_found", "conflict \(id.prefix(36)) is not a conflict of \(author.post) at the server; sync first")
    }

    /// Why a relayed change (another node's, re-sent after the hub lost it) may not be taken.
    /// A relay carries only writes the hub can attribute: stamped by a node it enrolled, whose
    /// device may write that record under the same rules as a direct push, judged on the hub's
    /// current state. Advisors relay the writes of their own post's advisors; headquarters
    /// relays headquarters' moves. The hub's own writes (imports, conflicts it raised) are never
    /// taken from a device: conflicts are raised by the hub alone.
    public static func relayRefusal(
        _ change: Change, device: DeviceRecord, state: RecordState, claimed: [String: String], now: Int64, lookups: Lookups
    ) throws -> Refusal? {
        if change.stamp.wallMs > now + HLC.maxAheadMs {
            return ("stamp_ahead", "stamped \((change.stamp.wallMs - now) / 1000) s ahead of the server's clock")
        }
        guard device.role != .admin else { return ("out_of_scope", "an admin device holds no activities to relay") }
        // One answer for every node this device may not relay, so that the answer tells nothing
        // of which nodes are enrolled, and where.
        let notRelayable: Refusal = (
            "wrong_author",
            device.role == .hq
                ? "headquarters relays only headquarters' writes (never the hub's own)"
                : "an advisor relays only the writes of advisors of \(device.post) (never the hub's own)"
        )
        guard change.stamp.node != HubRules.node, let author = try lookups.author(change.stamp.node) else { return notRelayable }
        let relayable =
            switch (device.role, author.role) {
            case (.advisor, .advisor): author.post == device.post
            case (.hq, .hq): true
            default: false
            }
        guard relayable else { return notRelayable }
        return try authorRefusal(change, author: author, state: state, claimed: claimed, lookups: lookups)
    }

    /// Whether `device` may read the record a refusal is about, so that the refusal may carry
    /// the hub's current value: a refusal tells the caller nothing it may not read.
    public static func mayRead(_ change: Change, device: DeviceRecord, state: RecordState, lookups: Lookups) throws -> Bool {
        switch (change.collection, device.role) {
        case (_, .admin): return false
        case (PartnerFields.collection, _), (_, .hq): return true
        case (ActivityFields.collection, .advisor): return postHolds(state, advisor: device)
        case (ConflictRecord.collection, .advisor): return try lookups.conflictPost(change.recordId) == device.post
        default: return false
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
        let element: String
        let observed: [HLC]
        switch change.op {
        case .set: return nil
        case .add(let e): (element, observed) = (e, [])
        case .remove(let e, let o): (element, observed) = (e, o)
        }
        if observed.count > maxObserved {
            return "a removal observes at most \(maxObserved) additions of an element; this one names \(observed.count)"
        }
        let held = Set((state.tags[change.field]?[element] ?? []).map(\.tag))
        let unknownStamps = Set(observed).subtracting(held)
        // A device observes every addition it removes before it stamps the removal, so each
        // is earlier than the removal: a later one was made up (and would lie at the hub
        // beyond its clock, as a tag no clock may pass).
        if let later = unknownStamps.first(where: { $0 >= change.stamp }) {
            return "this removal of '\(element)' names an addition (\(later.encoded)) later than itself; "
                + "a removal names only the additions the device has — sync, then remove it again"
        }
        let unknown = unknownStamps.count
        if unknown > maxObservedUnknown {
            return
                "this removal of '\(element)' names \(unknown) additions the server never received (at most \(maxObservedUnknown)); "
                + "a removal names only the additions the device has — sync, then remove it again"
        }
        let added = if case .add = change.op, !held.contains(change.stamp) { 1 } else { 0 }
        if held.count + unknown + added > maxObserved {
            return "'\(element)' has been added and removed \(held.count) times on this activity, the most one element may be; "
                + "leave it as it is"
        }
        let total = state.tags.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } }
        if total + unknown + added > maxTagsPerRecord {
            return
                "this activity's partners, goals and countries have been added and removed \(total) times, the most one activity may hold; "
                + "leave them as they are"
        }
        return nil
    }
}
