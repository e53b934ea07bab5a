import AgoraCore

/// The validator sets by the height they took effect, kept for as long as evidence about them
/// can arrive (`maxEvidenceAge`) and so that a node can verify its head's commit at start-up.
///
/// State holds point reads only, so the history is an index (`staking/epochs`, ascending
/// heights) plus one entry per set (`staking/set/<height>`). A set is written only when it
/// changes, so a chain whose set never changes keeps exactly one.
struct ValidatorHistory {
    /// Ascending, never empty once genesis has run.
    var epochs: [UInt64]

    static func load(_ state: StateOverlay) throws -> ValidatorHistory {
        guard let raw = try state.get(StakingKeys.epochs) else { throw StateFault.missing("staking/epochs") }
        var reader = CanonicalReader(raw)
        let epochs: [UInt64]
        do {
            epochs = try reader.readArray(UInt64.self, "staking/epochs", limit: Int(Limits.maxEvidenceAge) + 3)
            try reader.finish("staking/epochs")
        } catch { throw StateFault.corrupt(key: "staking/epochs", error: error) }
        guard !epochs.isEmpty, zip(epochs, epochs.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw StateFault.corrupt(key: "staking/epochs", error: StakingQueryError.historyNotAscending)
        }
        return ValidatorHistory(epochs: epochs)
    }

    func store(_ state: StateOverlay) throws {
        var w = CanonicalWriter(capacity: 8 * epochs.count + 4)
        w.writeArray(epochs)
        try state.set(StakingKeys.epochs, w.bytes)
    }

    /// The height at which the set in force at `height` took effect.
    func epoch(containing height: UInt64) throws(StakingQueryError) -> UInt64 {
        guard let e = epochs.last(where: { $0 <= height }) else {
            throw .heightBeforeHistory(height: height, oldest: epochs.first ?? 0)
        }
        return e
    }

    static func set(_ state: StateOverlay, effectiveAt epoch: UInt64) throws -> ValidatorSet {
        guard let raw = try state.get(StakingKeys.set(effectiveAt: epoch)) else { throw StateFault.missing("staking/set/\(epoch)") }
        return try Bank.decode(ValidatorSet.self, raw, "staking/set/\(epoch)")
    }

    /// The retained sets that were or will be in force at some height in `range`.
    func sets(_ state: StateOverlay, overlapping range: ClosedRange<UInt64>) throws -> [ValidatorSet] {
        var out: [ValidatorSet] = []
        for (i, start) in epochs.enumerated() {
            let end = i + 1 < epochs.count ? epochs[i + 1] - 1 : UInt64.max
            if start <= range.upperBound, end >= range.lowerBound {
                out.append(try ValidatorHistory.set(state, effectiveAt: start))
            }
        }
        return out
    }

    /// End of block `height`: the working set becomes the set for `height + 2` if it differs
    /// from the one in force, and sets no longer needed for evidence are dropped.
    static func endBlock(_ state: StateOverlay, height: UInt64, maxEvidenceAge: UInt64) throws {
        var history = try load(state)
        var changed = false
        guard let working = try state.get(StakingKeys.working) else { throw StateFault.missing("staking/working") }
        let latest = history.epochs[history.epochs.count - 1]
        // Blocks execute in order, so the latest set took effect at most at `height + 1`.
        let effective = height + 2
        guard latest < effective else { throw StateFault.corrupt(key: "staking/epochs", error: StakingQueryError.historyAhead(latest)) }
        if try state.get(StakingKeys.set(effectiveAt: latest)) != working {
            try state.set(StakingKeys.set(effectiveAt: effective), working)
            history.epochs.append(effective)
            changed = true
        }
        // Block `height + 1` may carry evidence from `height + 1 - maxEvidenceAge` on: keep the
        // set in force then and everything after.
        let oldestNeeded = height + 1 >= maxEvidenceAge ? height + 1 - maxEvidenceAge : 0
        while history.epochs.count > 1, history.epochs[1] <= oldestNeeded {
            try state.set(StakingKeys.set(effectiveAt: history.epochs.removeFirst()), nil)
            changed = true
        }
        if changed { try history.store(state) }
    }
}

/// A question about validator sets that the retained history cannot answer.
public enum StakingQueryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The set in force at `height` was pruned (older than the evidence window) or `height` is 0.
    case heightBeforeHistory(height: UInt64, oldest: UInt64)
    case historyNotAscending
    case historyAhead(UInt64)

    public var description: String {
        switch self {
        case let .heightBeforeHistory(h, oldest): return "no validator set is kept for height \(h); the oldest starts at \(oldest)"
        case .historyNotAscending: return "validator set history is not in ascending order"
        case let .historyAhead(h): return "validator set history already has a set effective at \(h)"
        }
    }
}
