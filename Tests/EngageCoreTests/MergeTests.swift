import EngageCore
import EngageTestSupport
import Testing

@Suite struct MergeTests {
    let a = NodeID("device-a")!, b = NodeID("device-b")!
    func stamp(_ ms: Int64, _ node: NodeID) -> HLC { HLC(wallMs: ms, counter: 0, node: node) }

    @Test func registerKeepsTheGreaterStampInEitherOrder() {
        let x = Register(value: .string("x"), stamp: stamp(1, a)), y = Register(value: .string("y"), stamp: stamp(2, b))
        #expect(Merge.register(x, y.value, stamp: y.stamp)?.value == .string("y"))
        #expect(Merge.register(y, x.value, stamp: x.stamp) == nil)
        #expect(Merge.register(y, y.value, stamp: y.stamp) == nil)  // idempotent
        #expect(Merge.register(nil, x.value, stamp: x.stamp)?.value == .string("x"))
    }

    /// Two databases under one identity can write two values under one stamp: every replica
    /// keeps the same one whichever arrives first, and the hub keeps the other as a conflict.
    @Test func oneStampWithTwoValuesConvergesAndRaisesOneConflict() throws {
        let s = stamp(5, a)
        let x = Register(value: .string("from the copy"), stamp: s), y = Register(value: .string("from the original"), stamp: s)
        let viaX = Merge.register(x, y.value, stamp: s) ?? x, viaY = Merge.register(y, x.value, stamp: s) ?? y
        #expect(viaX == viaY)
        #expect(Merge.register(viaX, viaX.value, stamp: s) == nil)
        let change = { (r: Register) in Change(collection: "activities", recordId: "r", field: "notes", op: .set(r.value), stamp: s) }
        let one = HubRules.conflicts(for: change(y), in: .init(current: x)), other = HubRules.conflicts(for: change(x), in: .init(current: y))
        #expect(one.count == 1 && one.map(\.id) == other.map(\.id))
        #expect(one.first?.current.value == viaX.value)
        #expect(HubRules.conflicts(for: change(x), in: .init(current: x)).isEmpty)
    }

    @Test func concurrentAddsBothSurvive() {
        var tags: [ElementTag] = []
        tags = Merge.element(tags, .add("SUNAT"), stamp: stamp(1, a))!
        #expect(Merge.element(tags, .add("SUNAT"), stamp: stamp(1, a)) == nil)  // duplicate
        tags = Merge.element(tags, .add("SUNAT"), stamp: stamp(2, b))!
        #expect(Merge.isPresent(tags) && tags.count == 2)
    }

    @Test func removeOnlyRemovesWhatTheRemoverSaw() {
        let seen = stamp(1, a), unseen = stamp(2, b)
        var tags = [ElementTag(tag: seen)]
        tags = Merge.element(tags, .add("WCO"), stamp: unseen)!
        tags = Merge.element(tags, .remove("WCO", observed: [seen]), stamp: stamp(3, a))!
        #expect(Merge.isPresent(tags))  // add wins over a remove that had not seen it
        tags = Merge.element(tags, .remove("WCO", observed: [unseen]), stamp: stamp(4, a))!
        #expect(!Merge.isPresent(tags))
    }

    @Test func removeBeforeItsAddStillRemoves() {
        let add = stamp(1, a)
        var tags = Merge.element([], .remove("TRA", observed: [add]), stamp: stamp(2, b))!
        #expect(Merge.element(tags, .add("TRA"), stamp: add) == nil)  // the tag is known, already removed
        tags = Merge.element(tags, .add("TRA"), stamp: stamp(3, a))!
        #expect(Merge.isPresent(tags))
    }

    @Test func elementMergeIsCommutative() {
        var rng = SeededRandom(seed: 42)
        for _ in 0..<300 {
            let ops: [(Change.Op, HLC)] = (0..<6).map { i in
                let s = stamp(Int64(i), [a, b].randomElement(using: &rng)!)
                return rng.chance(0.5) ? (.add("X"), s) : (.remove("X", observed: [stamp(Int64.random(in: 0..<6, using: &rng), a)]), s)
            }
            func fold(_ list: [(Change.Op, HLC)]) -> Set<ElementTag> {
                Set(list.reduce([ElementTag]()) { tags, op in Merge.element(tags, op.0, stamp: op.1) ?? tags })
            }
            #expect(fold(ops) == fold(ops.shuffled(using: &rng)))
        }
    }

    @Test func coalescingKeepsTheFirstBaseAndTheLastValue() {
        let s0 = stamp(0, b), s1 = stamp(1, a), s2 = stamp(2, a)
        let first = Change(collection: "activities", recordId: "r", field: "title", op: .set(.string("one")), stamp: s1, base: s0, seen: 4)
        let add = Change(collection: "activities", recordId: "r", field: "partners", op: .add("WCO"), stamp: stamp(1, a))
        let second = Change(collection: "activities", recordId: "r", field: "title", op: .set(.string("two")), stamp: s2, base: s1, seen: 5)
        let folded = Outbox.coalesce([first, add, second])
        #expect(folded.count == 2)
        #expect(folded[0].op == .set(.string("two")) && folded[0].base == s0 && folded[0].seen == 4 && folded[0].stamp == s2)
    }
}
