import AgoraCore

/// The governance module (Cosmos x/gov): proposals with a deposit, votes by bonded validators,
/// and a tally at the end of the voting period that executes what passed. A proposal is checked
/// in full when it is submitted (its action is run on the block's state and rolled back), so a
/// proposal that could not execute today never opens; it is checked again when it executes,
/// since the chain may have moved. Governance exists on a chain exactly when its genesis wrote
/// `gov/params`; elsewhere every governance payload fails with `governanceDisabled`. Every
/// function returns nil or why the step failed; the executor then rolls the payload back.
public enum Governance {
    // MARK: Read API

    /// The chain's governance parameters, or nil when its genesis did not enable governance.
    public static func params(state: StateReader) throws -> GovParams? { try params(StateOverlay(base: state)) }

    public static func proposal(_ id: UInt64, state: StateReader) throws -> ProposalRecord? { try proposal(StateOverlay(base: state), id) }

    public static func votes(_ id: UInt64, state: StateReader) throws -> [ProposalVote] { try votes(StateOverlay(base: state), id) }

    /// The number of proposals ever submitted: IDs run from 1 through this.
    public static func count(state: StateReader) throws -> UInt64 { try nextID(StateOverlay(base: state)) - 1 }

    // MARK: Overlay access

    static func params(_ state: StateOverlay) throws -> GovParams? {
        guard let raw = try state.get(GovernanceKeys.params) else { return nil }
        return try Bank.decode(GovParams.self, raw, "gov/params")
    }

    static func requireParams(_ state: StateOverlay) throws -> GovParams {
        guard let p = try params(state) else { throw StateFault.missing("gov/params") }
        return p
    }

    static func proposal(_ state: StateOverlay, _ id: UInt64) throws -> ProposalRecord? {
        guard let raw = try state.get(GovernanceKeys.proposal(id)) else { return nil }
        return try Bank.decode(ProposalRecord.self, raw, "gov/p")
    }

    static func setProposal(_ state: StateOverlay, _ id: UInt64, _ record: ProposalRecord) throws {
        try state.set(GovernanceKeys.proposal(id), record.canonicalBytes)
    }

    static func votes(_ state: StateOverlay, _ id: UInt64) throws -> [ProposalVote] {
        guard let raw = try state.get(GovernanceKeys.votes(id)) else { return [] }
        return try Bank.decode(ProposalVotes.self, raw, "gov/v").votes
    }

    static func nextID(_ state: StateOverlay) throws -> UInt64 {
        guard let raw = try state.get(GovernanceKeys.nextID) else { return 1 }
        return try Bank.decode(UInt64.self, raw, "gov/next")
    }

    static func queue(_ state: StateOverlay, _ key: StateKey) throws -> [UInt64] {
        guard let raw = try state.get(key) else { return [] }
        return try Bank.decode(ProposalIDs.self, raw, "gov/q").ids
    }

    /// Adds `id` to a queue. `sorted`: at its place by ID. Otherwise appended, which keeps a
    /// queue sorted only when entries arrive in ID order — true of submissions (the deposit
    /// queue), not of the voting queue, where a proposal topped up to the minimum can enter after
    /// a newer one that entered on submission. Chains without the cap keep appending, so their
    /// blocks replay as they ran (docs/governance.md).
    static func enqueue(_ state: StateOverlay, _ key: StateKey, _ id: UInt64, sorted: Bool = false) throws {
        var ids = try queue(state, key)
        if sorted, let i = ids.firstIndex(where: { $0 > id }) { ids.insert(id, at: i) } else { ids.append(id) }
        try state.set(key, ProposalIDs(ids).canonicalBytes)
    }

    /// The genesis entries that enable governance, with the running tally.
    static func genesisEntries(params: GovParams, set: ValidatorSet, bonds: [PublicKey: Amount]) -> [WriteSet.Entry] {
        [.init(key: GovernanceKeys.params, value: params.canonicalBytes, previous: nil), tallyGenesisEntry(set: set, bonds: bonds)]
    }

