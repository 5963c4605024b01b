import EngageCore
import EngageTestSupport
import Testing

@Suite struct HLCTests {
    let a = NodeID("device-a")!, b = NodeID("device-b")!

    @Test func encodingSortsAsReadingsCompare() {
        var rng = SeededRandom(seed: 7)
        let nodes = [a, b, NodeID("hub")!]
        let readings = (0..<500).map { _ in
            HLC(wallMs: Int64.random(in: 0...3, using: &rng) + 1_700_000_000_000, counter: UInt16.random(in: 0...2, using: &rng),
                node: nodes.randomElement(using: &rng)!)
        }
        for x in readings.prefix(100) {
            for y in readings {
                #expect((x < y) == (x.encoded < y.encoded), "\(x) vs \(y)")
            }
            #expect(HLC(encoded: x.encoded) == x)
        }
    }

    @Test func malformedEncodingIsRejected() {
        #expect(HLC(encoded: "") == nil)
        #expect(HLC(encoded: "zz0000000000000-a") == nil)
        #expect(HLC(encoded: "0192f3a4b5c60000-UPPER") == nil)
    }

    @Test func tickIsMonotonicWhenThePhysicalClockGoesBack() {
        var clock = HybridClock(node: a)
        let first = clock.tick(physicalMs: 1_000)
        let second = clock.tick(physicalMs: 500)  // the device clock was set back
        let third = clock.tick(physicalMs: 500)
        #expect(first < second && second < third)
        #expect(second.wallMs == 1_000 && second.counter == 1)
    }

    @Test func observeFollowsTheReceiveRule() {
        var clock = HybridClock(node: a)
        _ = clock.tick(physicalMs: 1_000)
        let remote = HLC(wallMs: 5_000, counter: 3, node: b)
        clock.observe(remote, physicalMs: 2_000)
        #expect(clock.last == HLC(wallMs: 5_000, counter: 4, node: a))
        #expect(clock.tick(physicalMs: 2_000) > remote)
        clock.observe(HLC(wallMs: 1, counter: 0, node: b), physicalMs: 9_000)
        #expect(clock.last == HLC(wallMs: 9_000, counter: 0, node: a))
    }

    @Test func serverTimeCorrectsAFastDeviceClock() {
        let threeDays: Int64 = 3 * 86_400_000
        var clock = HybridClock(node: a)
        clock.learnServerTime(serverMs: 10_000, sentMs: 10_000 + threeDays, receivedMs: 10_200 + threeDays)
        #expect(clock.offsetMs == -threeDays - 100)
        let stamp = clock.tick(physicalMs: 20_000 + threeDays)
        #expect(abs(stamp.wallMs - 20_000) <= 100)
    }

    @Test func counterOverflowAdvancesTheWallClock() {
        var clock = HybridClock(node: a, last: HLC(wallMs: 10, counter: .max, node: a))
        #expect(clock.tick(physicalMs: 0) == HLC(wallMs: 11, counter: 0, node: a))
    }

    @Test func equalReadingsAreOrderedByNode() {
        #expect(HLC(wallMs: 1, counter: 0, node: a) < HLC(wallMs: 1, counter: 0, node: b))
    }
}
