import AgoraCore

/// The votes of one kind in one round of the current height. Each validator's first vote
/// counts towards "any" power (`total`, for the timeout rules) once. A later, different vote
/// from the same validator is an equivocation: it is handed back for evidence, and it is also
/// counted towards its own block — once — when the caller says that block is a real proposal
/// of this height. Counting an equivocator for two blocks is safe (two +2/3 sets still share an
/// honest validator, who never votes twice) and it is what keeps honest nodes live when a
/// Byzantine validator showed each half of them a different vote: without it one half could
/// never see the polka the other half locked on (CometBFT reaches the same end through peers'
/// "+2/3 for this block" claims). The proposal condition bounds memory: per validator, round
/// and kind at most one vote per proposed block plus one first vote.
struct VoteTally: Sendable {
    private(set) var first: [PublicKey: SignedVote] = [:]
    private(set) var voters: [Hash: [PublicKey: SignedVote]] = [:]
    private(set) var powerFor: [Hash: UInt64] = [:]
    /// Power of every validator that voted, whatever for, each once.
    private(set) var total: UInt64 = 0

    enum Outcome: Sendable {
        case counted
        case repeated
        case conflicts(with: SignedVote)
    }

    mutating func add(_ vote: SignedVote, power: UInt64, countIfConflicting: Bool) -> Outcome {
        let hash = vote.vote.blockHash
        if voters[hash]?[vote.validator] != nil { return .repeated }
        if let existing = first[vote.validator] {
            if countIfConflicting { record(vote, power: power) }
            return .conflicts(with: existing)
        }
        first[vote.validator] = vote
        total += power
        record(vote, power: power)
        return .counted
    }

    private mutating func record(_ vote: SignedVote, power: UInt64) {
        voters[vote.vote.blockHash, default: [:]][vote.validator] = vote
        powerFor[vote.vote.blockHash, default: 0] += power
    }

    func power(for hash: Hash) -> UInt64 { powerFor[hash] ?? 0 }

    /// Validators that voted at all in this round and kind.
    var validators: Dictionary<PublicKey, SignedVote>.Keys { first.keys }

    /// The block (non-nil) hashes with the most power first; ties by hash, for determinism.
    var blockHashesByPower: [Hash] {
        powerFor.filter { $0.key != .zero }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
    }

    /// The votes for `hash`, sorted by validator.
    func votes(for hash: Hash) -> [SignedVote] {
        (voters[hash] ?? [:]).values.sorted { $0.validator < $1.validator }
    }

    /// The commit signatures of the validators that voted for `hash`.
    func signatures(for hash: Hash) -> [CommitSignature] { votes(for: hash).map(\.commitSignature) }
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
    package static let brokenHalf = QuorumRule(numerator: 1, denominator: 2)

    func isQuorum(_ power: UInt64, of total: UInt64) -> Bool {
        power > (total / denominator) * numerator + (total % denominator) * numerator / denominator
    }

    /// More than a third: at least one honest validator when at most a third is faulty.
    func isOneThird(_ power: UInt64, of total: UInt64) -> Bool { power > total / 3 }
}