    // MARK: Transactions

    static func submit(_ state: StateOverlay, sender: Address, content: ProposalContent, deposit: Amount,
                       context: BlockContext) throws -> ExecutionFailure? {
        guard let params = try params(state) else { return .governanceDisabled }
        guard deposit > .zero else { return .zeroAmount }
        if let f = try check(state, content.action, params: params, height: context.height) { return f }
        if let f = try escrow(state, sender, deposit) { return f }
        let id = try nextID(state)
        try state.set(GovernanceKeys.nextID, (id + 1).canonicalBytes)
        var record = ProposalRecord(proposer: sender, content: content, status: .depositPeriod, submittedAt: context.height,
                                    depositEnd: context.height + params.depositPeriod,
                                    deposits: [ProposalDeposit(depositor: sender, amount: deposit)])
        if deposit >= params.minDeposit {
            try startVoting(state, id, &record, params: params, height: context.height)
        } else {
            record.depositEnd = try endHeight(state, GovernanceKeys.depositQueue, from: record.depositEnd, cap: params.maxEndingPerHeight)
            try enqueue(state, GovernanceKeys.depositQueue(record.depositEnd), id)
        }
        try setProposal(state, id, record)
        return nil
    }

    static func deposit(_ state: StateOverlay, sender: Address, proposal id: UInt64, amount: Amount,
                        context: BlockContext) throws -> ExecutionFailure? {
        guard let params = try params(state) else { return .governanceDisabled }
        guard amount > .zero else { return .zeroAmount }
        guard var record = try proposal(state, id) else { return .proposalNotFound(id) }
        guard record.status == .depositPeriod else { return .proposalWrongStatus(proposal: id, status: record.status) }
        if let i = record.deposits.firstIndex(where: { $0.depositor == sender }) {
            record.deposits[i].amount = (try? record.deposits[i].amount.adding(amount)) ?? .max
        } else {
            guard record.deposits.count < GovernanceLimits.maxDepositors else {
                return .tooManyDepositors(proposal: id, limit: UInt32(GovernanceLimits.maxDepositors))
            }
            record.deposits.append(ProposalDeposit(depositor: sender, amount: amount))
            record.deposits.sort { $0.depositor < $1.depositor }
        }
        if let f = try escrow(state, sender, amount) { return f }
        if record.totalDeposit >= params.minDeposit {
            try startVoting(state, id, &record, params: params, height: context.height)
        }
        try setProposal(state, id, record)
        return nil
    }

    /// Casts or replaces `voter`'s vote. Only keys in the validator set that signs this block and
    /// hold a bond may vote: the tally weighs votes by bond.
    static func vote(_ state: StateOverlay, voter: PublicKey, proposal id: UInt64, option: VoteOption,
                     context: BlockContext) throws -> ExecutionFailure? {
        guard try params(state) != nil else { return .governanceDisabled }
        guard let record = try proposal(state, id) else { return .proposalNotFound(id) }
        guard record.status == .votingPeriod else { return .proposalWrongStatus(proposal: id, status: record.status) }
        let set = try Staking.validators(forHeight: context.height, state)
        let bond = try Staking.record(state, voter)?.bond ?? .zero
        guard set.contains(voter), bond > .zero else { return .voterNotBonded(voter.address) }
        var list = try votes(state, id)
        if let i = list.firstIndex(where: { $0.voter == voter }) {
            list[i].option = option
        } else {
            list.append(ProposalVote(voter: voter, option: option))
            list.sort { $0.voter < $1.voter }
        }
        try state.set(GovernanceKeys.votes(id), ProposalVotes(list).canonicalBytes)
        try recordVote(state, voter: voter, proposal: id, votingEnd: record.votingEnd ?? context.height, option: option,
                       weight: bond.units, height: context.height)
        return nil
    }

