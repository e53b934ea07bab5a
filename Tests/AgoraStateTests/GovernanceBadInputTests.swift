import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// The issue's bad-input list, each with its typed failure and a check that nothing but the
/// sender's fee and nonce moved: governance's, the upgrades' and the consensus parameters' state
/// is byte for byte what it was.
extension GovernanceTests {
    /// Every governance-owned entry (proposals, votes, queues, params, upgrade plans, consensus
    /// parameters) and the bank's parameters.
    func governed(_ l: StakingLedger) -> [StateKey: [UInt8]] {
        let prefixes = ["gov/", "upgrade/", "consensus/"].map { Array($0.utf8) }
        return l.state.entries.filter { e in
            e.key == BankKeys.params || prefixes.contains { e.key.bytes.starts(with: $0) }
        }
    }

    /// Runs `tx` in its own block: it must fail with `failure`, cost the sender its fee only and
    /// leave governance's state as it was.
    func refused(_ l: inout StakingLedger, _ key: SigningKey, _ payload: Payload, _ failure: ExecutionFailure,
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = governed(l), balance = try l.balance(key)
        #expect(try l.run(l.tx(key, payload)) == .included(failure), sourceLocation: sourceLocation)
        #expect(governed(l) == before, sourceLocation: sourceLocation)
        #expect(try l.balance(key) == balance - 1, sourceLocation: sourceLocation)
    }

    func proposal(_ action: ProposalAction, deposit: UInt64 = 500) -> Payload {
        .submitProposal(content: ProposalContent(title: "p", action: action), deposit: Amount(deposit)!)
    }

