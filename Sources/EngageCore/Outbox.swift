/// Local changes waiting to be pushed.
public enum Outbox {
    /// Folds successive writes of one scalar field into one: the latest value and stamp, the
    /// base and cursor of the first. An advisor overwriting their own unsynced text loses
    /// nothing; the hub sees one write, concurrent or not with what others did. Element
    /// changes are kept as they are. Order is preserved (by first appearance).
    public static func coalesce(_ changes: [Change]) -> [Change] {
        var result: [Change] = []
        var indexOf: [FieldKey: Int] = [:]
        result.reserveCapacity(changes.count)
        for change in changes {
            guard case .set = change.op else {
                result.append(change)
                continue
            }
            if let i = indexOf[change.target] {
                let first = result[i]
                var merged = change
                merged.base = first.base
                merged.seen = first.seen
                result[i] = merged
            } else {
                indexOf[change.target] = result.count
                result.append(change)
            }
        }
        return result
    }
}
