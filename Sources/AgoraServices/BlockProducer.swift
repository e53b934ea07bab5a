import AgoraCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Drives block production: one block every `interval`, or sooner once the mempool holds a full
/// block. Runs as a service; on graceful shutdown it finishes the block in progress and stops.
/// A failed block is logged and retried with exponential backoff (capped), never silently.
public struct BlockProducer: Service {
    public let chain: Chain
    public let interval: Duration
    public let createEmptyBlocks: Bool
    public let status: ProducerStatus
    let logger: Logger
    let onBlock: @Sendable (Chain.ProducedBlock) -> Void

    public init(chain: Chain, interval: Duration, createEmptyBlocks: Bool = true, status: ProducerStatus = ProducerStatus(),
                logger: Logger, onBlock: @escaping @Sendable (Chain.ProducedBlock) -> Void = { _ in }) {
        self.chain = chain
        self.status = status
        self.interval = interval
        self.createEmptyBlocks = createEmptyBlocks
        self.logger = logger
        self.onBlock = onBlock
    }

    static func nowMillis() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    public func run() async throws {
        let clock = ContinuousClock()
        var last = clock.now
        var backoff = Duration.milliseconds(100)
        let poll = Duration.milliseconds(10)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let deadline = last.advanced(by: interval)
            while clock.now < deadline {
                if chain.mempool.count >= chain.config.maxBlockTransactions { break }
                try? await Task.sleep(for: min(poll, deadline - clock.now))
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
            }
            last = clock.now
            if !createEmptyBlocks && chain.mempool.count == 0 { continue }
            do {
                let produced = try chain.produceBlock(now: BlockProducer.nowMillis())
                backoff = .milliseconds(100)
                status.succeeded()
                logger.debug("block committed", metadata: [
                    "height": .stringConvertible(produced.height), "hash": .string(produced.hash.hex),
                    "txs": .stringConvertible(produced.transactions),
                ])
                onBlock(produced)
            } catch {
                status.failed("\(error)")
                chain.metrics.producerFailures.increment()
                logger.error("block production failed; retrying", metadata: ["error": .string("\(error)"),
                                                                              "retry_in": .stringConvertible(backoff)])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(10))
            }
        }
    }
}

/// What the producer last did, for health checks: when a block last committed and the last
/// failure, if any.
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
