import EngageCore
import EngageTestSupport
import Foundation
import Testing

/// Property: after any schedule of offline edits and lossy, duplicated, reordered syncs, every
/// replica holds the hub's state and no value anyone synced is lost.
/// Set ENGAGE_SEED=N to replay one schedule; ENGAGE_SCHEDULES=N to run more.
@Suite struct ConvergenceTests {
    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let seed = env["ENGAGE_SEED"].flatMap(UInt64.init) { return [seed] }
        let count = env["ENGAGE_SCHEDULES"].flatMap(Int.init) ?? 2_000
        return (0..<UInt64(count)).map { $0 &* 0x9E37_79B9 &+ 17 }
    }

    @Test func randomSchedulesConverge() {
        var failed = 0
        for seed in Self.seeds {
            let failures = Simulation.run(seed: seed)
            if !failures.isEmpty {
                failed += 1
                Issue.record("seed \(seed) (replay: ENGAGE_SEED=\(seed) swift test --filter ConvergenceTests): \(failures.prefix(3).joined(separator: "; "))")
                if failed >= 5 { break }
            }
        }
    }

    @Test func schedulesExerciseConflictsAndRetries() {
        // The property above would be empty if schedules never made concurrent edits.
        var conflicts = 0, operations = 0
        for seed in Self.seeds.prefix(200) {
            var sim = Simulation(seed: seed)
            sim.runSteps(60)
            conflicts += sim.hub.conflictsRaised
            operations += sim.operations
        }
        #expect(conflicts > 20)
        #expect(operations > 2_000)
    }
}
