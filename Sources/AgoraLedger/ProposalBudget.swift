import Metrics
import Synchronization

/// The chain's `BlockBudget` under a lock, fed with this node's measurements and exported as
/// metrics: the signature timings `VerifiedSignatures` collected, each execution of a block of
/// transactions (own proposals and peers' blocks), and the cap the last proposal was built with.
final class ProposalBudget: Sendable {
    private let budget: Mutex<BlockBudget>
    private let signatures: VerifiedSignatures
    private let cap: Gauge
    private let perTransaction: Gauge
    private let signatureChecks: [String: Counter]

    init(params: BlockBudget.Params, signatures: VerifiedSignatures, factory: any MetricsFactory & Sendable) {
        budget = Mutex(BlockBudget(params: params))
        self.signatures = signatures
        cap = Gauge(label: "agora_block_budget_transactions", factory: factory)
        perTransaction = Gauge(label: "agora_block_cost_seconds_per_transaction", factory: factory)
        signatureChecks = Dictionary(uniqueKeysWithValues: ["reused", "checked"].map {
            ($0, Counter(label: "agora_block_signatures_total", dimensions: [("result", $0)], factory: factory))
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
        if let perTx { perTransaction.record(perTx) }
        return limits
    }

    /// A block's transactions were executed in `seconds`.
    func executed(count: Int, seconds: Double) {
        absorbSignatureTimings()
        budget.withLock { $0.recordExecution(count: count, seconds: seconds) }
    }

    /// A peer's block: how many signatures were reused from admission and how many checked.
    func signaturesOfBlock(reused: Int, checked: Int) {
        signatureChecks["reused"]?.increment(by: reused)
        signatureChecks["checked"]?.increment(by: checked)
    }

    private func absorbSignatureTimings() {
        let (seconds, count) = signatures.drainTiming()
        guard count > 0 else { return }
        budget.withLock { $0.recordSignatures(count: count, seconds: seconds) }
    }
}