    /// Moves `amount` from the sender's balance into escrow (it stays in the supply).
    private static func escrow(_ state: StateOverlay, _ sender: Address, _ amount: Amount) throws -> ExecutionFailure? {
        var account = try Bank.account(state, sender)
        guard let left = try? account.balance.subtracting(amount) else {
            return .insufficientBalance(balance: account.balance, needed: amount)
        }
        account.balance = left
        try Bank.setAccount(state, sender, account)
        return nil
    }

    private static func startVoting(_ state: StateOverlay, _ id: UInt64, _ record: inout ProposalRecord, params: GovParams,
                                    height: UInt64) throws {
        record.status = .votingPeriod
        record.votingStart = height
        let end = try endHeight(state, GovernanceKeys.votingQueue, from: height + params.votingPeriod, cap: params.maxEndingPerHeight)
        record.votingEnd = end
        try enqueue(state, GovernanceKeys.votingQueue(end), id, sorted: params.maxEndingPerHeight != nil)
        if try tallyState(state) != nil { try state.set(GovernanceKeys.runningTally(id), RunningTally().canonicalBytes) }
    }

    /// The height a period that would naturally end at `natural` ends at: the first height from
    /// `natural` on whose queue holds fewer than `cap` proposals (no cap: `natural`). Deterministic
    /// (it reads only the queues). First come, first served: of two proposals entering a period
    /// with the same natural end, the one entering later (a later block, or later in the block)
    /// never ends earlier — so proposals submitted with their full deposit keep their ID order.
    /// The walk is bounded: each full height it passes holds `cap` open proposals, each with a
    /// deposit.
    static func endHeight(_ state: StateOverlay, _ queueKey: (UInt64) -> StateKey, from natural: UInt64, cap: UInt64?) throws -> UInt64 {
        guard let cap else { return natural }
        var height = natural
        while try UInt64(queue(state, queueKey(height)).count) >= cap { height += 1 }
        return height
    }

    /// Submission checks: an upgrade must be planned further ahead than a voting period (so it
    /// cannot pass after its height), then the action must execute on today's state (run and
    /// rolled back).
    static func check(_ state: StateOverlay, _ action: ProposalAction, params: GovParams, height: UInt64) throws -> ExecutionFailure? {
        if case let .softwareUpgrade(plan) = action, plan.height <= height + params.votingPeriod {
            return .upgradeHeightTooNear(height: plan.height, earliest: height + params.votingPeriod + 1)
        }
        state.savepoint()
        defer { state.rollback() }
        return try execute(state, action, height: height)
    }

    /// Applies a passed proposal's action; on failure the caller rolls back its writes.
    static func execute(_ state: StateOverlay, _ action: ProposalAction, height: UInt64) throws -> ExecutionFailure? {
        switch action {
        case .text: return nil
        case let .parameterChange(changes):
            let loaded = try ChainParams.load(state)
            var chain = loaded
            if let f = chain.apply(changes) { return f }
            try chain.store(state, loaded: loaded)
            return nil
        case let .validatorChange(list):
            for v in list { if let f = try Staking.setPower(state, key: v.publicKey, power: v.power) { return f } }
            return nil
        case let .treasurySpend(to, amount):
            return try spend(state, to: to, amount: amount)
        case let .softwareUpgrade(plan): return try Upgrades.schedule(state, plan, height: height)
        case let .cancelUpgrade(name): return try Upgrades.cancel(state, name: name)
        }
    }

    private static func spend(_ state: StateOverlay, to: Address, amount: Amount) throws -> ExecutionFailure? {
        guard amount > .zero else { return .zeroAmount }
        let bank = try Bank.params(state)
        var treasury = try Bank.account(state, bank.treasury)
        guard let left = try? treasury.balance.subtracting(amount) else {
            return .treasuryInsufficient(balance: treasury.balance, requested: amount)
        }
        treasury.balance = left
        try Bank.setAccount(state, bank.treasury, treasury)
        return try Bank.credit(state, to, amount, params: bank)
    }
}
