import AgoraCore

/// The rules that keep the running tally (GovernanceRunningTally.swift) equal to a recount: a
/// vote moves its voter's weight between options; a bond change of a member of the signing set
/// reweighs the voter's open ballots and the bonded total; at the end of each block the change
/// to the next block's signing set reweighs the keys that leave or join it. The recount itself
/// (`recount`) stays here as the reference the tests compare against and the path of chains
/// without `gov/ts`.
extension Governance {
    // MARK: Records

    static func tallyState(_ state: StateOverlay) throws -> TallyState? {
        guard let raw = try state.get(GovernanceKeys.tallyState) else { return nil }
        return try Bank.decode(TallyState.self, raw, "gov/ts")
    }

    static func runningTally(_ state: StateOverlay, _ id: UInt64) throws -> RunningTally? {
        guard let raw = try state.get(GovernanceKeys.runningTally(id)) else { return nil }
        return try Bank.decode(RunningTally.self, raw, "gov/t")
    }

    static func voterBallots(_ state: StateOverlay, _ voter: PublicKey) throws -> VoterBallots? {
        guard let raw = try state.get(GovernanceKeys.ballots(voter)) else { return nil }
        return try Bank.decode(VoterBallots.self, raw, "gov/w")
    }

    static func setVoterBallots(_ state: StateOverlay, _ voter: PublicKey, _ record: VoterBallots) throws {
        try state.set(GovernanceKeys.ballots(voter), record.ballots.isEmpty ? nil : record.canonicalBytes)
    }

    /// The genesis entry that switches the running tally on: the first set and its bonded stake.
    static func tallyGenesisEntry(set: ValidatorSet, bonds: [PublicKey: Amount]) -> WriteSet.Entry {
        // Bonds are part of the supply (≤ 2^63-1): the sum fits.
        let bonded = set.validators.reduce(UInt64(0)) { $0 &+ (bonds[$1.publicKey]?.units ?? 0) }
        return .init(key: GovernanceKeys.tallyState, value: TallyState(epoch: 1, bonded: bonded).canonicalBytes, previous: nil)
    }

    // MARK: Reference

    /// The tally of `id`'s votes if its period ended at `height`, counted from scratch: every
    /// vote weighed by its voter's bond if the voter is in the set signing `height`, over the
    /// bonds of that set.
    static func recount(_ state: StateOverlay, _ id: UInt64, height: UInt64) throws -> TallyResult {
        try recount(state, id, stake: try BondedStake(state, height: height))
    }

    static func recount(_ state: StateOverlay, _ id: UInt64, stake: BondedStake) throws -> TallyResult {
        TallyResult(votes: try votes(state, id).map { (stake.weight($0.voter), $0.option) }, bonded: stake.total)
    }

    // MARK: Updates

    /// A vote (new or changed) by `voter`, whose weight now is `weight` (its bond: it is in the
    /// signing set), on proposal `id` in its voting period through `votingEnd`, cast at `height`.
    /// Ballots of periods that ended before `height` are dropped from the voter's record.
    static func recordVote(_ state: StateOverlay, voter: PublicKey, proposal id: UInt64, votingEnd: UInt64, option: VoteOption,
                           weight: UInt64, height: UInt64) throws {
        guard try tallyState(state) != nil else { return }
        // Already equal unless the invariant was broken; reweighing keeps every ballot right either way.
        try reweigh(state, voter, to: weight)
        var record = try voterBallots(state, voter) ?? VoterBallots(weight: weight, ballots: [])
        record.ballots.removeAll { $0.votingEnd < height }
        guard var tally = try runningTally(state, id) else {
            throw StateFault.corrupt(key: "gov/t", error: RunningTallyError.missingTally(proposal: id))
        }
        let previous: VoteOption?
        if let i = record.ballots.firstIndex(where: { $0.proposal >= id }), record.ballots[i].proposal == id {
            previous = record.ballots[i].option
            record.ballots[i].option = option
        } else {
            previous = nil
            let at = record.ballots.firstIndex { $0.proposal > id } ?? record.ballots.count
            record.ballots.insert(Ballot(proposal: id, votingEnd: votingEnd, option: option), at: at)
        }
        try move(&tally, id, remove: weight, from: previous, add: weight, to: option)
        try state.set(GovernanceKeys.runningTally(id), tally.canonicalBytes)
        try setVoterBallots(state, voter, record)
    }

