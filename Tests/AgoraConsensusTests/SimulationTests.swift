import AgoraCore
import Testing
@testable import AgoraConsensus

@Suite("Consensus simulation")
struct SimulationTests {
    @Test("a seed replays exactly")
    func deterministic() {
        let config = SimulationConfig(validators: 4, byzantine: 1, seed: 12, steps: 2)
        let a = ConsensusSimulation.run(config)
        let b = ConsensusSimulation.run(config)
        #expect(a == b)
        #expect(a.events > 0)
    }

    @Test("smoke: a few seeds")
    func smoke() {
        for (n, f) in [(4, 0), (4, 1), (7, 2)] {
            let summary = ConsensusSimulation.run(validators: n, byzantine: f, firstSeed: 0, count: 20, steps: 2)
            for failure in summary.failures { Issue.record("\(failure.violations) \(failure.reproduction)") }
        }
    }
}
