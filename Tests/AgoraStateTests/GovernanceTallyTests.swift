import AgoraCore
import Testing
@testable import AgoraState

/// The tally as a pure function: each rule at its boundary, then seeded random tallies against
/// a reference written independently in 128-bit arithmetic, and the order- and change-independence
/// of the votes.
@Suite("Governance: tally")
struct GovernanceTallyTests {
    let params = GovParams(minDeposit: Amount(10)!, depositPeriod: 5, votingPeriod: 5, quorumBps: 3_340, thresholdBps: 5_000, vetoBps: 3_340)

    @Test("quorum: turnout below the quorum share of the bonded stake is no_quorum; exactly at it counts")
    func quorum() {
        // 10,000 bonded: 3,340 is exactly the quorum.
        #expect(TallyResult(yes: 3_339, bonded: 10_000).outcome(params) == .noQuorum)
        #expect(TallyResult(yes: 3_340, bonded: 10_000).outcome(params) == .passed)
        // Abstain counts toward the quorum.
        #expect(TallyResult(yes: 2_000, abstain: 1_340, bonded: 10_000).outcome(params) == .passed)
        #expect(TallyResult(bonded: 0).outcome(params) == .noQuorum)
    }

    @Test("threshold: yes must be strictly above the threshold share of yes + no + veto; abstain is left out")
    func threshold() {
        #expect(TallyResult(yes: 50, no: 50, bonded: 100).outcome(params) == .rejected)
        #expect(TallyResult(yes: 51, no: 49, bonded: 100).outcome(params) == .passed)
        // 40 abstain do not dilute yes: 31 of 60 sided is above half.
        #expect(TallyResult(yes: 31, abstain: 40, no: 29, bonded: 100).outcome(params) == .passed)
    }

    @Test("veto: no-with-veto above the veto share of all votes (abstain included) vetoes, even with a yes majority")
    func veto() {
        #expect(TallyResult(yes: 6_000, noWithVeto: 3_500, bonded: 10_000).outcome(params) == .vetoed)
        // 3,340 of 10,000 is exactly the share: not above it, and yes 6,660 of 10,000 passes.
        #expect(TallyResult(yes: 6_660, noWithVeto: 3_340, bonded: 10_000).outcome(params) == .passed)
        // Abstain enlarges the base the veto share is measured against.
        #expect(TallyResult(yes: 2_000, noWithVeto: 2_500, bonded: 10_000).outcome(params) == .vetoed)
        #expect(TallyResult(yes: 2_000, abstain: 5_000, noWithVeto: 2_500, bonded: 10_000).outcome(params) == .rejected)
    }

    @Test("abstain only: quorum reached but nobody took a side is rejected")
    func abstainOnly() {
        #expect(TallyResult(abstain: 10_000, bonded: 10_000).outcome(params) == .rejected)
    }

    @Test("huge stakes: products beyond 64 bits compare exactly")
    func wide() {
        let big = UInt64(Int64.max) / 2
        #expect(TallyResult(yes: big / 2 + 1, no: big / 2, bonded: big + 1).outcome(params) == .passed)
        #expect(TallyResult(yes: big / 2, no: big / 2, bonded: big).outcome(params) == .rejected)
    }

    /// The rules restated with UInt128 and division-free in another order, as the reference.
    static func reference(_ t: TallyResult, _ p: GovParams) -> ProposalStatus {
        let yes = UInt128(t.yes), abstain = UInt128(t.abstain), no = UInt128(t.no), veto = UInt128(t.noWithVeto)
        let all = yes + abstain + no + veto
        if t.bonded == 0 || all * 10_000 < UInt128(p.quorumBps) * UInt128(t.bonded) { return .noQuorum }
        if yes + no + veto == 0 { return .rejected }
        if veto * 10_000 > UInt128(p.vetoBps) * all { return .vetoed }
        return yes * 10_000 > UInt128(p.thresholdBps) * (yes + no + veto) ? .passed : .rejected
    }

    @Test("seeded random tallies agree with the reference; vote order and changed votes do not matter")
    func property() {
        var rng = SplitMix64(seed: 0x60_7a11)
        var outcomes: [ProposalStatus: Int] = [:]
        for _ in 0..<5_000 {
            let p = GovParams(minDeposit: Amount(1)!, depositPeriod: 1, votingPeriod: 1, quorumBps: UInt16(rng.next() % 10_000 + 1),
                              thresholdBps: UInt16(rng.next() % 10_000 + 1), vetoBps: UInt16(rng.next() % 10_000 + 1))
            let scale: UInt64 = rng.next() % 2 == 0 ? 1_000 : UInt64(Int64.max) / 64
            let count = Int(rng.next() % 12)
            var votes: [(weight: UInt64, option: VoteOption)] = []
            var bonded: UInt64 = rng.next() % scale
            for _ in 0..<count {
                let w = rng.next() % scale
                votes.append((w, VoteOption.allCases[Int(rng.next() % 4)]))
                bonded += w
            }
            let tally = TallyResult(votes: votes, bonded: bonded)
            let outcome = tally.outcome(p)
            #expect(outcome == Self.reference(tally, p))
            #expect(TallyResult(votes: votes.reversed(), bonded: bonded) == tally)
            outcomes[outcome, default: 0] += 1
        }
        // The generator reaches every outcome, so the agreement above is not vacuous.
        for s in [ProposalStatus.passed, .rejected, .noQuorum, .vetoed] { #expect(outcomes[s, default: 0] > 50, "\(s)") }
    }
}
