import EngageClient
import EngageCore
import EngageModel
import EngageProtocol
import EngageServer
import EngageStorage
import EngageStore
import EngageTestSupport
import Foundation

/// An enrolled advisor turned attacker inside the random schedules (issue 22): an advisor of a
/// post of its own (`EVIL`) that, at random steps, pushes forged changes — back-dated and
/// far-future stamps, other nodes' stamps, `post` writes, relays, conflict bodies, unknown and
/// huge fields, ids of other posts' records, identity splits, replays of other devices'
/// batches — and reads what it may not. After quiescence: no record outside its post changed
/// because of it, no answer to it carried a value of a record it may not read, and the honest
/// devices' checks hold as without it.
struct Adversary {
    static let post = "EVIL"
    var client: SyncClient
    var nodes: [String]
    var deviceIds: [String]
    /// Its own activities: the only records whose values it may be told.
    var own: Set<String> = []
    var stamps: [HLC] = []
    var leaks: [String] = []
    var attacks = 0
}

extension StackSimulation {
    func enrollAdversary() async throws {
        let code = try await Administration.createEnrolment(
            store: hub, name: "adversary", post: Adversary.post, role: .advisor,
            environment: ServerEnvironment(now: hubClock.now, draw: ServerEnvironment.systemDraw)
        ).code
        let client = SyncClient(transport: transport("adversary"), token: nil, now: hubClock.now)
        let node = "evil-\(seed % 10_000)"
        var answer: EnrollResponse?
        for _ in 0..<5 where answer == nil { answer = try? await client.enroll(code: code, nodeId: node).0 }
        guard let answer else { return }  // the faulty network lost every try: a schedule without one
        adversary = Adversary(client: client.with(token: answer.token), nodes: [node], deviceIds: [answer.deviceId])
    }

