import EngageCore
import EngageModel
import EngageReplica
import EngageStorage
import Foundation
import GRDB

extension HubStore {
    /// Loads partners into the registry as reference data, stamped by the hub, so they reach
    /// every device through pulls. Unchanged partners write nothing. Returns how many changed.
    @discardableResult
    public func importPartners(_ partners: [Partner]) throws(StoreError) -> Int {
        let now = physicalMs()
        return try write { db in
            var context = try ReplicaContext.load(db)
            var writer = try ReplicaWriter(db: db, seq: context.seq)
            var changed = 0
            for partner in partners {
                let key = ReplicaWriter.RecordKey(collection: PartnerFields.collection, recordId: partner.code)
                let state = try writer.state(key)
                var touched = false
                for (field, value) in PartnerFields.scalarValues(partner).sorted(by: { $0.key < $1.key })
                where (state.registers[field]?.value ?? PartnerFields.defaults[field]) != value {
                    try writer.apply(Change(collection: PartnerFields.collection, recordId: partner.code, field: field,
                                            op: .set(value), stamp: context.clock.tick(physicalMs: now), base: state.registers[field]?.stamp))
                    touched = true
                }
                if touched { changed += 1 }
            }
            try writer.project()
            context.seq = writer.seq
            try context.save(db)
            return changed
        }
    }

    public func partnerCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM partner") ?? 0 }
    }
}

extension HubStore {
    /// Loads activities as the hub's own writes (an administrator's bulk load, e.g. the samples
    /// or a migration): new ids are created, existing ones left as they are. All are validated
    /// before any is written. Returns (created, existing).
    public func importActivities(_ activities: [Activity]) throws(StoreError) -> (created: Int, existing: Int) {
        try ActivityFile.checkImportable(activities)
        let now = physicalMs()
        let result: (created: Int, existing: Int) = try write { db in
            var context = try ReplicaContext.load(db)
            var writer = try ReplicaWriter(db: db, seq: context.seq)
            var created = 0
            for activity in activities {
                let key = ReplicaWriter.RecordKey(collection: ActivityFields.collection, recordId: activity.id.uuidString.lowercased())
                guard try writer.state(key).registers.isEmpty else { continue }
                let changes = LocalEdit.changes(from: RecordState(), to: activity, clock: &context.clock, physicalMs: now, seen: context.seq)
                for change in changes { try writer.apply(change) }
                created += 1
            }
            try writer.project()
            context.seq = writer.seq
            try context.save(db)
            return (created, activities.count - created)
        }
        if result.created > 0 { try refreshStatistics() }
        return result
    }
}
