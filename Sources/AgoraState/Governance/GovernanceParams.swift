import AgoraCore

/// The chain parameters a proposal may change, read together and written back together: each
/// `ParamKey` has bounds (some depend on other parameters, e.g. the faucet grant stays under the
/// balance cap) and one field it sets. A parameter-change proposal is checked against these
/// bounds at submission and again when it executes; any change out of bounds fails the whole
/// proposal, so no chain ever holds a fee of 200% or a voting period of zero. The consensus
/// timeouts and block limits (`ConsensusParams`) are set only once a proposal names them.
struct ChainParams: Equatable {
    var bank: BankParams
    var staking: StakingParams
    var gov: GovParams
    var consensus = ConsensusParams()

    static func load(_ state: StateOverlay) throws -> ChainParams {
        ChainParams(bank: try Bank.params(state), staking: try Staking.params(state), gov: try Governance.requireParams(state),
                    consensus: try ConsensusParams.load(state))
    }

    /// Writes back the sections that differ from `loaded` (what `load` returned): a change of
    /// one key re-encodes one record, not four. Skipping an unchanged section writes the same
    /// state, since it already holds those bytes.
    func store(_ state: StateOverlay, loaded: ChainParams) throws {
        if bank != loaded.bank { try state.set(BankKeys.params, bank.canonicalBytes) }
        if staking != loaded.staking { try state.set(StakingKeys.params, staking.canonicalBytes) }
        if gov != loaded.gov { try state.set(GovernanceKeys.params, gov.canonicalBytes) }
        if consensus != loaded.consensus { try consensus.store(state) }
    }

    /// The values `key` may take given the other parameters as they stand.
    func bounds(_ key: ParamKey) -> ClosedRange<UInt64> {
        let supply = bank.maxTotalSupply.units
        switch key {
        case .bankTransferFeeBps, .stakingDoubleSignSlashBps: return 0...10_000
        case .bankMinFee, .bankBlockReward, .stakingMinBond: return 0...supply
        case .bankFaucetAmount: return 0...bank.maxAccountBalance.units
        case .stakingMaxEvidenceAge: return 1...Limits.maxEvidenceAge
        case .govMinDeposit: return 1...supply
        case .govDepositPeriod, .govVotingPeriod: return 1...GovernanceLimits.maxPeriod
        case .govQuorumBps, .govThresholdBps, .govVetoBps: return 1...10_000
        case .govMaxEndingPerHeight: return 1...GovernanceLimits.maxEndingPerHeight
        case .consensusTimeoutProposeMs, .consensusTimeoutProposeDeltaMs, .consensusTimeoutPrevoteMs, .consensusTimeoutPrevoteDeltaMs,
             .consensusTimeoutPrecommitMs, .consensusTimeoutPrecommitDeltaMs, .blockMaxTransactions, .blockMaxBytes:
            // `ConsensusParams.bounds` knows every consensus and block key.
            return ConsensusParams.bounds(key) ?? 0...0
        }
    }

    /// The value in force, or nil for a consensus or block key no proposal has set (each node's
    /// configuration or the protocol's constant applies), and for the proposal cap of a chain
    /// whose parameters predate it (no cap).
    func value(_ key: ParamKey) -> UInt64? {
        switch key {
        case .bankTransferFeeBps: return UInt64(bank.transferFeeBps)
        case .bankMinFee: return bank.minFee.units
        case .bankFaucetAmount: return bank.faucetAmount.units
        case .bankBlockReward: return bank.blockReward.units
        case .stakingMinBond: return staking.minBond.units
        case .stakingDoubleSignSlashBps: return UInt64(staking.doubleSignSlashBps)
        case .stakingMaxEvidenceAge: return staking.maxEvidenceAge
        case .govMinDeposit: return gov.minDeposit.units
        case .govDepositPeriod: return gov.depositPeriod
        case .govVotingPeriod: return gov.votingPeriod
        case .govQuorumBps: return UInt64(gov.quorumBps)
        case .govThresholdBps: return UInt64(gov.thresholdBps)
        case .govVetoBps: return UInt64(gov.vetoBps)
        case .govMaxEndingPerHeight: return gov.maxEndingPerHeight
        case .consensusTimeoutProposeMs, .consensusTimeoutProposeDeltaMs, .consensusTimeoutPrevoteMs, .consensusTimeoutPrevoteDeltaMs,
             .consensusTimeoutPrecommitMs, .consensusTimeoutPrecommitDeltaMs, .blockMaxTransactions, .blockMaxBytes:
            return consensus[key]
        }
    }

    /// Sets one parameter, or says why it is out of bounds (then nothing is set).
    mutating func set(_ change: ParamChange) -> ExecutionFailure? {
        let range = bounds(change.key)
        guard range.contains(change.value) else {
            return .paramOutOfRange(key: change.key, value: change.value, min: range.lowerBound, max: range.upperBound)
        }
        // In range means ≤ 10,000 for the basis-point keys and ≤ 2^63-1 for the amounts.
        let v = change.value
        let amount = Amount(v) ?? .max
        switch change.key {
        case .bankTransferFeeBps: bank.transferFeeBps = UInt16(v)
        case .bankMinFee: bank.minFee = amount
        case .bankFaucetAmount: bank.faucetAmount = amount
        case .bankBlockReward: bank.blockReward = amount
        case .stakingMinBond: staking.minBond = amount
        case .stakingDoubleSignSlashBps: staking.doubleSignSlashBps = UInt16(v)
        case .stakingMaxEvidenceAge: staking.maxEvidenceAge = v
        case .govMinDeposit: gov.minDeposit = amount
        case .govDepositPeriod: gov.depositPeriod = v
        case .govVotingPeriod: gov.votingPeriod = v
        case .govQuorumBps: gov.quorumBps = UInt16(v)
        case .govThresholdBps: gov.thresholdBps = UInt16(v)
        case .govVetoBps: gov.vetoBps = UInt16(v)
        case .govMaxEndingPerHeight: gov.maxEndingPerHeight = v
        case .consensusTimeoutProposeMs, .consensusTimeoutProposeDeltaMs, .consensusTimeoutPrevoteMs, .consensusTimeoutPrevoteDeltaMs,
             .consensusTimeoutPrecommitMs, .consensusTimeoutPrecommitDeltaMs, .blockMaxTransactions, .blockMaxBytes:
            consensus.set(change.key, v)
        }
        return nil
    }

    /// Applies every change in order (each checked against the bounds the earlier ones left).
    mutating func apply(_ changes: [ParamChange]) -> ExecutionFailure? {
        for change in changes { if let f = set(change) { return f } }
        return nil
    }
}
