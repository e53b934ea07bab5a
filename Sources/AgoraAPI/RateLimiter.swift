import AgoraCore
import Dispatch
import Synchronization

/// Token buckets keyed by client (an IP address), with bounded memory: at most `maxKeys`
/// buckets; when full, buckets that have refilled completely (idle clients) are dropped first,
/// and if none has, the table starts over — a flood of distinct addresses cannot grow memory.
public final class RateLimiter: Sendable {
    public let rate: Double
    public let burst: Double
    public let maxKeys: Int
    private let buckets = Mutex<[String: TokenBucket]>([:])

    public init(rate: Double, burst: Double, maxKeys: Int = 10_000) {
        self.rate = rate
        self.burst = burst
        self.maxKeys = maxKeys
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; retry after this many seconds.
        case limited(retryAfter: Double)
    }

    /// Takes `cost` tokens from `key`'s bucket (a batch of N transactions costs N).
    public func check(_ key: String, cost: Double = 1, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Decision {
        buckets.withLock { map in
            var bucket = map[key] ?? {
                if map.count >= maxKeys { evictIdle(&map, now: now) }
                return TokenBucket(rate: rate, burst: burst, now: now)
            }()
            let decision: Decision = bucket.take(cost, now: now) ? .allowed : .limited(retryAfter: bucket.wait(for: cost, now: now))
            map[key] = bucket
            return decision
        }
    }

    public var trackedKeys: Int { buckets.withLock { $0.count } }

    private func evictIdle(_ map: inout [String: TokenBucket], now: UInt64) {
        let full = UInt64(burst / rate * 1e9)
        map = map.filter { now - $0.value.updatedAt < full }
        if map.count >= maxKeys { map.removeAll(keepingCapacity: true) }
    }
}
