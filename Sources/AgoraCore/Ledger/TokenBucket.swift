/// A token bucket: `rate` tokens per second up to `burst`. Time is passed in (nanoseconds on a
/// monotonic clock) so the bucket is a pure value, testable and usable from any layer — API
/// rate limits, WebSocket message limits, and per-peer limits in the network.
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let burst: Double
    public private(set) var tokens: Double
    public private(set) var updatedAt: UInt64

    public init(rate: Double, burst: Double, now: UInt64) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        updatedAt = now
    }

    mutating func refill(_ now: UInt64) {
        if now > updatedAt {
            tokens = min(burst, tokens + Double(now - updatedAt) / 1e9 * rate)
            updatedAt = now
        }
    }

    /// Takes `cost` tokens if available.
    public mutating func take(_ cost: Double = 1, now: UInt64) -> Bool {
        refill(now)
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    /// Seconds until `cost` tokens will be available (0 if they are now).
    public mutating func wait(for cost: Double = 1, now: UInt64) -> Double {
        refill(now)
        return tokens >= cost ? 0 : (cost - tokens) / rate
    }
}
