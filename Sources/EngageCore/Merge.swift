/// The state of one scalar field on a replica: a last-writer-wins register.
public struct Register: Hashable, Sendable {
    public var value: FieldValue
    public var stamp: HLC
    /// The replica's own sequence number of the write that set it (the hub's is the sync cursor).
    public var seq: Int64

    public init(value: FieldValue, stamp: HLC, seq: Int64 = 0) {
        self.value = value
        self.stamp = stamp
        self.seq = seq
    }
}

/// One add-tag of one element of a set field (observed-remove set, add-wins).
/// The element is present while any of its tags is not removed.
public struct ElementTag: Hashable, Sendable {
    public var tag: HLC
    /// The stamp of the removal that observed this tag, if any.
    public var removed: HLC?

    public init(tag: HLC, removed: HLC? = nil) {
        self.tag = tag
        self.removed = removed
    }
}

/// The merge rules: pure functions from the current state and an incoming change to the new state.
/// Every rule is commutative, associative and idempotent, so replicas that receive the same
/// changes in any order, any number of times, hold the same state.
public enum Merge {
    /// Last writer wins: the incoming write replaces the register only if its stamp is greater.
    ///
    /// Two different values under one stamp happen only when two databases share an identity
    /// (a copied tablet writing at the same instant as its original); the greater value, by its
    /// JSON text, wins on every replica so they still converge, and the hub records the other
    /// as a side of a conflict (`HubRules.conflicts`).
    public static func register(_ current: Register?, _ value: FieldValue, stamp: HLC) -> Register? {
        guard let current else { return Register(value: value, stamp: stamp) }
        return wins(value, stamp, over: current) ? Register(value: value, stamp: stamp) : nil
    }

    /// Whether `value` written at `stamp` replaces `current`: a greater stamp, or the same stamp
    /// with a greater value.
    public static func wins(_ value: FieldValue, _ stamp: HLC, over current: Register) -> Bool {
        if stamp != current.stamp { return stamp > current.stamp }
        return value != current.value && value.jsonText > current.value.jsonText
    }

    /// The tags of one element after `op`; nil when nothing changes.
    ///
    /// An add inserts its own tag. A remove marks the tags it observed — inserting them already
    /// removed when the add has not arrived yet — so an add the remover had not seen survives.
    public static func element(_ tags: [ElementTag], _ op: Change.Op, stamp: HLC) -> [ElementTag]? {
        switch op {
        case .set:
            return nil
        case .add:
            if tags.contains(where: { $0.tag == stamp }) { return nil }
            return tags + [ElementTag(tag: stamp)]
        case .remove(_, let observed):
            var result = tags
            var changed = false
            var position: [HLC: Int] = [:]  // by tag: linear in the tags held and observed
            for (i, t) in result.enumerated() { position[t.tag] = i }
            for tag in Set(observed) {
                if let i = position[tag] {
                    let merged = max(result[i].removed ?? stamp, stamp)
                    if result[i].removed != merged {
                        result[i].removed = merged
                        changed = true
                    }
                } else {
                    result.append(ElementTag(tag: tag, removed: stamp))
                    changed = true
                }
            }
            return changed ? result : nil
        }
    }

    public static func isPresent(_ tags: [ElementTag]) -> Bool { tags.contains { $0.removed == nil } }

    /// The tags a remover observes: the live ones.
    public static func liveTags(_ tags: [ElementTag]) -> [HLC] { tags.filter { $0.removed == nil }.map(\.tag).sorted() }
}
