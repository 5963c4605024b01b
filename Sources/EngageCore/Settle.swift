/// Settling a conflict: a normal edit of the field that supersedes both values, plus
/// `resolved = true` on every open conflict of that field of that record.
public enum Settle {
    /// - Parameters:
    ///   - record: the state of the record the conflict is about.
    ///   - openConflicts: the open conflicts on the same field of the same record, with the
    ///     current stamp of each one's `resolved` flag.
    public static func changes(
        collection: String, recordId: String, field: String, value: FieldValue, record: RecordState,
        openConflicts: [(id: String, resolvedStamp: HLC?)], clock: inout HybridClock, physicalMs: Int64, seen: Int64
    ) -> [Change] {
        var changes = [
            Change(collection: collection, recordId: recordId, field: field, op: .set(value),
                   stamp: clock.tick(physicalMs: physicalMs), base: record.registers[field]?.stamp, seen: seen)
        ]
        for conflict in openConflicts {
            changes.append(
                Change(collection: ConflictRecord.collection, recordId: conflict.id, field: ConflictRecord.resolvedField,
                       op: .set(.bool(true)), stamp: clock.tick(physicalMs: physicalMs), base: conflict.resolvedStamp,
                       seen: seen))
        }
        return changes
    }
}
