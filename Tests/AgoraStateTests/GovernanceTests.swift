import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// Governance on an in-memory chain of four validators bonded 1,000 each (4,000 bonded stake:
/// quorum 1,336, a validator's vote weighs 1,000), deposit and voting periods of 3 heights.
@Suite("Governance: proposals, deposits, votes, execution")
struct GovernanceTests {
    let v = (0..<4).map { _ in SigningKey() }
    let proposer = SigningKey(), outsider = SigningKey(), newValidator = SigningKey()

    static let gov = Genesis.GovernanceConfig(minDeposit: Amount(500)!, depositPeriod: 3, votingPeriod: 3, quorumBps: 3_340,
                                              thresholdBps: 5_000, vetoBps: 3_340)

    func ledger(upgrades: UpgradeRegistry = .builtIn, transferFeeBps: UInt16 = 0) throws -> StakingLedger {
        var allocations = v.map { ($0, UInt64(100_000)) }
        allocations += [(proposer, 100_000), (outsider, 100_000), (newValidator, 100_000)]
        // The treasury holds 5,000 to spend.
        var l = try StakingLedger(validators: v.map { ($0, 1) }, bonds: [1_000, 1_000, 1_000, 1_000], admin: nil, minBond: 1_000,
                                  allocations: allocations, governance: Self.gov, transferFeeBps: transferFeeBps, upgrades: upgrades)
        var treasury = Account.empty
        treasury.balance = Amount(5_000)!
        l.state.entries[BankKeys.account(StakingLedger.treasury)] = treasury.canonicalBytes
        l.state.entries[BankKeys.supply] = try Amount(l.supply() + 5_000)!.canonicalBytes
        return l
    }

    func submit(_ l: inout StakingLedger, _ action: ProposalAction, deposit: UInt64 = 500) throws -> StakingLedger.Outcome {
        try l.run(l.tx(proposer, .submitProposal(content: ProposalContent(title: "p", action: action), deposit: Amount(deposit)!)))
    }

    func vote(_ l: inout StakingLedger, _ id: UInt64, _ options: [VoteOption?]) throws {
        let txs = zip(v, options).compactMap { key, o in o.map { l.tx(key, .voteProposal(proposal: id, option: $0)) } }
        let result = try l.block(txs)
        #expect(result.rejected.isEmpty && result.receipts.allSatisfy(\.succeeded))
    }

