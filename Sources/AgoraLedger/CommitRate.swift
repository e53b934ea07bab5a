import Synchronization

/// The chain's measured commit rate: transactions committed per second over a recent window of
/// blocks. The mempool sizes its bound for ready transactions by it (`mempool.maxPendingSeconds`
/// of this rate), so that what it admits is work the chain can commit within that time, on
/// this machine and this network, instead of a fixed count that may be minutes of work.
///
/// The rate spans the window's blocks: the transactions of every block after the first over
/// the time from the first to the last. Blocks older than `maxAgeMs` leave the window, so a
/// stalled chain stops vouching for its old rate. With fewer than two blocks in the window
/// there is no measurement (`perSecond` is nil) and the mempool uses its floor
/// (`mempool.minCommitRate`).
public final class CommitRate: Sendable {
    struct Sample: Sendable {
        let atMs: UInt64
        let transactions: Int
    }

    /// Blocks in the window at most.
    public let window: Int
    /// A block older than this leaves the window.
    public let maxAgeMs: UInt64
    private let samples = Mutex<[Sample]>([])

    public init(window: Int = 32, maxAgeMs: UInt64 = 60_000) {
        self.window = max(2, window)
        self.maxAgeMs = maxAgeMs
    }

    /// A block with `transactions` committed at `atMs` (the mempool's monotonic clock).
    public func record(transactions: Int, atMs: UInt64) {
        samples.withLock { s in
            s.append(Sample(atMs: atMs, transactions: max(0, transactions)))
            if s.count > window { s.removeFirst(s.count - window) }
        }
    }

    /// Transactions per second over the window at `nowMs`; nil before two blocks were measured
    /// within `maxAgeMs` (or when they share one millisecond).
    public func perSecond(nowMs: UInt64) -> Double? {
        samples.withLock { s in
            let recent = s.drop { nowMs > $0.atMs && nowMs - $0.atMs > maxAgeMs }
            guard let first = recent.first, let last = recent.last, last.atMs > first.atMs else { return nil }
            let committed = recent.dropFirst().reduce(0) { $0 + $1.transactions }
            return Double(committed) * 1000 / Double(last.atMs - first.atMs)
        }
    }
}
