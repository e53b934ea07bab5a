import AgoraCore
import AgoraSimulation
import Testing

/// Issue 13's scenario: every validator is offered 1.5 times the transactions its cores can
/// admit, and consensus competes with them for those cores.
@Suite("Consensus under a transaction flood", .serialized)
struct FloodSimulationTests {
    /// Four validators, 20 heights, each allowed one round's worth of time (the simulator's
    /// timeouts sum to 800 ms in round 0) on top of two seconds to start.
    static func config(_ dispatch: InboundLoad.Dispatch, seed: UInt64) -> SimulationConfig {
        var config = SimulationConfig(validators: 4, byzantine: 0, seed: seed, steps: 20)
        config.load = InboundLoad(dispatch: dispatch)
        config.livenessPerHeight = 1_000
        config.livenessSlack = 2_000
        return config
    }

    @Test("served consensus first, heights advance in their first round while the flood is refused at the queue", arguments: [UInt64(1), 2, 3])
    func consensusFirstKeepsHeights(seed: UInt64) async {
        let report = await offPool { ConsensusSimulation.run(Self.config(.consensusFirst, seed: seed)) }
        #expect(InboundLoad(dispatch: .consensusFirst).offeredCores > 2, "the flood exceeds the two cores")
        #expect(report.passed, "\(report.violations.map(\.description))")
        #expect(report.heightsCommitted >= 20)
        #expect(report.roundsPerHeight.values.allSatisfy { $0 == 0 }, "every height in round 0: \(report.roundsPerHeight)")
        #expect(report.consensusDropped == 0)
        #expect(report.transactionsDropped > 0, "the flood is more than the node admits")
        // A piece of admission costs 6.4 ms (64 transactions); a vote only ever waited for the
        // few consensus messages that arrived with it, never for a piece of admission.
        #expect(report.maxConsensusWait < 6, "a vote waited \(report.maxConsensusWait) ms")
        print("consensus first under the flood (seed \(seed)): \(report.heightsCommitted) heights by t=\(report.virtualTime) ms, "
              + "longest vote wait \(report.maxConsensusWait) ms, \(report.transactionsDropped) transactions refused at the queue")
    }

    @Test("served in arrival order (the dispatch before), the same flood stalls the chain: votes wait behind batches past every timeout")
    func arrivalOrderStalls() async {
        let report = await offPool { ConsensusSimulation.run(Self.config(.arrivalOrder, seed: 1)) }
        #expect(!report.passed)
        #expect(report.violations.contains { if case .liveness = $0 { return true } else { return false } })
        #expect(report.heightsCommitted < 20)
        #expect(report.maxConsensusWait > 800, "votes waited longer than a round's timeouts: \(report.maxConsensusWait) ms")
        print("arrival order under the flood: \(report.heightsCommitted) heights, longest vote wait \(report.maxConsensusWait) ms, "
              + "\(report.consensusDropped) consensus messages dropped")
    }

    @Test("a flooded run replays exactly from its seed")
    func deterministic() async {
        let (a, b) = await offPool { (ConsensusSimulation.run(Self.config(.consensusFirst, seed: 9)), ConsensusSimulation.run(Self.config(.consensusFirst, seed: 9))) }
        #expect(a == b)
    }
}
