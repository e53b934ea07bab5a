import Synchronization

/// What block commits last did, for health checks: when a block last committed and the last
/// failure, if any. Consensus reports into it.
public final class ProducerStatus: Sendable {
    public struct Snapshot: Sendable {
        public var lastBlockAt: ContinuousClock.Instant?
        public var lastError: String?
        public var consecutiveFailures: Int
    }

    private let state = Mutex(Snapshot(lastBlockAt: nil, lastError: nil, consecutiveFailures: 0))
    public let startedAt = ContinuousClock.now
    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func succeeded() { state.withLock { $0.lastBlockAt = .now; $0.lastError = nil; $0.consecutiveFailures = 0 } }
    func failed(_ error: String) { state.withLock { $0.lastError = error; $0.consecutiveFailures += 1 } }
}
