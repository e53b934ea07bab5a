import AgoraCore

/// The votes of one kind in one round of the current height: at most one counted vote per
/// validator, and the power behind each block hash (`Hash.zero` is nil). A validator's second,
/// different vote is not counted; it is handed back so the engine can report the equivocation.
struct VoteTally: Sendable {
    private(set) var byValidator: [PublicKey: SignedVote] = [:]
    private(set) var powerFor: [Hash: UInt64] = [:]
    /// Power of every validator that voted, whatever for.
    private(set) var total: UInt64 = 0

    enum Outcome: Sendable {
        case counted
        case repeated
        case conflicts(with: SignedVote)
    }

    mutating func add(_ vote: SignedVote, power: UInt64) -> Outcome {
        if let existing = byValidator[vote.validator] {
            return existing.vote.blockHash == vote.vote.blockHash ? .repeated : .conflicts(with: existing)
        }
        byValidator[vote.validator] = vote
        powerFor[vote.vote.blockHash, default: 0] += power
        total += power
        return .counted
    }

    func power(for hash: Hash) -> UInt64 { powerFor[hash] ?? 0 }

    /// The block (non-nil) hashes with the most power first; ties by hash, for determinism.
    var blockHashesByPower: [Hash] {
        powerFor.filter { $0.key != .zero }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
    }

    /// The commit signatures of the validators that voted for `hash`.
    func signatures(for hash: Hash) -> [CommitSignature] {
        byValidator.values.filter { $0.vote.blockHash == hash }.map(\.commitSignature)
    }
}

/// Quorum arithmetic over a total voting power `T`. "+2/3" means strictly more than two thirds:
/// `3p > 2T`, computed without overflow as `p > floor(2T/3)` (T ≤ 2^63-1, so 2T fits in 64
/// bits). "+1/3" is `p > floor(T/3)`.
public struct QuorumRule: Hashable, Sendable {
    /// Numerator and denominator of the fraction of the power a quorum must exceed.
    let numerator: UInt64
    let denominator: UInt64

    public static let twoThirds = QuorumRule(numerator: 2, denominator: 3)
    /// A deliberately unsafe rule, only for tests that prove the safety checker catches it.
    static let brokenHalf = QuorumRule(numerator: 1, denominator: 2)

    func isQuorum(_ power: UInt64, of total: UInt64) -> Bool {
        power > (total / denominator) * numerator + (total % denominator) * numerator / denominator
    }

    /// More than a third: at least one honest validator when at most a third is faulty.
    func isOneThird(_ power: UInt64, of total: UInt64) -> Bool { power > total / 3 }
}
