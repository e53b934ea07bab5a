/// How big a block this node may propose so that every validator can verify and execute it
/// within the round: by transactions (`block.maxTransactions`), by bytes, and by a cost measured
/// on this node. A block that takes longer to check than the propose timeout makes the others
/// prevote nil and the round is lost, so under load bigger blocks commit fewer transactions.
///
/// Cost is two exponentially weighted averages, in single-core seconds per transaction: the
/// signature check (from every signature this node checked, at admission or in a peer's block)
/// and the execution (from every block this node built or verified). They are kept apart because
/// a node that saw a block's transactions by gossip skips their signatures: the budget must fit
/// a validator that saw none, so a transaction costs its signature (spread over the cores) plus
/// its execution, whatever this node happened to skip. Before any measurement the cost is
/// unknown and only the count and byte limits apply.
///
/// A pure value: the chain feeds it measurements and asks it for limits, so it is tested with
/// numbers, not clocks. See docs/performance.md ("Consensus first under load").
public struct BlockBudget: Sendable, Equatable {
    public struct Params: Sendable, Equatable {
        /// `block.maxTransactions`.
        public var maxTransactions: Int
        /// Bytes a block's transactions may take (the block limit less room for the header).
        public var maxBytes: Int
        /// Share of the propose timeout a block's verification and execution may take
        /// (`block.roundBudgetPercent` / 100).
        public var roundFraction: Double
        /// Cores a validator verifies signatures on (execution is sequential).
        public var cores: Int
        /// Weight of a new measurement in the averages.
        public var smoothing: Double = 0.2
        /// Executions of fewer transactions are not measured: fixed costs would dominate.
        public var minSample: Int = 16
        /// The cost cap never goes below this (a slow measurement must not stall the chain; the
        /// blocks it still allows keep the average honest).
        public var floorTransactions: Int = 100

        public init(maxTransactions: Int, maxBytes: Int, roundFraction: Double, cores: Int) {
            self.maxTransactions = max(1, maxTransactions)
            self.maxBytes = max(0, maxBytes)
            self.roundFraction = min(1, max(0.01, roundFraction))
            self.cores = max(1, cores)
        }
    }

    /// What the next proposal may hold.
    public struct Limits: Sendable, Equatable {
        public var maxTransactions: Int
        public var maxBytes: Int
    }

    public let params: Params
    /// Single-core seconds to check one transaction's signature (nil: not measured yet).
    public private(set) var signatureSeconds: Double?
    /// Seconds to execute one transaction (nil: not measured yet).
    public private(set) var executionSeconds: Double?

    public init(params: Params) { self.params = params }

    /// `count` signatures took `seconds` of one core.
    public mutating func recordSignatures(count: Int, seconds: Double) {
        guard count > 0, seconds.isFinite, seconds >= 0 else { return }
        signatureSeconds = average(signatureSeconds, seconds / Double(count))
    }

    /// Executing `count` transactions took `seconds`.
    public mutating func recordExecution(count: Int, seconds: Double) {
        guard count >= params.minSample, seconds.isFinite, seconds >= 0 else { return }
        executionSeconds = average(executionSeconds, seconds / Double(count))
    }

    /// Wall seconds a validator needs per transaction: the signature over all cores, then the
    /// execution. Nil until something is measured.
    public var secondsPerTransaction: Double? {
        guard signatureSeconds != nil || executionSeconds != nil else { return nil }
        return (signatureSeconds ?? 0) / Double(params.cores) + (executionSeconds ?? 0)
    }

    /// The limits for a proposal whose round waits `proposeTimeoutSeconds` for it.
    public func limits(proposeTimeoutSeconds: Double) -> Limits {
        var count = params.maxTransactions
        if let perTx = secondsPerTransaction, perTx > 0, proposeTimeoutSeconds > 0 {
            let affordable = (proposeTimeoutSeconds * params.roundFraction / perTx).rounded(.down)
            let floor = min(params.floorTransactions, params.maxTransactions)
            count = affordable >= Double(count) ? count : max(floor, Int(affordable))
        }
        return Limits(maxTransactions: count, maxBytes: params.maxBytes)
    }

    private func average(_ current: Double?, _ sample: Double) -> Double {
        guard let current else { return sample }
        return current + params.smoothing * (sample - current)
    }
}