    /// One attack, drawn from the schedule.
    func adversaryStep() async throws {
        guard var evil = adversary else { return }
        defer { adversary = evil }
        evil.attacks += 1
        let records = try await hub.replicatedRecords()
        let honest = records.keys.filter { $0.hasPrefix(ActivityFields.collection + "/") }
            .map { String($0.dropFirst(ActivityFields.collection.count + 1)) }.filter { !evil.own.contains($0) }.sorted()
        let conflicts = records.keys.filter { $0.hasPrefix(ConflictRecord.collection + "/") }.map {
            String($0.dropFirst(ConflictRecord.collection.count + 1))
        }.sorted()
        let otherNodes = devices.compactMap { try? $0.store.nodeID().rawValue }
        func stamp() -> HLC {
            let nodes = [evil.nodes.last!, evil.nodes.last!] + otherNodes + ["hub", "made-up-node"]
            let node = NodeID(pick(nodes)) ?? HubRules.node
            let wall = pick([1_000, nowMs - 365 * 86_400_000, nowMs, nowMs + 365 * 86_400_000, nowMs + 1])
            return HLC(wallMs: wall, counter: UInt16.random(in: 0...50, using: &rng), node: node)
        }
        var batch: [Change] = []
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            // Its own activity, honestly: a scope of its own to hide forgeries in.
            var a = newActivity(post: Adversary.post)
            a.notes = "evil"
            var clock = HybridClock(node: NodeID(evil.nodes.last!)!, last: evil.stamps.max())
            batch = LocalEdit.changes(from: RecordState(), to: a, clock: &clock, physicalMs: nowMs, seen: 0)
            evil.own.insert(a.id.uuidString.lowercased())
        case 1:
            // Replays of other devices' acknowledged changes, as its own or as relays.
            batch = Array(network.acknowledged.map(\.change).shuffled(using: &rng).prefix(5))
        case 2:
            // A conflict body naming whoever it likes.
            guard let id = honest.randomElement(using: &rng) else { return }
            let body =
                #"{"id":"c-\#(id)","recordId":"\#(id)","field":"notes","current":{"value":"x","stamp":"\#(stamp().encoded)","by":"HQ Director (verified)"},"other":{"value":"y","stamp":"\#(stamp().encoded)","by":"HQ"}}"#
            batch = [
                Change(
                    collection: ConflictRecord.collection, recordId: "c-\(id)", field: ConflictRecord.bodyField,
                    op: .set(.string(body)), stamp: stamp())
            ]
        case 3:
            // Settling conflicts it does not own.
            batch = conflicts.shuffled(using: &rng).prefix(3).map {
                Change(
                    collection: ConflictRecord.collection, recordId: $0, field: ConflictRecord.resolvedField,
                    op: .set(.bool(true)), stamp: stamp())
            }
        case 4:
            // A new identity on demand, or after a conflict it provoked itself.
            if rng.chance(0.5), let own = evil.own.first, let low = evil.stamps.min() {
                let stale = Change(
                    collection: ActivityFields.collection, recordId: own, field: "title", op: .set(.string("again")),
                    stamp: HLC(wallMs: low.wallMs, counter: low.counter, node: low.node))
                _ = try? await evil.client.push([stale])
            }
            let node = "evil-\(evil.nodes.count)-\(seed % 10_000)"
            if let (answer, _) = try? await evil.client.newIdentity(nodeId: node) {
                evil.nodes.append(node)
                evil.deviceIds.append(answer.deviceId)
                evil.client = evil.client.with(token: answer.token)
                note("adversary took a new identity \(node)")
            }
            return
        case 5:
            // Reads of what is not its own: history and a pull from the start.
            if let id = honest.randomElement(using: &rng), let history = try? await evil.client.history(activityId: id) {
                evil.leaks.append("history of \(id.prefix(8)) answered with \(history.entries.count) entries")
            }
            if let (page, _) = try? await evil.client.pull(after: 0, limit: 500) {
                for c in page.changes where c.collection != PartnerFields.collection && !evil.own.contains(c.recordId) {
                    // A conflict about one of its own activities is its to read.
                    if c.collection == ConflictRecord.collection, case .set(.string(let body)) = c.op,
                        evil.own.contains(where: { body.contains($0) })
                    {
                        continue
                    }
                    if c.collection == ConflictRecord.collection, c.field != ConflictRecord.bodyField { continue }
                    evil.leaks.append("pull carried \(c.collection)/\(c.recordId.prefix(8)) \(c.field)")
                }
            }
            return
        default:
            // Forged writes on other posts' activities (and its own), of every kind.
            let targets = honest + Array(evil.own)
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                guard let id = targets.randomElement(using: &rng) else { return }
                let op: Change.Op
                let field: String
                switch Int.random(in: 0..<9, using: &rng) {
                case 0: (field, op) = ("post", .set(.string(pick([Adversary.post, "LIMA", "CUSCO"]))))
                case 1: (field, op) = ("sensitivity", .set(.string("unclassified")))
                case 2: (field, op) = ("notes", .set(.string("forged \(evil.attacks)")))
                case 3: (field, op) = ("partners", .add("EVIL-AGENCY"))
                case 4: (field, op) = ("deleted", .set(.bool(true)))
                case 5:
                    (field, op) = (
                        "zzFuture\(Int.random(in: 0..<40, using: &rng))",
                        .set(.string(String(repeating: "A", count: pick([10, 70_000]))))
                    )
                case 6: (field, op) = ("title", .set(.string("\u{1B}]0;owned\u{07}\u{202E}title\r")))
                case 7: (field, op) = ("partners", .remove("TRA", observed: [stamp()]))
                default: (field, op) = ("title", .set(.string("forged")))
                }
                batch.append(Change(collection: ActivityFields.collection, recordId: id, field: field, op: op, stamp: stamp()))
            }
        }
        guard !batch.isEmpty else { return }
        let relay = rng.chance(0.5)
        guard let (answer, _) = try? await evil.client.push(batch, relay: relay) else { return }
        let byStamp = Dictionary(batch.map { ($0.stamp, $0) }, uniquingKeysWith: { a, _ in a })
        for r in answer.rejected where r.current != nil {
            guard let c = byStamp[r.stamp], c.collection != PartnerFields.collection, !evil.own.contains(c.recordId) else {
                continue
            }
            evil.leaks.append("a refusal carried the value of \(c.collection)/\(c.recordId.prefix(8)) \(c.field)")
        }
        evil.stamps += answer.accepted.filter { evil.nodes.contains($0.node.rawValue) }
        note(
            "adversary pushed \(batch.count)\(relay ? " relayed" : ""): accepted \(answer.accepted.count) refused \(answer.rejected.map(\.code))"
        )
    }

    /// What the adversary must not have done, read from the hub after quiescence.
    func checkAdversary() async throws -> [String] {
        guard let evil = adversary else { return [] }
        var failures = evil.leaks.map { "adversary read what it may not: \($0)" }
        let records = try await hub.replicatedRecords()
        let nodes = Set(evil.nodes)
        let devicesOfIt = Set(evil.deviceIds)
        for (key, state) in records {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts[0] == ActivityFields.collection, !evil.own.contains(parts[1]) else { continue }
            let stamps =
                state.registers.values.map(\.stamp)
                + state.tags.values.flatMap { $0.values.flatMap { $0.map(\.tag) + $0.compactMap(\.removed) } }
            if stamps.contains(where: { nodes.contains($0.node.rawValue) }) {
                failures.append("adversary's stamp on \(key) outside its post")
            }
            if try await hub.history(activityId: parts[1]).contains(where: { devicesOfIt.contains($0.deviceId) }) {
                failures.append("adversary's write in the history of \(key) outside its post")
            }
        }
        return failures
    }
}
