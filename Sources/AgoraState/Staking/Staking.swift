import AgoraCore

/// The staking module: bonds per key, the validator sets by height, and the rules that change
/// them — admin updates, key rotation and slashing on evidence. A change made by block H's
/// transactions lands in the working set and takes effect at height H+2 (CometBFT's EndBlock
/// timing), so the validators of H+1 are always known when block H commits. Like the bank, it
/// works on a `StateOverlay` and knows nothing of storage; this file is its read API.
public enum Staking {
    public static func params(_ state: StateReader) throws -> StakingParams { try params(StateOverlay(base: state)) }

    /// The set that signs block `height`. After block H executed this is exact for every height
    /// up to H+2 and for older heights back to the evidence window; past H+2 it is the latest
    /// set known, which later blocks may still change.
    public static func validators(forHeight height: UInt64, state: StateReader) throws -> ValidatorSet {
        try validators(forHeight: height, StateOverlay(base: state))
    }

    /// The set as the transactions so far leave it: what signs from H+2 after block H.
    public static func workingSet(_ state: StateReader) throws -> ValidatorSet { try workingSet(StateOverlay(base: state)) }

    /// A key's bond and standing, or nil for a key that never bonded or validated.
    public static func record(_ key: PublicKey, state: StateReader) throws -> ValidatorRecord? {
        try record(StateOverlay(base: state), key)
    }

    public static func status(of key: PublicKey, state: StateReader) throws -> ValidatorStatus? {
        let overlay = StateOverlay(base: state)
        guard let r = try record(overlay, key) else { return nil }
        if r.tombstoned { return .tombstoned }
        if try workingSet(overlay).contains(key) { return .active }
        return r.isRetired ? .rotated : .inactive
    }

    /// Heights whose sets are retained, ascending: the first is the oldest height answerable.
    public static func retainedEpochs(_ state: StateReader) throws -> [UInt64] {
        try ValidatorHistory.load(StateOverlay(base: state)).epochs
    }

    // MARK: Overlay access for the executor

    static func params(_ state: StateOverlay) throws -> StakingParams {
        guard let raw = try state.get(StakingKeys.params) else { throw StateFault.missing("staking/params") }
        return try Bank.decode(StakingParams.self, raw, "staking/params")
    }

    static func validators(forHeight height: UInt64, _ state: StateOverlay) throws -> ValidatorSet {
        let history = try ValidatorHistory.load(state)
        return try ValidatorHistory.set(state, effectiveAt: try history.epoch(containing: height))
    }

    static func workingSet(_ state: StateOverlay) throws -> ValidatorSet {
        guard let raw = try state.get(StakingKeys.working) else { throw StateFault.missing("staking/working") }
        return try Bank.decode(ValidatorSet.self, raw, "staking/working")
    }

    static func setWorkingSet(_ state: StateOverlay, _ set: ValidatorSet) throws {
        try state.set(StakingKeys.working, set.canonicalBytes)
    }

    static func record(_ state: StateOverlay, _ key: PublicKey) throws -> ValidatorRecord? {
        guard let raw = try state.get(StakingKeys.record(key)) else { return nil }
        return try Bank.decode(ValidatorRecord.self, raw, "staking/val")
    }

    /// Every change of a bond goes through here, so governance's running tally follows it.
    static func setRecord(_ state: StateOverlay, _ key: PublicKey, _ record: ValidatorRecord) throws {
        let old = try Self.record(state, key)?.bond.units ?? 0
        try state.set(StakingKeys.record(key), record.canonicalBytes)
        try Governance.bondChanged(state, key: key, from: old, to: record.bond.units)
    }

    /// Runs at the end of every block, after its transactions.
    static func endBlock(_ state: StateOverlay, height: UInt64) throws {
        try ValidatorHistory.endBlock(state, height: height, maxEvidenceAge: try params(state).maxEvidenceAge)
    }

    /// The genesis entries: params, one record per validator, and the first set, in force from
    /// height 1.
    static func genesisEntries(params: StakingParams, set: ValidatorSet, bonds: [PublicKey: Amount]) -> [WriteSet.Entry] {
        var entries: [WriteSet.Entry] = [
            .init(key: StakingKeys.params, value: params.canonicalBytes, previous: nil),
            .init(key: StakingKeys.working, value: set.canonicalBytes, previous: nil),
            .init(key: StakingKeys.set(effectiveAt: 1), value: set.canonicalBytes, previous: nil),
        ]
        var epochs = CanonicalWriter()
        epochs.writeArray([UInt64(1)])
        entries.append(.init(key: StakingKeys.epochs, value: epochs.bytes, previous: nil))
        for v in set.validators {
            let record = ValidatorRecord(bond: bonds[v.publicKey] ?? .zero, tombstoned: false, rotatedTo: nil, rotatedFrom: nil)
            entries.append(.init(key: StakingKeys.record(v.publicKey), value: record.canonicalBytes, previous: nil))
        }
        return entries
    }
}
