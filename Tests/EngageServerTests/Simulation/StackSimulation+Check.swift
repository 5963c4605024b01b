import EngageCore
import EngageHubSQLite
import EngageModel
import EngageStorage
import EngageStore
import Foundation

extension StackSimulation {
    /// The properties that must hold after quiescence.
    func check() async throws -> [String] {
        var failures = violations + (try await checkAdversary())
        let hubRecords = try await hub.replicatedRecords()
        let conflicts = hubRecords.filter { $0.key.hasPrefix(ConflictRecord.collection + "/") }.compactMap { _, s -> Conflict? in
            guard let body = s.registers[ConflictRecord.bodyField]?.value.stringValue else { return nil }
            return try? JSONDecoder().decode(Conflict.self, from: Data(body.utf8))
        }
        // The hub's histories and posts of every activity the checks ask about, read first.
        var ids = Set(
            hubRecords.keys.filter { $0.hasPrefix(ActivityFields.collection + "/") }.map {
                String($0.dropFirst(ActivityFields.collection.count + 1))
            })
        ids.formUnion(conflicts.map(\.recordId))
        ids.formUnion(devices.flatMap { $0.typed.values.map(\.recordId) })
        ids.formUnion(network.acknowledged.map(\.change.recordId))
        var histories: [String: [ChangeLogEntry]] = [:]
        var posts: [String: String] = [:]
        for id in ids {
            histories[id] = try await hub.history(activityId: id)
            posts[id] = try await hub.post(ofActivity: id)
        }
        func history(_ id: String) throws -> [Change] { (histories[id] ?? []).map(\.change) }
        func post(_ key: String) throws -> String? {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            switch parts[0] {
            case ActivityFields.collection: return posts[parts[1]]
            case ConflictRecord.collection:
                guard let c = conflicts.first(where: { $0.id == parts[1] }) else { return nil }
                return posts[c.recordId]
            default: return "*"
            }
        }
        // No stamp at the hub lies beyond the bound ahead of its clock: a wrong clock froze nothing.
        for (key, state) in hubRecords {
            let stamps = state.registers.values.map(\.stamp) + state.tags.values.flatMap { $0.values.flatMap { $0.map(\.tag) } }
            if let far = stamps.first(where: { $0.wallMs > max(hubClock.now(), hubClockHigh) + HLC.maxAheadMs }) {
                failures.append("the hub holds \(key) stamped \(far), beyond its clock")
            }
        }
        for (i, device) in devices.enumerated() {
            let store = device.store
            // Nothing waits to be sent.
            let pending = try store.pendingChanges()
            if !pending.isEmpty { failures.append("device \(i) still has \(pending.count) changes to send") }
            // The device holds exactly what the hub holds of what it may see.
            let mine = try store.replicatedRecords()
            for (key, state) in hubRecords {
                guard let owner = try post(key) else { continue }  // not visible to advisors yet
                let visible = device.role == .hq || owner == "*" || owner == device.post
                guard visible else { continue }
                var held = mine[key].map(Self.normalized)
                let hqKeptMore = device.role == .hq && network.restores > 0 && held != Self.normalized(state)
                if hqKeptMore, let shown = held {
                    // A value only headquarters still held when the hub went back is not taken from
                    // it: headquarters relays only its own writes (docs/security.md), so it keeps
                    // another author's value the restored hub lacks (docs/replication.md).
                    let hub = Self.normalized(state)
                    held = shown.filter { hub[$0.key] != nil || !$0.value.contains("@") || self.isHQ($0.value) }
                }
                if held != Self.normalized(state) {
                    failures.append("device \(i) (\(device.post)) differs from the hub on \(key)")
                    if ProcessInfo.processInfo.environment["ENGAGE_SEED"] != nil {
                        let a = mine[key].map(Self.normalized) ?? [:]
                        let b = Self.normalized(state)
                        for k in Set(a.keys).union(b.keys).sorted() where a[k] != b[k] {
                            failures.append("   \(k): device \(a[k] ?? "-") hub \(b[k] ?? "-")")
                        }
                    }
                }
                if key.hasPrefix(ActivityFields.collection + "/"), !hqKeptMore {
                    let id = String(key.dropFirst(ActivityFields.collection.count + 1))
                    let expected = try? ActivityFields.activity(id: id, scalars: state.scalarValues, sets: state.setValues)
                    let shown = try? store.activity(UUID(uuidString: id)!)
                    if expected != shown { failures.append("device \(i) shows activity \(id.prefix(8)) other than its state") }
                }
            }
            // A refused value is not in force on the device that typed it.
            for r in try store.rejectedChanges() where r.code != "body_too_large" {
                let key = r.change.collection + "/" + r.change.recordId
                // (By stamp and value: a copy's refused value may share its stamp with the original's accepted one.)
                if case .set(let refused) = r.change.op, let held = mine[key]?.registers[r.change.field],
                    held.stamp == r.change.stamp, held.value == refused
                {
                    failures.append(
                        "device \(i) still shows the refused \(r.change.field) of \(r.change.recordId.prefix(8)) [\(r.code)]")
                }
            }
            // Everything the person typed reached the hub, was refused with a reason, or lost a conflict.
            let refused = try store.rejectedChanges().map(\.change)
            for (_, typed) in device.typed where typed.collection == ActivityFields.collection {
                let found =
                    try history(typed.recordId).contains { Self.same($0, typed) }
                    || supersededBeforeARestore(typed, log: try history(typed.recordId))
                    || refused.contains { Self.same($0, typed) }
                    || conflicts.contains { c in
                        guard c.recordId == typed.recordId, c.field == typed.field, case .set(let v) = typed.op else {
                            return false
                        }
                        return c.current.value == v || c.other.value == v
                    }
                if !found {
                    failures.append("device \(i): typed \(typed.field) of \(typed.recordId.prefix(8)) (\(typed.op)) was lost")
                    if ProcessInfo.processInfo.environment["ENGAGE_SEED"] != nil {
                        failures.append(
                            "   typed at \(typed.stamp); hub log: \(try history(typed.recordId).filter { $0.field == typed.field }.map { "\($0.stamp) \($0.op)" }); device: \(mine["activities/" + typed.recordId].map { Self.normalized($0).filter { $0.key.contains(typed.field) } } ?? [:]); hub post \(posts[typed.recordId] ?? "-")"
                        )
                    }
                }
            }
        }
        // Every change the hub acknowledged to a device is in its log (or its author wrote the field since).
        // (The adversary holds no database: what a restore took from it is its loss, not a device's.)
        for (device, change, restores) in network.acknowledged
        where change.collection == ActivityFields.collection && device != "adversary" {
            let log = try history(change.recordId)
            if log.contains(where: { $0.stamp == change.stamp && $0.field == change.field }) { continue }
            // Sent again under a new stamp (a copy that took a new identity): the same value is there.
            if log.contains(where: { Self.same($0, change) }) { continue }
            let writer = author(change.stamp.node.rawValue)
            if log.contains(where: {
                $0.target == change.target && author($0.stamp.node.rawValue) == writer && $0.stamp > change.stamp
            }) {
                continue  // its author wrote the field again since
            }
            if restores < network.restores, let sender = devices.first(where: { $0.name == device }),
                try sender.store.rejectedChanges().contains(where: {
                    $0.change.target == change.target && author($0.change.stamp.node.rawValue) == writer
                        && $0.change.stamp > change.stamp
                })
            {
                // Its author wrote the field again since, and a hub restored from a backup refused
                // that later value with a reason (the activity had moved): the author's last word is
                // kept, refused, on its device (docs/replication.md, "Generations").
                continue
            }
            if restores < network.restores, log.contains(where: { $0.target == change.target && $0.stamp > change.stamp }) {
                continue  // superseded, and the hub's history of it went with a restore: no device holds it either
            }
            if restores < network.restores, let sender = devices.first(where: { $0.name == device }),
                try sender.store.rejectedChanges().contains(where: {
                    $0.change.stamp == change.stamp && Self.same($0.change, change)
                })
            {
                // Sent again to a hub restored from a backup, which knew of a move first and refused
                // it with a reason: kept, with the reason, on the device that typed it.
                continue
            }
            if ProcessInfo.processInfo.environment["ENGAGE_SEED"] != nil, let dev = devices.first(where: { $0.name == device }) {
                let mine = try dev.store.replicatedRecords()["activities/" + change.recordId]
                failures.append(
                    "  device holds \(change.field): \(mine?.registers[change.field].map { "\($0.value)@\($0.stamp)" } ?? "nothing"); node now \(try dev.store.nodeID())"
                )
            }
            failures.append(
                "\(device): acknowledged \(change.field) of \(change.recordId.prefix(8)) at \(change.stamp) is not at the hub"
                    + (ProcessInfo.processInfo.environment["ENGAGE_SEED"] != nil
                        ? " log: \(log.filter { $0.field == change.field }.map(\.stamp))" : ""))
        }
        return failures
    }

