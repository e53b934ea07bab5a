// This node's measured proposal-to-commit latency, the lead of the proposer's timestamp rule
// (`ProposalTime`, docs/consensus.md "Clocks"): a fast clock's proposals are held to the chain's
// time plus this estimate of how old the head was when it arrived, not a fixed share of the
// drift bound.

import AgoraCore

/// How long this node's own proposals take from being stamped to being committed here, by the
/// monotonic clock: the estimate of how far real time is past the chain's time when the head
/// arrives (the head's proposer stamped it that long before). A deterministic value: the
/// consensus loop feeds it instants, tests feed it made-up ones.
///
/// The lead is the median of the last `window` samples, so one slow height (a round that timed
/// out) does not raise it; before any sample it is zero, which holds a correct clock a transit
/// time behind its wall clock — harmless — and never adds to a chain that is already ahead.
public struct CommitLatency: Sendable {
    public static let window = 8
    /// The proposal awaiting its commit: height, block hash, when it was stamped.
    private var pending: (height: UInt64, block: Hash, at: ContinuousClock.Instant)?
    /// Milliseconds, oldest first, at most `window`.
    public private(set) var samples: [UInt64] = []

    public init() {}

    /// This node built (and stamped) `block` as its proposal at `height`.
    public mutating func proposed(height: UInt64, block: Hash, at: ContinuousClock.Instant) {
        pending = (height, block, at)
    }

    /// A block was committed here. Only this node's own pending proposal yields a sample; any
    /// commit at or past its height retires it (another proposer's block won the height).
    public mutating func committed(height: UInt64, block: Hash, at: ContinuousClock.Instant) {
        guard let p = pending, height >= p.height else { return }
        pending = nil
        guard height == p.height, block == p.block, at >= p.at else { return }
        samples.append(ProposalTime.millis(at - p.at))
        if samples.count > Self.window { samples.removeFirst(samples.count - Self.window) }
    }

    /// Milliseconds: the median sample (upper median), 0 before any, at most `ProposalTime.maxLead`.
    public var lead: UInt64 {
        guard !samples.isEmpty else { return 0 }
        return min(samples.sorted()[samples.count / 2], ProposalTime.maxLead)
    }
}
