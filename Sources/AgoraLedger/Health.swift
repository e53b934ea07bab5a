import Foundation
import Synchronization

/// One component's view of its own health. Components register a checker with `HealthRegistry`;
/// `/health/ready` is ready only when every registered checker is healthy.
public protocol HealthCheck: Sendable {
    var component: String { get }
    func check() async -> HealthStatus
}

public struct HealthStatus: Sendable, Equatable, Codable {
    public var healthy: Bool
    public var detail: String
    public init(healthy: Bool, detail: String) { self.healthy = healthy; self.detail = detail }
    public static func ok(_ detail: String) -> HealthStatus { .init(healthy: true, detail: detail) }
    public static func failing(_ detail: String) -> HealthStatus { .init(healthy: false, detail: detail) }
}

public final class HealthRegistry: Sendable {
    private let checks = Mutex<[any HealthCheck]>([])
    public init() {}

    public func register(_ check: any HealthCheck) { checks.withLock { $0.append(check) } }

    public var components: [String] { checks.withLock { $0.map(\.component) } }

    /// Runs every checker (concurrently) and returns their results by component.
    public func run() async -> [String: HealthStatus] {
        let all = checks.withLock { $0 }
        return await withTaskGroup(of: (String, HealthStatus).self) { group in
            for c in all { group.addTask { (c.component, await c.check()) } }
            var out: [String: HealthStatus] = [:]
            for await (name, status) in group { out[name] = status }
            return out
        }
    }
}

/// Storage is healthy when no read or write has met damaged data since start (sticky: the
/// bytes on disk do not heal — see docs/operations.md "Recovery"), the last block commit
/// succeeded (a failed one is retried until it does, e.g. once a full disk has room again),
/// and a small write transaction (fsynced like every commit) goes through; the probe result is
/// reused for a second so that health polling cannot become write load.
public final class StorageHealth: HealthCheck {
    public let component = "storage"
    let chain: Chain
    let producer: ProducerStatus
    let probe = Mutex<(at: ContinuousClock.Instant, status: HealthStatus)?>(nil)

    public init(chain: Chain, producer: ProducerStatus) {
        self.chain = chain
        self.producer = producer
    }

    public func check() async -> HealthStatus {
        if let corruption = chain.queries.storageCorruption { return .failing("storage corrupt: \(corruption)") }
        if let error = producer.snapshot.lastError { return .failing("last block commit failed (retrying): \(error)") }
        if let cached = probe.withLock({ $0 }), ContinuousClock.now - cached.at < .seconds(1) { return cached.status }
        let status: HealthStatus
        do {
            try chain.probeStorageWrite()
            status = .ok("writable, \(chain.queries.storageBytes) bytes")
        } catch {
            status = .failing("write probe failed: \(error)")
        }
        probe.withLock { $0 = (ContinuousClock.now, status) }
        return status
    }
}

/// The chain is healthy while blocks keep coming: one within three block intervals, or, when
/// empty blocks are off, whenever the mempool is empty (intentionally idle). Blocks are judged
/// by their timestamps (so a follower far behind is not ready), read against `wallClock`; when
/// blocks do arrive (by the monotonic clock) but their stamps disagree with this node's clock
/// by more than the drift validators accept, the detail says the clock is wrong, not the chain.
public struct ChainHealth: HealthCheck {
    public let component = "chain"
    let chain: Chain
    let producer: ProducerStatus
    let interval: Duration
    let createEmptyBlocks: Bool
    let wallClock: WallClock
    let arrival: HeadArrival?

    public init(chain: Chain, producer: ProducerStatus, interval: Duration, createEmptyBlocks: Bool,
                wallClock: WallClock = .system, arrival: HeadArrival? = nil) {
        self.chain = chain
        self.producer = producer
        self.interval = interval
        self.createEmptyBlocks = createEmptyBlocks
        self.wallClock = wallClock
        self.arrival = arrival
    }

    public func check() async -> HealthStatus {
        let head = chain.snapshot.head
        // Transactions waiting for a nonce gap are no work: without empty blocks the chain idles.
        if !createEmptyBlocks && chain.queries.readyCount == 0 { return .ok("height \(head.height), idle (empty blocks off)") }
        let limit = interval * 3
        // The head's own timestamp (the proposer's clock), so followers are judged the same way.
        let age = Duration.milliseconds(Int64(wallClock.nowMillis()) - Int64(head.timestamp))
        let drift = Duration.milliseconds(Int64(Chain.maxClockDriftMs))
        if head.height > 0, age < .zero - drift {
            return .failing("height \(head.height): the newest block is stamped \(.zero - age) ahead of this node's clock; "
                            + "the clock is behind (proposals more than \(drift) ahead of it are refused): check time sync")
        }
        if age <= limit { return .ok("height \(head.height)") }
        if let arrival, head.height > 0, arrival.sinceHeadMoved <= limit {
            return .failing("height \(head.height): blocks arrive, but the newest is stamped \(age) behind this node's clock; "
                            + "the clock is ahead: check time sync")
        }
        if head.height == 0 || producer.snapshot.lastBlockAt == nil, ContinuousClock.now - producer.startedAt <= limit {
            return .ok("height \(head.height), starting")
        }
        return .failing("no block for \(age); expected one every \(interval)")
    }
}
