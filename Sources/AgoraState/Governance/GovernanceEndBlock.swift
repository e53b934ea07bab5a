import AgoraCore

/// Governance's end of block: the proposals whose deposit period ends at this height and never
/// reached the minimum expire (deposits burned); the proposals whose voting period ends here are
/// tallied, and those that pass execute. Only this height's two queue entries are read, so the
/// cost follows the proposals ending now, not every open one; each tally is the proposal's
/// running tally (GovernanceRunningTally.swift), not a pass over its votes. Last, the running
/// tally moves to the set that signs the next block. Runs after the block's
/// transactions and before staking's end of block, so a validator change that passes here is in
/// force two heights later like any other change of the set.
extension Governance {
    public struct EndBlockSummary: Equatable, Sendable {
        /// Proposals that reached a final status in this block, with that status.
        public var finished: [(id: UInt64, status: ProposalStatus)] = []
        public static func == (a: Self, b: Self) -> Bool { a.finished.elementsEqual(b.finished) { $0.id == $1.id && $0.status == $1.status } }
    }

    @discardableResult
    static func endBlock(_ state: StateOverlay, height: UInt64) throws -> EndBlockSummary {
        var summary = EndBlockSummary()
        guard let params = try params(state) else { return summary }
        let depositKey = GovernanceKeys.depositQueue(height)
        for id in try queue(state, depositKey) {
            guard var record = try proposal(state, id), record.status == .depositPeriod else { continue }
            record.status = .expired
            try settleDeposits(state, record)
            try setProposal(state, id, record)
            summary.finished.append((id, .expired))
        }
        try state.set(depositKey, nil)
        let votingKey = GovernanceKeys.votingQueue(height)
        let due = try queue(state, votingKey)
        if !due.isEmpty {
            let source = try TallySource(state, height: height)
            for id in due {
                guard let status = try finish(state, id, params: params, source: source, height: height) else { continue }
                summary.finished.append((id, status))
            }
        }
        try state.set(votingKey, nil)
        try advanceTally(state, height: height)
        return summary
    }

    /// Where the end of a voting period reads its tally: the running tally (O(1) per proposal)
    /// on chains that keep one, else a recount over the bonded stake read once per block.
    enum TallySource {
        case running(bonded: UInt64)
        case recount(BondedStake)

        init(_ state: StateOverlay, height: UInt64) throws {
            if let ts = try Governance.tallyState(state) { self = .running(bonded: ts.bonded) } else {
                self = .recount(try BondedStake(state, height: height))
            }
        }

        /// The final tally of `id`; the running one is removed (its ballots are dropped lazily).
        func take(_ state: StateOverlay, _ id: UInt64) throws -> TallyResult {
            switch self {
            case let .recount(stake): return try Governance.recount(state, id, stake: stake)
            case let .running(bonded):
                guard let tally = try Governance.runningTally(state, id) else {
                    throw StateFault.corrupt(key: "gov/t", error: RunningTallyError.missingTally(proposal: id))
                }
                try state.set(GovernanceKeys.runningTally(id), nil)
                return tally.result(bonded: bonded)
            }
        }
    }

    /// The tally `id`'s votes so far would give if its voting period ended at `height`, weighed
    /// by the bonds as they stand: what clients show while a proposal is open (read-only).
    public static func currentTally(_ id: UInt64, state: StateReader, height: UInt64) throws -> TallyResult {
        try recount(StateOverlay(base: state), id, height: height)
    }

    /// Tallies one proposal, executes it if it passed, settles its deposits.
    private static func finish(_ state: StateOverlay, _ id: UInt64, params: GovParams, source: TallySource,
                               height: UInt64) throws -> ProposalStatus? {
        guard var record = try proposal(state, id), record.status == .votingPeriod else { return nil }
        let tally = try source.take(state, id)
        record.tally = tally
        record.status = tally.outcome(params)
        if record.status == .passed {
            state.savepoint()
            if let failure = try execute(state, record.content.action, height: height) {
                state.rollback()
                record.status = .failed
                record.executionFailure = failure
            } else {
                state.release()
            }
        }
        try settleDeposits(state, record)
        try setProposal(state, id, record)
        return record.status
    }

    /// Refunds every depositor, or burns the deposits (out of the supply) on veto or expiry. A
    /// refund the balance cap refuses goes to the treasury, which is exempt: a refund never fails.
    static func settleDeposits(_ state: StateOverlay, _ record: ProposalRecord) throws {
        let total = record.totalDeposit
        guard total > .zero else { return }
        if record.status.burnsDeposit {
            let supply = try Bank.supply(state)
            do { try Bank.setSupply(state, try supply.subtracting(total)) } catch {
                throw StateFault.corrupt(key: "bank/supply", error: error)
            }
            return
        }
        let bank = try Bank.params(state)
        for d in record.deposits where d.amount > .zero {
            if try Bank.credit(state, d.depositor, d.amount, params: bank) != nil,
               let f = try Bank.credit(state, bank.treasury, d.amount, params: bank) {
                throw StateFault.corrupt(key: "treasury", error: f)
            }
        }
    }
}

/// The bonded stake a tally weighs: each key of the set that signs this block, weighted by its
/// bond. Read once per block that tallies.
struct BondedStake {
    private let bonds: [PublicKey: UInt64]
    let total: UInt64

    init(_ state: StateOverlay, height: UInt64) throws {
        let set = try Staking.validators(forHeight: height, state)
        var bonds: [PublicKey: UInt64] = [:]
        var total: UInt64 = 0
        for v in set.validators {
            // Peeked, not cached: each record is read once here (a thousand for a full set).
            let raw = try state.peek(StakingKeys.record(v.publicKey))
            let bond = try raw.map { try Bank.decode(ValidatorRecord.self, $0, "staking/val").bond.units } ?? 0
            bonds[v.publicKey] = bond
            // Bonds are part of the supply (≤ 2^63-1): the sum fits.
            total &+= bond
        }
        self.bonds = bonds
        self.total = total
    }

    /// Test seam: a stake table given directly.
    init(bonds: [PublicKey: UInt64]) {
        self.bonds = bonds
        total = bonds.values.reduce(0, &+)
    }

    func weight(_ key: PublicKey) -> UInt64 { bonds[key] ?? 0 }
}
