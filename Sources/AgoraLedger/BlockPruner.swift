import AgoraStorage
import CoreMetrics
import Dispatch
import Logging
import Metrics
import ServiceLifecycle

/// Pruning in the background (`pruning.keepBlocks`, docs/operations.md): keeps the block bodies
/// of the last `keepBlocks` heights and deletes older ones with `BlockStore.pruneStep`, one small
/// SQLite transaction at a time and a short pause between them, so a block commit never waits
/// for more than one step and the pruner never falls into a long write. A node that starts with
/// a large backlog (pruning just switched on) works it down over many steps.
///
/// Metrics: `agora_pruned_height` (the earliest height with a stored body) and
/// `agora_pruned_rows_total` (transaction rows deleted).
public struct BlockPruner: Service {
    public struct Config: Sendable {
        /// Heights whose bodies are kept below and including the head (≥ 1).
        public var keepBlocks: UInt64
        /// How often the pruner looks at the head when idle.
        public var period: Duration = .seconds(1)
        /// Pause between two steps of a backlog: lets commits in.
        public var pause: Duration = .milliseconds(5)
        public var maxHeightsPerStep: UInt64 = 256
        public var maxRowsPerStep = 2_000
        public init(keepBlocks: UInt64) { self.keepBlocks = keepBlocks }
    }

    let store: BlockStore
    let config: Config
    let logger: Logger
    let earliest: Gauge
    let rowsDeleted: Metrics.Counter

    public init(store: BlockStore, config: Config, factory: any MetricsFactory, logger: Logger) {
        self.store = store
        self.config = config
        self.logger = logger
        earliest = Gauge(label: "agora_pruned_height", factory: factory)
        rowsDeleted = Metrics.Counter(label: "agora_pruned_rows_total", factory: factory)
    }

    /// The height below which bodies go, for a head: nothing until the window is full.
    public static func target(head: UInt64, keepBlocks: UInt64) -> UInt64 {
        head >= keepBlocks ? head - keepBlocks + 1 : 1
    }

    public func run() async throws {
        if let e = try? store.earliestHeight() { earliest.record(Int64(e)) }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await drain()
                } catch {
                    // A busy or full database: the next round tries again; damage is reported by
                    // the store's fault latch and health, not here.
                    logger.warning("pruning step failed", metadata: ["error": .string("\(error)")])
                }
                try await Task.sleep(for: config.period)
            }
        }
    }

    /// Steps until the earliest height reaches the target for the current head.
    func drain() async throws {
        while !Task.isCancelled {
            let head = try store.head().height
            let target = Self.target(head: head, keepBlocks: config.keepBlocks)
            guard let step = try await offPool({ [store, config] in
                try store.pruneStep(target: target, maxHeights: config.maxHeightsPerStep, maxRows: config.maxRowsPerStep)
            }) else { return }
            earliest.record(Int64(step.earliestHeight))
            rowsDeleted.increment(by: Int64(step.rowsDeleted))
            logger.debug("pruned block bodies", metadata: ["earliest_height": .stringConvertible(step.earliestHeight),
                                                           "rows": .stringConvertible(step.rowsDeleted)])
            try await Task.sleep(for: config.pause)
        }
    }

    /// Blocking SQLite work off the cooperative pool.
    private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { done in
            DispatchQueue.global(qos: .utility).async { done.resume(with: Result { try body() }) }
        }
    }
}