    /// Sets `voter`'s weight to `weight`, moving each of its open ballots by the difference;
    /// ballots whose proposal has ended (no running tally) are dropped. No record: nothing.
    static func reweigh(_ state: StateOverlay, _ voter: PublicKey, to weight: UInt64) throws {
        guard var record = try voterBallots(state, voter), record.weight != weight else { return }
        var kept: [Ballot] = []
        kept.reserveCapacity(record.ballots.count)
        for b in record.ballots {
            guard var tally = try runningTally(state, b.proposal) else { continue }
            try move(&tally, b.proposal, remove: record.weight, from: b.option, add: weight, to: b.option)
            try state.set(GovernanceKeys.runningTally(b.proposal), tally.canonicalBytes)
            kept.append(b)
        }
        record.weight = weight
        record.ballots = kept
        try setVoterBallots(state, voter, record)
    }

    private static func move(_ tally: inout RunningTally, _ id: UInt64, remove old: UInt64, from: VoteOption?, add new: UInt64,
                             to: VoteOption?) throws {
        do { try tally.move(proposal: id, remove: old, from: from, add: new, to: to) } catch {
            throw StateFault.corrupt(key: "gov/t", error: error)
        }
    }

    /// Staking changed `key`'s bond from `old` to `new` in this block. If `key` is in the set
    /// the weights are for, its weight (and the bonded stake) follow; otherwise its weight is 0
    /// either way and nothing moves.
    static func bondChanged(_ state: StateOverlay, key: PublicKey, from old: UInt64, to new: UInt64) throws {
        guard old != new, var ts = try tallyState(state) else { return }
        guard try ValidatorHistory.set(state, effectiveAt: ts.epoch).contains(key) else { return }
        ts.bonded = try adjusted(ts.bonded, remove: old, add: new)
        try state.set(GovernanceKeys.tallyState, ts.canonicalBytes)
        try reweigh(state, key, to: new)
    }

    /// End of block `height`, after its tallies: if block `height + 1` is signed by another set,
    /// the keys that leave it weigh 0 from now and the keys that join it weigh their bond.
    static func advanceTally(_ state: StateOverlay, height: UInt64) throws {
        guard var ts = try tallyState(state) else { return }
        let next = try ValidatorHistory.load(state).epoch(containing: height + 1)
        guard next != ts.epoch else { return }
        let old = try ValidatorHistory.set(state, effectiveAt: ts.epoch).validators.map(\.publicKey)
        let new = try ValidatorHistory.set(state, effectiveAt: next).validators.map(\.publicKey)
        let oldKeys = Set(old), newKeys = Set(new)
        // Both lists are sorted by key: every node walks them in the same order.
        for key in old where !newKeys.contains(key) {
            ts.bonded = try adjusted(ts.bonded, remove: try bond(state, key), add: 0)
            try reweigh(state, key, to: 0)
        }
        for key in new where !oldKeys.contains(key) {
            let b = try bond(state, key)
            ts.bonded = try adjusted(ts.bonded, remove: 0, add: b)
            try reweigh(state, key, to: b)
        }
        ts.epoch = next
        try state.set(GovernanceKeys.tallyState, ts.canonicalBytes)
    }

    private static func bond(_ state: StateOverlay, _ key: PublicKey) throws -> UInt64 {
        try Staking.record(state, key)?.bond.units ?? 0
    }

    private static func adjusted(_ total: UInt64, remove: UInt64, add: UInt64) throws -> UInt64 {
        guard total >= remove else {
            throw StateFault.corrupt(key: "gov/ts", error: RunningTallyError.bondedUnderflow(holds: total, removing: remove))
        }
        // Bonds are part of the supply (≤ 2^63-1): the sum fits.
        return (total - remove) &+ add
    }
}
