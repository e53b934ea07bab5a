import Metrics
import Synchronization

/// The chain's `BlockBudget` under a lock, fed with this node's measurements and exported as
/// metrics: the signature timings `VerifiedSignatures` collected, each execution of a block of
/// transactions (own proposals and peers' blocks), the caps the last proposal was built with and
/// what it held, and how many signatures of each received block were reused or checked.
final class ProposalBudget: Sendable {
    private let budget: Mutex<BlockBudget>
    private let signatures: VerifiedSignatures
    private let cap: Gauge
    private let capBytes: Gauge
    private let builtTransactions: Gauge
    private let builtBytes: Gauge
    private let perTransaction: Gauge
    private let signatureChecks: [String: Counter]
    private let lastBlockSignatures: [String: Gauge]

    init(params: BlockBudget.Params, signatures: VerifiedSignatures, factory: any MetricsFactory & Sendable) {
        budget = Mutex(BlockBudget(params: params))
        self.signatures = signatures
        cap = Gauge(label: "agora_block_budget_transactions", factory: factory)
        capBytes = Gauge(label: "agora_block_budget_bytes", factory: factory)
        builtTransactions = Gauge(label: "agora_block_proposal_transactions", factory: factory)
        builtBytes = Gauge(label: "agora_block_proposal_bytes", factory: factory)
        perTransaction = Gauge(label: "agora_block_cost_seconds_per_transaction", factory: factory)
        signatureChecks = Dictionary(uniqueKeysWithValues: ["reused", "checked"].map {
            ($0, Counter(label: "agora_block_signatures_total", dimensions: [("result", $0)], factory: factory))
        })
        lastBlockSignatures = Dictionary(uniqueKeysWithValues: ["reused", "checked"].map {
            ($0, Gauge(label: "agora_block_last_signatures", dimensions: [("result", $0)], factory: factory))
        })
    }

    var current: BlockBudget { budget.withLock { $0 } }

    /// The limits for a proposal whose round waits `proposeTimeout` (nil: count and bytes only).
    func limits(proposeTimeout: Duration?) -> BlockBudget.Limits {
        absorbSignatureTimings()
        let (limits, perTx) = budget.withLock { b in
            (proposeTimeout.map { b.limits(proposeTimeoutSeconds: $0.inSeconds) }
                ?? BlockBudget.Limits(maxTransactions: b.params.maxTransactions, maxBytes: b.params.maxBytes),
             b.secondsPerTransaction)
        }
        cap.record(limits.maxTransactions)
        capBytes.record(limits.maxBytes)
        if let perTx { perTransaction.record(perTx) }
        return limits
    }

    /// A block's transactions were executed in `seconds`.
    func executed(count: Int, seconds: Double) {
        absorbSignatureTimings()
        budget.withLock { $0.recordExecution(count: count, seconds: seconds) }
    }

    /// This node's proposal as built under the limits: its transactions and their bytes.
    func built(transactions: Int, bytes: Int) {
        builtTransactions.record(transactions)
        builtBytes.record(bytes)
    }

    /// A peer's block: how many signatures were reused from admission and how many checked.
    func signaturesOfBlock(reused: Int, checked: Int) {
        signatureChecks["reused"]?.increment(by: reused)
        signatureChecks["checked"]?.increment(by: checked)
        lastBlockSignatures["reused"]?.record(reused)
        lastBlockSignatures["checked"]?.record(checked)
    }

    private func absorbSignatureTimings() {
        let (seconds, count) = signatures.drainTiming()
        guard count > 0 else { return }
        budget.withLock { $0.recordSignatures(count: count, seconds: seconds) }
    }
}
