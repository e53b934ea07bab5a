import AgoraCore

/// Who proposes at (height, round): CometBFT's priority accumulator (smooth weighted
/// round-robin). Each selection adds every validator's power to its priority, picks the highest
/// (ties to the lowest key) and subtracts the total power from the winner. Starting from all-zero
/// priorities this visits each validator exactly `power` times in every `totalPower` selections,
/// spread evenly, and returns to all zeros — so the proposer of selection `s` depends only on
/// `s mod period` and the set. Selection `s` is `(height - 1) + round`.
///
/// Powers are divided by their GCD first (same order, shorter period). Advancing is O(n) per
/// selection; the schedule keeps its position so consecutive heights and rounds cost O(n) each,
/// and only a jump backwards or a new set replays from zero (at most `period` selections).
public struct ProposerSchedule: Sendable {
    public let validators: ValidatorSet
    private let weights: [Int128]
    private let period: UInt64
    private var priorities: [Int128]
    /// Selections applied to `priorities`, modulo `period`.
    private var position: UInt64 = 0

    public init(validators: ValidatorSet) {
        self.validators = validators
        let powers = validators.validators.map(\.power)
        let divisor = powers.reduce(0) { ProposerSchedule.gcd($0, $1) }
        let reduced = powers.map { $0 / divisor }
        weights = reduced.map { Int128($0) }
        period = reduced.reduce(0, +)
        priorities = Array(repeating: 0, count: reduced.count)
    }

    /// The proposer of (height, round); heights start at 1.
    public mutating func proposer(height: UInt64, round: UInt32) -> PublicKey {
        let selection = (height &- 1) % period
        let target = (selection + UInt64(round) % period) % period
        advance(to: target)
        return validators.validators[nextWinner()].publicKey
    }

    private func nextWinner() -> Int {
        var best = 0
        for i in weights.indices where priorities[i] + weights[i] > priorities[best] + weights[best] {
            best = i
        }
        return best
    }

    private mutating func advance(to target: UInt64) {
        if target < position {
            priorities = Array(repeating: 0, count: weights.count)
            position = 0
        }
        let total = Int128(period)
        while position < target {
            let winner = nextWinner()
            for i in priorities.indices { priorities[i] += weights[i] }
            priorities[winner] -= total
            position += 1
        }
    }

    private static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