    /// A value the hub acknowledged, later superseded, whose history went with a restore: no
    /// device holds it any more, so it is lost with the hub's history — the documented limit of
    /// restoring a backup (docs/replication.md, "Generations").
    func supersededBeforeARestore(_ change: Change, log: [Change]) -> Bool {
        network.acknowledged.contains { _, acked, restores in
            restores < network.restores && acked.stamp == change.stamp && Self.same(acked, change)
        } && log.contains { $0.target == change.target && $0.stamp > change.stamp }
    }

    /// Whether a normalized register entry ("value@stamp") was written by a headquarters node.
    func isHQ(_ entry: String) -> Bool {
        guard let stamp = entry.split(separator: "@").last.flatMap({ HLC(encoded: String($0)) }) else { return false }
        let hqNodes = devices.filter { $0.role == .hq }.compactMap { try? $0.store.nodeID().rawValue }
        return hqNodes.contains(author(stamp.node.rawValue)) || hqNodes.contains(stamp.node.rawValue)
    }

    /// Registers compared by value and stamp; tags as sets.
    static func normalized(_ s: RecordState) -> [String: String] {
        var out: [String: String] = [:]
        for (f, r) in s.registers { out["r:" + f] = r.value.jsonText + "@" + r.stamp.encoded }
        for (f, elements) in s.tags {
            for (e, tags) in elements {
                out["t:\(f):\(e)"] = tags.map { $0.tag.encoded + "/" + ($0.removed?.encoded ?? "-") }.sorted().joined(
                    separator: ",")
            }
        }
        return out
    }

    /// The same write, whatever its stamp (a copy or a re-stamp changes stamps, not values).
    static func same(_ a: Change, _ b: Change) -> Bool {
        guard a.recordId == b.recordId, a.field == b.field else { return false }
        switch (a.op, b.op) {
        case (.set(let x), .set(let y)): return x == y
        case (.add(let x), .add(let y)): return x == y
        case (.remove(let x, _), .remove(let y, _)): return x == y
        default: return false
        }
    }
}
