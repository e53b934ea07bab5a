import AgoraCore

/// The staking payloads a sender pays a fee for: admin updates of the set, bonding, unbonding
/// and key rotation. Each returns nil or why it failed (the executor then rolls the payload back
/// and the fee stays paid); each change to the set goes to the working set, in force at H+2.
extension Staking {
    static func updateValidator(_ state: StateOverlay, sender: PublicKey, key: PublicKey, power: UInt64) throws -> ExecutionFailure? {
        let params = try params(state)
        guard let admin = params.admin, sender.address == admin else { return .notStakingAdmin(sender: sender.address) }
        return try setPower(state, key: key, power: power)
    }

    /// Sets `key`'s power in the working set (0 removes it), under the same rules whoever asks:
    /// the staking admin (chains without governance) or a passed governance proposal.
    static func setPower(_ state: StateOverlay, key: PublicKey, power: UInt64) throws -> ExecutionFailure? {
        let params = try params(state)
        let working = try workingSet(state)
        var list = working.validators.filter { $0.publicKey != key }
        if power == 0 {
            guard working.contains(key) else { return .notAValidator(key) }
        } else {
            let record = try record(state, key) ?? .empty
            if record.tombstoned { return .keyTombstoned(key) }
            if record.isRetired { return .keyRetired(key) }
            guard record.bond >= params.minBond else { return .insufficientBond(bond: record.bond, minimum: params.minBond) }
            list.append(Validator(publicKey: key, power: power))
            // Every key that enters a set has a record, so rotation and evidence can find it.
            try setRecord(state, key, record)
        }
        switch try validSet(list) {
        case let .success(set): try setWorkingSet(state, set)
        case let .failure(failure): return failure
        }
        return nil
    }

    /// A set staking may produce: what `ValidatorSet` accepts, within the total power bound.
    static func validSet(_ list: [Validator]) throws -> Result<ValidatorSet, ExecutionFailure> {
        let set: ValidatorSet
        do { set = try ValidatorSet(list) } catch {
            switch error {
            case .empty: return .failure(.validatorSetWouldBeEmpty)
            case .tooMany: return .failure(.tooManyValidators(limit: UInt32(Limits.maxValidators)))
            case .totalPowerOverflow: return .failure(.totalPowerTooHigh(maximum: Limits.maxTotalVotingPower))
            // Callers drop the key before re-adding it and never add power 0, so only a damaged
            // working set can produce these.
            case .duplicate, .zeroPower: throw StateFault.corrupt(key: "staking/working", error: error)
            }
        }
        guard set.totalPower <= Limits.maxTotalVotingPower else { return .failure(.totalPowerTooHigh(maximum: Limits.maxTotalVotingPower)) }
        return .success(set)
    }

    static func bond(_ state: StateOverlay, key: PublicKey, amount: Amount) throws -> ExecutionFailure? {
        guard amount > .zero else { return .zeroAmount }
        var record = try record(state, key) ?? .empty
        if record.tombstoned { return .keyTombstoned(key) }
        if record.isRetired { return .keyRetired(key) }
        var account = try Bank.account(state, key.address)
        guard let left = try? account.balance.subtracting(amount) else {
            return .insufficientBalance(balance: account.balance, needed: amount)
        }
        // Balances and bonds together are the supply, which is at most 2^63-1: no overflow.
        record.bond = try record.bond.adding(amount)
        account.balance = left
        try Bank.setAccount(state, key.address, account)
        try setRecord(state, key, record)
        return nil
    }

    static func unbond(_ state: StateOverlay, key: PublicKey, amount: Amount, height: UInt64, bank: BankParams) throws -> ExecutionFailure? {
        guard amount > .zero else { return .zeroAmount }
        guard var record = try record(state, key) else { return .unbondAboveBond(bond: .zero, requested: amount) }
        guard let remaining = try? record.bond.subtracting(amount) else {
            return .unbondAboveBond(bond: record.bond, requested: amount)
        }
        let params = try params(state)
        if remaining < params.minBond, try isAnswerable(state, key: key, height: height, maxEvidenceAge: params.maxEvidenceAge) {
            return .bondLocked(key)
        }
        record.bond = remaining
        try setRecord(state, key, record)
        return try Bank.credit(state, key.address, amount, params: bank)
    }

    /// Whether `key`, or a key it rotated from, is in a set in force at any height from the
    /// oldest that evidence may still name up to the working set: its bond must stay slashable.
    static func isAnswerable(_ state: StateOverlay, key: PublicKey, height: UInt64, maxEvidenceAge: UInt64) throws -> Bool {
        var keys: [PublicKey] = [key]
        var current = try record(state, key)
        while let previous = current?.rotatedFrom, keys.count <= Int(maxEvidenceAge) + 3, !keys.contains(previous) {
            keys.append(previous)
            current = try record(state, previous)
        }
        let oldest = height >= maxEvidenceAge ? height - maxEvidenceAge : 0
        var sets = try ValidatorHistory.load(state).sets(state, overlapping: oldest...(height + 2))
        sets.append(try workingSet(state))
        return sets.contains { set in keys.contains { set.contains($0) } }
    }

    /// The proof was checked at admission; here the sender must be an active, unpunished
    /// validator and the new key must never have bonded or validated.
    static func rotate(_ state: StateOverlay, from old: PublicKey, to new: PublicKey) throws -> ExecutionFailure? {
        let working = try workingSet(state)
        guard working.contains(old) else { return .notAValidator(old) }
        var oldRecord = try record(state, old) ?? .empty
        if oldRecord.tombstoned { return .keyTombstoned(old) }
        let existing = try record(state, new)
        if new == old || working.contains(new) || existing != nil { return .rotationTargetInUse(new) }
        let list = working.validators.map { $0.publicKey == old ? Validator(publicKey: new, power: $0.power) : $0 }
        switch try validSet(list) {
        case let .success(set): try setWorkingSet(state, set)
        case let .failure(failure): return failure
        }
        try setRecord(state, new, ValidatorRecord(bond: oldRecord.bond, tombstoned: false, rotatedTo: nil, rotatedFrom: old))
        oldRecord.bond = .zero
        oldRecord.rotatedTo = new
        try setRecord(state, old, oldRecord)
        return nil
    }
}
