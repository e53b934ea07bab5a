/// When to dial an address again: exponential backoff from `initial` doubling to `ceiling`,
/// reset by a link that came up, with ±`jitter` so that peers that lost the same node do not
/// redial it in step. A learned (non-persistent) address gets `maxAttempts` tries; a bootstrap
/// peer is redialed for as long as the node runs. Pure: the dial loop (`PeerDialer`) sleeps
/// for what `delay` returns and passes in its random source.
public struct DialBackoff: Sendable, Equatable {
    public let initial: Duration
    public let ceiling: Duration
    /// Relative jitter: the sleep is the current delay times a factor in 1 ± jitter.
    public let jitter: Double
    /// Tries for an address learned by peer exchange.
    public let maxAttempts: Int
    public let persistent: Bool
    /// The delay before the next dial, before jitter.
    public private(set) var current: Duration
    public private(set) var attempts = 0

    public init(persistent: Bool, initial: Duration = .milliseconds(200), ceiling: Duration = .seconds(10),
                jitter: Double = 0.2, maxAttempts: Int = 3) {
        self.persistent = persistent
        self.initial = initial
        self.ceiling = ceiling
        self.jitter = jitter
        self.maxAttempts = maxAttempts
        current = initial
    }

    /// Counts a dial about to start; false when a learned address has had its tries.
    public mutating func attempt() -> Bool {
        attempts += 1
        return persistent || attempts <= maxAttempts
    }

    /// A link came up: the next wait starts from `initial` again.
    public mutating func connected() { current = initial }

    /// How long to wait before the next dial (the current delay with jitter); the delay after
    /// that doubles, up to `ceiling`.
    public mutating func delay<R: RandomNumberGenerator>(using rng: inout R) -> Duration {
        let wait = current * Double.random(in: (1 - jitter)...(1 + jitter), using: &rng)
        current = min(current * 2, ceiling)
        return wait
    }
}
