import AgoraLedger
import AgoraSimulation
import Testing

/// Block timestamps under skewed clocks (docs/consensus.md, "Clocks"), seeded: four validators,
/// one ten minutes fast, one ten minutes slow, two correct within 150 ms.
@Suite("Clock skew")
struct ClockSkewSimulationTests {
    static let skewed: [Int64] = [600_000, -600_000, 150, -150]

    @Test("with the measured lead, every proposal of the fast validator commits in its own round and the chain stays within a second of real time",
          arguments: [UInt64(1), 2, 3, 4, 5])
    func measuredLeadCommitsFastProposals(seed: UInt64) {
        let report = ClockSkewSimulation.run(.init(offsets: Self.skewed, lead: .measured, seed: seed))
        #expect(report.turns[0] == 50)
        #expect(report.share(0) == 1, "fast validator: \(report.committed[0]) of \(report.turns[0])")
        #expect(report.share(1) == 1, "slow validator: \(report.committed[1]) of \(report.turns[1])")
        #expect(report.roundsLost == 0)
        #expect(report.maxChainLead < 1_000, "chain ahead of real time by \(report.maxChainLead) ms")
    }

    @Test("with the old fixed 5 s lead, the chain's time climbs and the fast validator loses rounds (the rule the measured lead replaced)",
          arguments: [UInt64(1), 2, 3])
    func fixedLeadLosesFastProposals(seed: UInt64) {
        let report = ClockSkewSimulation.run(.init(offsets: Self.skewed, lead: .fixed, seed: seed))
        #expect(report.share(0) < 0.8, "fast validator: \(report.committed[0]) of \(report.turns[0])")
        #expect(report.roundsLost > 0)
        #expect(report.maxChainLead > Int64(ProposalTime.maxLead))
    }

    @Test("a Byzantine proposer stamping the most the others accept cannot push the chain's time past the drift bound",
          arguments: [UInt64(1), 2, 3])
    func byzantineCannotRatchet(seed: UInt64) {
        let report = ClockSkewSimulation.run(.init(offsets: [0, 40, -40, 0], byzantine: 0, lead: .measured, heights: 400, seed: seed))
        #expect(report.committed[0] > 0, "the attack was made: its blocks committed")
        #expect(report.maxChainLead <= Int64(Chain.maxClockDriftMs), "chain ahead of real time by \(report.maxChainLead) ms")
        for v in 1..<4 { #expect(report.share(v) == 1, "validator \(v): \(report.committed[v]) of \(report.turns[v])") }
    }

    @Test("the same seed gives the same run")
    func deterministic() {
        let config = ClockSkewSimulation.Config(offsets: Self.skewed, lead: .fixed, seed: 7)
        #expect(ClockSkewSimulation.run(config) == ClockSkewSimulation.run(config))
    }
}
