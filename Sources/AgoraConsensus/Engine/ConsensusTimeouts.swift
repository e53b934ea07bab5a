/// How long each step of a round waits before giving up, in milliseconds. Every timeout grows
/// linearly with the round (`base + round * delta`) so that after the network stabilises some
/// round is long enough for an honest proposer's block and the votes on it to arrive.
public struct ConsensusTimeouts: Hashable, Sendable, Codable {
    public var proposeBase: UInt64
    public var proposeDelta: UInt64
    public var prevoteBase: UInt64
    public var prevoteDelta: UInt64
    public var precommitBase: UInt64
    public var precommitDelta: UInt64

    public init(proposeBase: UInt64 = 3_000, proposeDelta: UInt64 = 500,
                prevoteBase: UInt64 = 1_000, prevoteDelta: UInt64 = 500,
                precommitBase: UInt64 = 1_000, precommitDelta: UInt64 = 500) {
        self.proposeBase = proposeBase
        self.proposeDelta = proposeDelta
        self.prevoteBase = prevoteBase
        self.prevoteDelta = prevoteDelta
        self.precommitBase = precommitBase
        self.precommitDelta = precommitDelta
    }

    /// CometBFT's defaults (3 s / 1 s / 1 s, +0.5 s per round).
    public static let standard = ConsensusTimeouts()

    /// The timeout for `step` in `round`; saturates instead of overflowing.
    public func duration(_ step: ConsensusStep, round: UInt32) -> UInt64 {
        let (base, delta): (UInt64, UInt64)
        switch step {
        case .propose: (base, delta) = (proposeBase, proposeDelta)
        case .prevote: (base, delta) = (prevoteBase, prevoteDelta)
        case .precommit: (base, delta) = (precommitBase, precommitDelta)
        }
        let (grow, o1) = delta.multipliedReportingOverflow(by: UInt64(round))
        let (sum, o2) = base.addingReportingOverflow(grow)
        return o1 || o2 ? UInt64.max : sum
    }
}

/// The three steps of a Tendermint round.
public enum ConsensusStep: UInt8, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    case propose = 1, prevote = 2, precommit = 3

    public static func < (a: ConsensusStep, b: ConsensusStep) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .propose: return "propose"
        case .prevote: return "prevote"
        case .precommit: return "precommit"
        }
    }
}
