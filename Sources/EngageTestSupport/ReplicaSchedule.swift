import EngageCore

/// Random batches of replicated changes over a few records of a test collection: sets of a
/// string and an integer field, adds and removes of set elements (removes observing some of the
/// adds made so far), from three nodes with colliding stamps, with earlier changes sent again
/// (a retried page) — the same batches for the same seed.
public enum ReplicaSchedule {
    public static func batches(seed: UInt64) -> [[Change]] {
        var rng = SeededRandom(seed: seed)
        let nodes = ["a", "b", "c"].map { NodeID($0)! }
        var made: [Change] = []
        var batches: [[Change]] = []
        for _ in 0..<(5 + Int(rng.next() % 10)) {
            var batch: [Change] = []
            for _ in 0..<(1 + Int(rng.next() % 30)) {
                if !made.isEmpty, rng.next() % 5 == 0 {
                    batch.append(made[Int(rng.next() % UInt64(made.count))])
                    continue
                }
                let stamp = HLC(wallMs: 1_000 + Int64(rng.next() % 50), counter: UInt16(rng.next() % 3), node: nodes[Int(rng.next() % 3)])
                let record = "r\(rng.next() % 4)"
                let op: Change.Op
                let field: String
                switch rng.next() % 4 {
                case 0: (field, op) = ("title", .set(.string("t\(rng.next() % 5) \"quoted\" é")))
                case 1: (field, op) = ("participants", rng.next() % 4 == 0 ? .set(.null) : .set(.int(Int64(rng.next() % 9))))
                case 2: (field, op) = ("partners", .add("P\(rng.next() % 3)"))
                default:
                    let element = "P\(rng.next() % 3)"
                    let seen = made.filter { $0.recordId == record && $0.field == "partners" && $0.target.element == element }.map(\.stamp)
                    (field, op) = ("partners", .remove(element, observed: Array(seen.prefix(Int(rng.next() % 3)))))
                }
                let change = Change(collection: "tests", recordId: record, field: field, op: op, stamp: stamp)
                made.append(change)
                batch.append(change)
            }
            batches.append(batch)
        }
        return batches
    }
}
