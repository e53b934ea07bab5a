// The node's clocks: the wall clock (what block timestamps, the proposal drift check, health and
// presence read) as a seam that tests and `testing.clockOffsetMs` can skew, the monotonic
// instant the head last moved, and the proposer's timestamp rule built on them. Timers never read the wall clock: every sleep and timeout runs
// on ContinuousClock, so a wrong or jumping wall clock cannot make one fire early, late or in a
// loop (docs/consensus.md, "Clocks").

import Foundation
import Synchronization

/// Milliseconds since 1970 as this node believes them.
public struct WallClock: Sendable {
    let read: @Sendable () -> UInt64

    public init(_ read: @escaping @Sendable () -> UInt64) { self.read = read }

    public func nowMillis() -> UInt64 { read() }

    /// The system clock.
    public static let system = WallClock { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }

    /// The system clock shifted by `offsetMs` (`testing.clockOffsetMs`: a skewed validator
    /// without libfaketime, whose faked monotonic clock would skew the timers too).
    public static func offset(_ offsetMs: Int64) -> WallClock {
        guard offsetMs != 0 else { return .system }
        return WallClock { UInt64(max(0, Int64(Date().timeIntervalSince1970 * 1000) + offsetMs)) }
    }
}

/// When this node last saw its head move (a commit by consensus or by sync), by the monotonic
/// clock; before the first, when it started. The chain's own time reference: the head's
/// timestamp plus the time since it arrived.
public final class HeadArrival: Sendable {
    private let at = Mutex(ContinuousClock.now)

    public init(feed: LedgerFeed) {
        feed.onCommit { [weak self] _, _ in self?.at.withLock { $0 = .now } }
    }

    /// Time since the head moved (or since start).
    public var sinceHeadMoved: Duration { ContinuousClock.now - at.withLock { $0 } }
}

/// The block timestamp rule of a proposer (docs/consensus.md, "Clocks"). Validators refuse a
/// proposal more than `Chain.maxClockDriftMs` ahead of their own clock, so a proposer whose
/// clock runs ahead would have every proposal refused. With other validators to convince, it
/// therefore proposes no later than its estimate of real time: the chain's time (the head's
/// timestamp plus the time since the head arrived here) plus `lead`, the time a block takes
/// from its proposer's clock to this node (`CommitLatency`). A correct clock is at or near that
/// bound, a clock ten minutes fast is held to it. Never at or below the head's timestamp.
///
/// The lead is measured, not a fixed share of the drift bound: a fixed 5 s lead was added on
/// top of a chain that the last fast stamp had already pushed ahead (correct proposers then
/// stamp parent + 1 ms and cannot pull it back), so a fast proposer's stamps climbed past the
/// others' drift bound and were refused every few heights.
public enum ProposalTime {
    /// A ceiling on the lead however slow commits are: half the drift validators accept, room
    /// for their clocks and the head's transit.
    public static let maxLead = Chain.maxClockDriftMs / 2

    public static func timestamp(head: UInt64, wallNow: UInt64, sinceHeadMoved: Duration, lead: UInt64, alone: Bool) -> UInt64 {
        let floor = head + 1
        guard !alone else { return max(wallNow, floor) }
        let chainNow = head &+ millis(sinceHeadMoved)
        return max(floor, min(wallNow, chainNow &+ min(lead, maxLead)))
    }

    static func millis(_ d: Duration) -> UInt64 {
        UInt64(max(0, d.components.seconds)) * 1_000 + UInt64(max(0, d.components.attoseconds)) / 1_000_000_000_000_000
    }
}