    @Test("consensus timeouts and block limits out of bounds are refused at submission; in bounds they pass and are stored")
    func consensusParamBounds() throws {
        var l = try ledger()
        let cases: [(ParamKey, UInt64, ClosedRange<UInt64>)] = [
            (.blockMaxTransactions, 0, 1...UInt64(Limits.maxTransactionsPerBlock)),
            (.blockMaxTransactions, UInt64(Limits.maxTransactionsPerBlock) + 1, 1...UInt64(Limits.maxTransactionsPerBlock)),
            (.blockMaxBytes, 0, UInt64(Limits.maxTransactionBytes)...UInt64(Limits.defaultMaxBlockBytes)),
            (.blockMaxBytes, UInt64(Limits.defaultMaxBlockBytes) + 1, UInt64(Limits.maxTransactionBytes)...UInt64(Limits.defaultMaxBlockBytes)),
            (.consensusTimeoutProposeMs, 9, 10...600_000),
            (.consensusTimeoutPrecommitMs, 600_001, 10...600_000),
            (.consensusTimeoutPrevoteDeltaMs, 60_001, 0...60_000),
        ]
        for (key, value, range) in cases {
            try refused(&l, proposer, proposal(.parameterChange([ParamChange(key: key, value: value)])),
                        .paramOutOfRange(key: key, value: value, min: range.lowerBound, max: range.upperBound))
        }
        // One key out of bounds refuses the whole list: the in-bounds key is not applied either.
        try refused(&l, proposer, proposal(.parameterChange([ParamChange(key: .consensusTimeoutProposeMs, value: 2_000),
                                                           ParamChange(key: .blockMaxBytes, value: 1)])),
                    .paramOutOfRange(key: .blockMaxBytes, value: 1, min: UInt64(Limits.maxTransactionBytes),
                                     max: UInt64(Limits.defaultMaxBlockBytes)))
        #expect(try ConsensusParams.load(state: l.state) == ConsensusParams())

        let start = l.height
        #expect(try submit(&l, .parameterChange([ParamChange(key: .consensusTimeoutPrevoteDeltaMs, value: 0),
                                                 ParamChange(key: .blockMaxBytes, value: 65_536)])) == .ok)
        try vote(&l, 1, [.yes, .yes, .yes, nil])
        try advance(&l, to: start + 3)
        #expect(try ConsensusParams.load(state: l.state) == ConsensusParams())
        try advance(&l, to: start + 4)
        let stored = try ConsensusParams.load(state: l.state)
        #expect(stored[.consensusTimeoutPrevoteDeltaMs] == 0 && stored.maxTransactionBytes == 65_536)
        // Keys no proposal named stay absent: each node keeps its configuration for them.
        #expect(stored[.consensusTimeoutProposeMs] == nil && stored.maxTransactions == Limits.maxTransactionsPerBlock)
    }

    @Test("an upgrade height in the past, at the current height or within the voting period is too near")
    func upgradeHeightsInThePast() throws {
        var l = try ledger()
        try advance(&l, to: 6)
        // Submitted in block 7 with a voting period of 3: the earliest height is 11.
        for height: UInt64 in [0, 1, 6, 7, 10] {
            try refused(&l, proposer, proposal(.softwareUpgrade(UpgradePlan(name: "v9", height: height))),
                        .upgradeHeightTooNear(height: height, earliest: l.height + 1 + 3 + 1))
        }
        #expect(try Upgrades.plans(state: l.state).isEmpty)
    }

    @Test("votes in the deposit period, from a bonded key outside the set, and after the tally are refused")
    func votesInTheWrongState() throws {
        var l = try ledger()
        #expect(try submit(&l, .text, deposit: 100) == .ok)  // 1: deposit period
        try refused(&l, v[0], .voteProposal(proposal: 1, option: .yes), .proposalWrongStatus(proposal: 1, status: .depositPeriod))
        // Bonded but not in the validator set: it has stake, yet does not sign blocks.
        #expect(try l.run(l.tx(newValidator, .bond(amount: Amount(1_000)!))) == .ok)
        #expect(try submit(&l, .text) == .ok)  // 2: voting
        try refused(&l, newValidator, .voteProposal(proposal: 2, option: .yes), .voterNotBonded(newValidator.address))
        try vote(&l, 2, [.yes, .yes, .yes, nil])
        try advance(&l, to: try proposal(l, 2).votingEnd ?? 0)
        #expect(try proposal(l, 2).status == .passed)
        try refused(&l, v[3], .voteProposal(proposal: 2, option: .no), .proposalWrongStatus(proposal: 2, status: .passed))
    }

    @Test("deposits on an unknown, voting, passed or rejected proposal, of zero, or beyond the balance are refused")
    func depositsInTheWrongState() throws {
        var l = try ledger()
        try refused(&l, outsider, .depositProposal(proposal: 7, amount: Amount(10)!), .proposalNotFound(7))
        #expect(try submit(&l, .text, deposit: 100) == .ok)  // 1: deposit period
        try refused(&l, outsider, .depositProposal(proposal: 1, amount: .zero), .zeroAmount)
        let balance = try l.balance(outsider)
        try refused(&l, outsider, .depositProposal(proposal: 1, amount: Amount(balance + 1)!),
                    .insufficientBalance(balance: Amount(balance - 1)!, needed: Amount(balance + 1)!))
        #expect(try submit(&l, .text) == .ok)  // 2: voting at once
        try refused(&l, outsider, .depositProposal(proposal: 2, amount: Amount(10)!), .proposalWrongStatus(proposal: 2, status: .votingPeriod))
        try vote(&l, 2, [.no, .no, .no, nil])
        try advance(&l, to: try proposal(l, 2).votingEnd ?? 0)
        try refused(&l, outsider, .depositProposal(proposal: 2, amount: Amount(10)!), .proposalWrongStatus(proposal: 2, status: .rejected))
    }

    @Test("two treasury spends that each fit but not together: the second fails when it executes, nothing moves, its deposit is refunded")
    func treasuryOverspendAtExecution() throws {
        var l = try ledger()
        let treasury = try Bank.account(StateOverlay(base: l.state), StakingLedger.treasury).balance.units
        let share = treasury / 2 + 100
        let before = try l.balance(outsider), proposerBefore = try l.balance(proposer)
        #expect(try submit(&l, .treasurySpend(to: outsider.address, amount: Amount(share)!)) == .ok)  // 1
        #expect(try submit(&l, .treasurySpend(to: outsider.address, amount: Amount(share)!)) == .ok)  // 2
        try vote(&l, 1, [.yes, .yes, .yes, nil])
        try vote(&l, 2, [.yes, .yes, .yes, nil])
        try advance(&l, to: try proposal(l, 2).votingEnd ?? 0)
        #expect(try proposal(l, 1).status == .passed)
        let second = try proposal(l, 2)
        #expect(second.status == .failed)
        guard case .treasuryInsufficient(_, let requested) = second.executionFailure else {
            Issue.record("expected treasury_insufficient, got \(String(describing: second.executionFailure))")
            return
        }
        #expect(requested == Amount(share)!)
        #expect(try l.balance(outsider) == before + share)
        // Both deposits came back; the two submissions cost their fees.
        #expect(try l.balance(proposer) == proposerBefore - 2)
        try checkSupply(l)
    }
}
