import AgoraCore
import AgoraCrypto

/// Double-sign evidence: the checks that make it includable, and the punishment. Invalid
/// evidence is refused (not includable), never "included as failed": it carries no fee, so a
/// block must not be able to hold any that does nothing. Punishment burns
/// `doubleSignSlashBps` of the bond, tombstones the key and removes it from the working set.
extension Staking {
    /// The checks that need no state: fee zero, both signatures, our chain. Part of
    /// `TransactionExecutor.admissible`, so the mempool runs them too.
    static func statelessRejection(_ evidence: DuplicateVoteEvidence, fee: Amount, chainID: String) -> Rejection? {
        if fee != .zero { return .evidenceFeeMustBeZero(fee) }
        guard evidence.chainID == chainID else { return .invalidEvidence(.wrongChain(expected: chainID, found: evidence.chainID)) }
        for vote in [evidence.first, evidence.second] where !vote.hasValidSignature {
            return .invalidEvidence(.badSignature(validator: vote.validator, blockHash: vote.vote.blockHash))
        }
        return nil
    }

    /// The checks against state for evidence included at `height`: within the window, the
    /// offender in the set of the evidence height, not punished already. The mempool calls it
    /// with committed state and the next height.
    public static func evidenceRejection(_ evidence: DuplicateVoteEvidence, chainID: String, height: UInt64,
                                         state: StateReader) throws -> Rejection? {
        try evidenceRejection(evidence, chainID: chainID, height: height, StateOverlay(base: state))
    }

    static func evidenceRejection(_ evidence: DuplicateVoteEvidence, chainID: String, height: UInt64,
                                  _ state: StateOverlay) throws -> Rejection? {
        let params = try params(state)
        let h = evidence.height
        guard h >= 1, h <= height else { return .evidenceFromFuture(height: h, current: height) }
        guard height - h <= params.maxEvidenceAge else {
            return .evidenceTooOld(height: h, current: height, maxAge: params.maxEvidenceAge)
        }
        let set: ValidatorSet
        do { set = try validators(forHeight: h, state) } catch is StakingQueryError {
            return .evidenceTooOld(height: h, current: height, maxAge: params.maxEvidenceAge)
        }
        do { try evidence.checkShape(validators: set, chainID: chainID) } catch { return .invalidEvidence(error) }
        let (_, record) = try bondHolder(state, of: evidence.validator, maxSteps: params.maxEvidenceAge)
        let offender = try Staking.record(state, evidence.validator)
        if record.tombstoned || offender?.tombstoned == true {
            return .evidenceAlreadyPunished(evidence.validator)
        }
        return nil
    }

    /// The key that holds the offender's bond now: itself, or the end of its rotations.
    static func bondHolder(_ state: StateOverlay, of key: PublicKey, maxSteps: UInt64) throws -> (PublicKey, ValidatorRecord) {
        var holder = key
        var record = try record(state, key) ?? .empty
        var steps: UInt64 = 0
        // Each rotation needs a block, so a chain of rotations within the window is short;
        // the bound only guards against a corrupt cycle.
        while let next = record.rotatedTo, steps <= maxSteps + 3 {
            holder = next
            record = try Staking.record(state, next) ?? .empty
            steps += 1
        }
        return (holder, record)
    }

    /// Burns the slash from the holder's bond (and from the supply), tombstones the offender and
    /// the holder, and takes the holder out of the working set — unless it is the last
    /// validator: a chain with no validators could never make the block that adds one, so it
    /// stays (tombstoned, slashed) until the admin adds another and removes it. Returns the
    /// amount burned.
    @discardableResult
    static func punish(_ state: StateOverlay, _ evidence: DuplicateVoteEvidence) throws -> Amount {
        let params = try params(state)
        let offender = evidence.validator
        var (holder, record) = try bondHolder(state, of: offender, maxSteps: params.maxEvidenceAge)
        let slash = record.bond.basisPoints(params.doubleSignSlashBps)
        record.bond = try record.bond.subtracting(slash)
        record.tombstoned = true
        try setRecord(state, holder, record)
        if holder != offender, var offenderRecord = try Staking.record(state, offender) {
            offenderRecord.tombstoned = true
            try setRecord(state, offender, offenderRecord)
        }
        try Bank.setSupply(state, try Bank.supply(state).subtracting(slash))
        let working = try workingSet(state)
        let remaining = working.validators.filter { $0.publicKey != holder && $0.publicKey != offender }
        if remaining.count != working.validators.count, case let .success(set) = try validSet(remaining) {
            try setWorkingSet(state, set)
        }
        return slash
    }
}