    func proposal(_ l: StakingLedger, _ id: UInt64) throws -> ProposalRecord { try #require(try Governance.proposal(id, state: l.state)) }

    /// Balances, bonds and open deposits together are the supply, whatever happened.
    func checkSupply(_ l: StakingLedger) throws {
        var escrow: UInt64 = 0
        for id in try 1...max(1, Governance.count(state: l.state)) {
            if let p = try Governance.proposal(id, state: l.state), !p.status.isFinal { escrow += p.totalDeposit.units }
        }
        #expect(try l.balancesAndBonds() + escrow == l.supply())
    }

    /// Runs empty blocks until the head is `height`.
    func advance(_ l: inout StakingLedger, to height: UInt64) throws { while l.height < height { try l.block() } }

    @Test("a parameter change that passes applies from the block after the tally; the deposit is refunded")
    func parameterChangePasses() throws {
        var l = try ledger()
        let before = try l.balance(proposer)
        #expect(try submit(&l, .parameterChange([ParamChange(key: .bankTransferFeeBps, value: 250)])) == .ok)  // height 1
        #expect(try proposal(l, 1).status == .votingPeriod)
        #expect(try proposal(l, 1).votingEnd == 4)
        try vote(&l, 1, [.yes, .yes, .no, nil])  // height 2
        try checkSupply(l)
        try advance(&l, to: 3)
        #expect(try Bank.params(StateOverlay(base: l.state)).transferFeeBps == 0)
        try advance(&l, to: 4)
        let p = try proposal(l, 1)
        #expect(p.status == .passed)
        #expect(p.tally == TallyResult(yes: 2_000, no: 1_000, bonded: 4_000))
        #expect(try Bank.params(StateOverlay(base: l.state)).transferFeeBps == 250)
        // Fee 1 for the submission; the deposit came back.
        #expect(try l.balance(proposer) == before - 1)
        try checkSupply(l)
    }

    @Test("the tally so far of an open proposal weighs its votes by the bonds as they stand, and becomes the final tally")
    func currentTally() throws {
        var l = try ledger()
        #expect(try submit(&l, .text) == .ok)
        try vote(&l, 1, [.yes, .no, nil, .abstain])
        let soFar = try Governance.currentTally(1, state: l.state, height: l.height + 1)
        #expect(soFar == TallyResult(yes: 1_000, abstain: 1_000, no: 1_000, bonded: 4_000))
        try advance(&l, to: 4)
        #expect(try proposal(l, 1).tally == soFar)
    }

    @Test("a vote changed before the end counts only as its last option")
    func changedVote() throws {
        var l = try ledger()
        #expect(try submit(&l, .text) == .ok)
        try vote(&l, 1, [.yes, .yes, .yes, nil])
        try vote(&l, 1, [.no, .no, nil, nil])
        try advance(&l, to: 4)
        let p = try proposal(l, 1)
        #expect(p.tally == TallyResult(yes: 1_000, no: 2_000, bonded: 4_000))
        #expect(p.status == .rejected)
        #expect(try Governance.votes(1, state: l.state).count == 3)
    }

    @Test("no quorum refunds and changes nothing; a veto burns the deposit out of the supply")
    func quorumAndVeto() throws {
        var l = try ledger()
        let supply = try l.supply()
        #expect(try submit(&l, .parameterChange([ParamChange(key: .bankMinFee, value: 7)])) == .ok)
        #expect(try submit(&l, .parameterChange([ParamChange(key: .bankMinFee, value: 9)])) == .ok)
        try vote(&l, 1, [.yes, nil, nil, nil])  // 1,000 of 4,000 < 33.4%
        try vote(&l, 2, [.yes, .noWithVeto, .noWithVeto, nil])
        try advance(&l, to: 6)
        #expect(try proposal(l, 1).status == .noQuorum)
        #expect(try proposal(l, 2).status == .vetoed)
        #expect(try Bank.params(StateOverlay(base: l.state)).minFee == Amount(1)!)
        #expect(try l.supply() == supply - 500)
        try checkSupply(l)
    }

    @Test("abstain only is rejected and refunded")
    func abstainOnly() throws {
        var l = try ledger()
        let before = try l.balance(proposer)
        #expect(try submit(&l, .text) == .ok)
        try vote(&l, 1, [.abstain, .abstain, .abstain, .abstain])
        try advance(&l, to: 4)
        #expect(try proposal(l, 1).status == .rejected)
        #expect(try l.balance(proposer) == before - 1)
    }

    @Test("a deposit period that ends short burns the deposits; deposits from others count toward the minimum")
    func depositPeriod() throws {
        var l = try ledger()
        let supply = try l.supply()
        #expect(try submit(&l, .text, deposit: 100) == .ok)  // height 1, deposit period through 4
        #expect(try proposal(l, 1).status == .depositPeriod)
        #expect(try submit(&l, .text, deposit: 100) == .ok)  // height 2
        #expect(try l.run(l.tx(outsider, .depositProposal(proposal: 2, amount: Amount(400)!))) == .ok)  // height 3: 500 reached
        let p2 = try proposal(l, 2)
        #expect(p2.status == .votingPeriod)
        #expect(p2.deposits.count == 2)
        // A deposit once voting started is in the wrong state; nothing but the fee moves.
        let outsiderBalance = try l.balance(outsider)
        #expect(try l.run(l.tx(outsider, .depositProposal(proposal: 2, amount: Amount(1)!)))
            == .included(.proposalWrongStatus(proposal: 2, status: .votingPeriod)))
        #expect(try l.balance(outsider) == outsiderBalance - 1)
        try advance(&l, to: 4)
        #expect(try proposal(l, 1).status == .expired)
        #expect(try l.supply() == supply - 100)
        #expect(try l.run(l.tx(outsider, .depositProposal(proposal: 1, amount: Amount(1)!)))
            == .included(.proposalWrongStatus(proposal: 1, status: .expired)))
        try checkSupply(l)
    }

    @Test("votes from keys outside the bonded set, after the period, or on unknown proposals fail")
    func badVotes() throws {
        var l = try ledger()
        #expect(try submit(&l, .text) == .ok)
        #expect(try l.run(l.tx(outsider, .voteProposal(proposal: 1, option: .yes))) == .included(.voterNotBonded(outsider.address)))
        #expect(try l.run(l.tx(v[0], .voteProposal(proposal: 9, option: .yes))) == .included(.proposalNotFound(9)))
        try advance(&l, to: 4)
        let status = try proposal(l, 1).status
        #expect(try l.run(l.tx(v[0], .voteProposal(proposal: 1, option: .yes))) == .included(.proposalWrongStatus(proposal: 1, status: status)))
    }

    @Test("out-of-range parameters and overspends are refused at submission; nothing is escrowed")
    func badProposals() throws {
        var l = try ledger()
        let before = try l.balance(proposer)
        #expect(try submit(&l, .parameterChange([ParamChange(key: .bankTransferFeeBps, value: 20_000)]))
            == .included(.paramOutOfRange(key: .bankTransferFeeBps, value: 20_000, min: 0, max: 10_000)))
        #expect(try submit(&l, .parameterChange([ParamChange(key: .govVotingPeriod, value: 0)]))
            == .included(.paramOutOfRange(key: .govVotingPeriod, value: 0, min: 1, max: GovernanceLimits.maxPeriod)))
        #expect(try submit(&l, .parameterChange([ParamChange(key: .bankFaucetAmount, value: 100_000_001)]))
            == .included(.paramOutOfRange(key: .bankFaucetAmount, value: 100_000_001, min: 0, max: 100_000_000)))
        // The treasury holds 5,000 plus the fees of this test's earlier blocks.
        let treasury = try Bank.account(StateOverlay(base: l.state), StakingLedger.treasury).balance
        #expect(try submit(&l, .treasurySpend(to: outsider.address, amount: Amount(treasury.units + 10)!))
            == .included(.treasuryInsufficient(balance: treasury, requested: Amount(treasury.units + 10)!)))
        #expect(try submit(&l, .cancelUpgrade(name: "nothing")) == .included(.upgradeNotPlanned("nothing")))
        #expect(try submit(&l, .validatorChange([Validator(publicKey: newValidator.publicKey, power: 1)]))
            == .included(.insufficientBond(bond: .zero, minimum: Amount(1_000)!)))
        #expect(try l.balance(proposer) == before - 6)
        #expect(try Governance.count(state: l.state) == 0)
    }

    @Test("an unknown parameter key does not decode: the transaction is malformed, not a proposal")
    func unknownKey() throws {
        let good = Payload.submitProposal(content: ProposalContent(title: "t", action: .parameterChange([ParamChange(key: .bankMinFee, value: 1)])),
                                          deposit: Amount(1)!)
        var bytes = good.canonicalBytes
        // …, key (1 byte), value (8), deposit (8).
        let at = bytes.count - 17
        #expect(bytes[at] == ParamKey.bankMinFee.rawValue)
        bytes[at] = 99
        #expect(throws: CodecError.unknownTag(type: "param.key", tag: 99)) { try Payload(canonicalBytes: bytes) }
        // Two changes of one key, or an unsorted list, have no encoding either.
        let twice = ProposalAction.parameterChange([ParamChange(key: .bankMinFee, value: 1), ParamChange(key: .bankMinFee, value: 2)])
        #expect(throws: CodecError.self) { try ProposalAction(canonicalBytes: twice.canonicalBytes) }
    }

    @Test("upgrades: too near, two at one height, and a plan that runs its migration or halts a binary that lacks it")
    func upgrades() throws {
        var l = try ledger()
        // Voting period 3 from height 1: the earliest height is 5.
        #expect(try submit(&l, .softwareUpgrade(UpgradePlan(name: "v9", height: 4))) == .included(.upgradeHeightTooNear(height: 4, earliest: 5)))
        #expect(try submit(&l, .softwareUpgrade(UpgradePlan(name: Upgrades.feeRoundUpName, height: 12, info: "fees round up"))) == .ok)  // 2
        #expect(try submit(&l, .softwareUpgrade(UpgradePlan(name: "other", height: 12))) == .ok)  // 3
        try vote(&l, 1, [.yes, .yes, .yes, nil])
        try vote(&l, 2, [.yes, .yes, .yes, nil])
        try advance(&l, to: 6)
        #expect(try proposal(l, 1).status == .passed)
        // Both passed; the second found its height taken when it executed: failed, refunded.
        let second = try proposal(l, 2)
        #expect(second.status == .failed)
        #expect(second.executionFailure == .upgradeHeightTaken(height: 12, name: Upgrades.feeRoundUpName))
        #expect(try submit(&l, .softwareUpgrade(UpgradePlan(name: "third", height: 12))) == .included(.upgradeHeightTaken(height: 12, name: Upgrades.feeRoundUpName)))
        #expect(try Upgrades.plans(state: l.state).map(\.name) == [Upgrades.feeRoundUpName])
        try advance(&l, to: 11)

        // A binary without the upgrade stops before block 12 and leaves the state as it was.
        var lacking = l
        lacking.executor = BlockExecutor(chainID: l.chainID, upgrades: UpgradeRegistry.builtIn.without([Upgrades.feeRoundUpName]))
        #expect(throws: UpgradeHalt(name: Upgrades.feeRoundUpName, height: 12)) { try lacking.block() }
        #expect(lacking.state.entries == l.state.entries)

        try l.block()
        #expect(try Upgrades.appliedHeight(Upgrades.feeRoundUpName, state: l.state) == 12)
        #expect(try Upgrades.plans(state: l.state).isEmpty)
    }

    @Test("the fee-round-up upgrade changes the transfer fee from its height on, on every node alike")
    func feeRoundUp() throws {
        var l = try ledger(transferFeeBps: 100)
        // 150 × 1% = 1.5: rounds down to 1 before the upgrade.
        let before = try l.balance(outsider)
        #expect(try l.run(l.tx(outsider, .transfer(to: proposer.address, amount: Amount(150)!, memo: ""))) == .ok)
        #expect(try l.balance(outsider) == before - 150 - 1 - 1)
        #expect(try submit(&l, .softwareUpgrade(UpgradePlan(name: Upgrades.feeRoundUpName, height: 8))) == .ok)
        try vote(&l, 1, [.yes, .yes, .yes, .yes])
        try advance(&l, to: 8)
        let mid = try l.balance(outsider)
        #expect(try l.run(l.tx(outsider, .transfer(to: proposer.address, amount: Amount(150)!, memo: ""))) == .ok)
        #expect(try l.balance(outsider) == mid - 150 - 2 - 1)
    }

    @Test("a validator change passed by governance is in force two heights after the tally; the admin key is retired")
    func validatorChange() throws {
        var l = try ledger()
        #expect(try l.run(l.tx(newValidator, .bond(amount: Amount(1_000)!))) == .ok)  // 1
        #expect(try l.run(l.tx(v[0], .validatorUpdate(publicKey: newValidator.publicKey, power: 1))) == .included(.notStakingAdmin(sender: v[0].address)))
        #expect(try submit(&l, .validatorChange([Validator(publicKey: newValidator.publicKey, power: 2)])) == .ok)  // 3: voting 3...6
        try vote(&l, 1, [.yes, .yes, .yes, nil])
        try advance(&l, to: 6)
        #expect(try proposal(l, 1).status == .passed)
        #expect(try !l.validators(at: 7).contains(newValidator.publicKey))
        #expect(try l.validators(at: 8).power(of: newValidator.publicKey) == 2)
    }

    @Test("a treasury spend moves funds from the treasury to the recipient")
    func treasurySpend() throws {
        var l = try ledger()
        let before = try l.balance(outsider)
        #expect(try submit(&l, .treasurySpend(to: outsider.address, amount: Amount(3_000)!)) == .ok)
        try vote(&l, 1, [.yes, .yes, .yes, nil])
        try advance(&l, to: 4)
        #expect(try proposal(l, 1).status == .passed)
        #expect(try l.balance(outsider) == before + 3_000)
        try checkSupply(l)
    }

    @Test("a chain whose genesis has no governance section refuses governance payloads")
    func disabled() throws {
        var l = try StakingLedger(validators: [(v[0], 1)], admin: v[0], allocations: [(proposer, 10_000)])
        #expect(try l.run(l.tx(proposer, .submitProposal(content: ProposalContent(title: "t", action: .text), deposit: Amount(1)!)))
            == .included(.governanceDisabled))
    }

    @Test("a genesis with governance refuses a staking admin and out-of-range governance parameters")
    func genesis() throws {
        #expect(throws: GenesisError.self) {
            _ = try StakingLedger(validators: [(v[0], 1)], admin: v[0], governance: Self.gov)
        }
        var bad = Self.gov
        bad.quorumBps = 0
        #expect(throws: GenesisError.self) { _ = try StakingLedger(validators: [(v[0], 1)], admin: nil, governance: bad) }
    }
}
