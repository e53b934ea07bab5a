import AgoraCore
import AgoraSimulation
import Testing

/// Issue 13 item 2's scenario: every proposer's pool is deep, and each validator's consensus
/// driver pays for building and verifying blocks in virtual time (`ProposalLoad`). The real
/// `BlockBudget` sizes the proposals of one run; the other fills every block to 10,000.
@Suite("Big proposals against the block budget", .serialized)
struct ProposalBudgetSimulationTests {
    static func config(_ scenario: SimulationScenario, seed: UInt64) -> SimulationConfig {
        var config = SimulationConfig(validators: 4, byzantine: 0, seed: seed, steps: 20)
        scenario.apply(to: &config)
        return config
    }

    @Test("sized by the block budget, every height commits in round 0 within a second, proposals within the round's share",
          arguments: [UInt64(1), 2, 3])
    func budgetKeepsRoundZero(seed: UInt64) async {
        let report = await offPool { ConsensusSimulation.run(Self.config(.proposalsBudget, seed: seed)) }
        #expect(report.passed, "\(report.violations.map(\.description))")
        #expect(report.heightsCommitted >= 20)
        #expect(report.roundsPerHeight.values.allSatisfy { $0 == 0 }, "every height in round 0: \(report.roundsPerHeight)")
        // 50% of the 400 ms propose timeout at 100 µs a transaction (50 µs of signature on each
        // of two cores, 50 µs of execution) is 2,000; the first block, before any execution was
        // measured, is sized by the signature alone (4,000).
        #expect(report.largestProposal == 4_000)
        #expect(report.transactionsCommitted >= 20 * 2_000)
        print("block budget (seed \(seed)): \(report.heightsCommitted) heights, \(report.transactionsCommitted) transactions "
              + "by t=\(report.virtualTime) ms, rounds \(Set(report.roundsPerHeight.values).sorted())")
    }

    @Test("filled to block.maxTransactions, the same chain loses rounds and commits fewer transactions per second")
    func fixedLosesRounds() async {
        let (fixed, budget) = await offPool {
            (ConsensusSimulation.run(Self.config(.proposalsFixed, seed: 1)), ConsensusSimulation.run(Self.config(.proposalsBudget, seed: 1)))
        }
        // The premise: a full block takes 500 ms to build, past the 400 ms propose timeout.
        #expect(ProposalLoad(policy: .fixed).buildCost(10_000) > 400)
        #expect(fixed.largestProposal == 10_000)
        #expect(fixed.heightsCommitted < 20, "a height a second is more than it keeps up")
        #expect(fixed.roundsPerHeight.values.contains { $0 > 0 }, "rounds: \(fixed.roundsPerHeight)")
        let rate = { (r: SimulationReport) in Double(r.transactionsCommitted) / Double(max(1, r.virtualTime)) }
        #expect(rate(fixed) < rate(budget), "fixed \(rate(fixed) * 1_000)/s, budget \(rate(budget) * 1_000)/s")
        print("fixed cap (seed 1): \(fixed.heightsCommitted) heights, \(fixed.transactionsCommitted) transactions by t=\(fixed.virtualTime) ms, "
              + "rounds \(fixed.roundsPerHeight.sorted { $0.key < $1.key }.map(\.value)), violations \(fixed.violations.count); "
              + "budget: \(budget.transactionsCommitted) by t=\(budget.virtualTime) ms")
    }

    @Test("a proposal-load run replays exactly from its seed, and names its scenario in the reproduction")
    func deterministic() async {
        let (a, b) = await offPool {
            (ConsensusSimulation.run(Self.config(.proposalsBudget, seed: 9)), ConsensusSimulation.run(Self.config(.proposalsBudget, seed: 9)))
        }
        #expect(a == b)
        #expect(a.reproduction.hasSuffix("--scenario proposals-budget"))
    }
}
