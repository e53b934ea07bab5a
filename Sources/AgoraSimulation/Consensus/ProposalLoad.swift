import AgoraCore
import AgoraLedger

/// Big proposals against the round's time (issue 13 item 2, "blocks the round can afford"): every
/// proposer's pool is deep (a flood keeps it full), so a block holds whatever its policy allows,
/// and each validator pays for the blocks it sees in virtual time on its consensus driver:
///
/// - building a proposal executes it: `executionMicros` per transaction;
/// - verifying a peer's proposal (or decision) checks every signature on `cores` cores and
///   executes every transaction: `signatureMicros / cores + executionMicros` per transaction.
///   The simulator charges every signature, as `BlockBudget` does: a validator that saw none
///   of the block's transactions by gossip;
/// - a block already verified (re-gossiped, or built here) costs nothing again, as the chain's
///   execution cache.
///
/// The driver handles one input at a time, as `ConsensusDriver` does: a message or timeout that
/// arrives while it builds or verifies waits, and what it sends leaves when it is done. So a block
/// whose building outlasts the others' propose timeout makes them prevote nil, and its
/// verification then holds up the next round as well.
///
/// - `fixed` is a proposer that fills every block to `maxTransactions` (`block.maxTransactions`);
/// - `budget` sizes it with the node's real `BlockBudget`, fed with what this node measured:
///   the signature cost from admission (known from the start) and the execution of every block
///   it built or verified.
///
/// With a proposal load the network is fault-free and has no transaction flood competing for
/// cores (that is `InboundLoad`): the run isolates block size. See docs/performance.md.
public struct ProposalLoad: Hashable, Sendable {
    public enum Policy: String, Hashable, Sendable, CaseIterable {
        case budget, fixed
    }

    public var policy: Policy
    public var maxTransactions: Int
    public var signatureMicros: UInt64
    public var executionMicros: UInt64
    public var cores: Int
    /// `block.roundBudgetPercent` / 100.
    public var roundFraction: Double

    /// Defaults: a loaded two-core machine (100 µs per signature on one core, 50 µs to execute a
    /// transaction), 10,000-transaction blocks and the node's 50% round budget. A full block then
    /// takes 500 ms to build and 1 s to verify, against the simulator's 400 ms propose timeout.
    public init(policy: Policy, maxTransactions: Int = 10_000, signatureMicros: UInt64 = 100, executionMicros: UInt64 = 50,
                cores: Int = 2, roundFraction: Double = 0.5) {
        self.policy = policy
        self.maxTransactions = max(1, maxTransactions)
        self.signatureMicros = signatureMicros
        self.executionMicros = executionMicros
        self.cores = max(1, cores)
        self.roundFraction = roundFraction
    }

    /// Virtual milliseconds to build a proposal of `transactions` (rounded up).
    public func buildCost(_ transactions: Int) -> UInt64 {
        Self.ceilMillis(UInt64(transactions) * executionMicros)
    }

    /// Virtual milliseconds to verify a peer's block of `transactions` (rounded up).
    public func verifyCost(_ transactions: Int) -> UInt64 {
        let perTxTimesCores = signatureMicros + UInt64(cores) * executionMicros
        return Self.ceilMillis(UInt64(transactions) * perTxTimesCores / UInt64(cores))
    }

    private static func ceilMillis(_ micros: UInt64) -> UInt64 { (micros + 999) / 1_000 }
}

/// One validator's consensus driver under a `ProposalLoad`: when it is free again, which blocks
/// it has verified, and (for the `budget` policy) its `BlockBudget`.
struct SimDriver: Sendable {
    let load: ProposalLoad
    /// Virtual time at which the driver finishes what it has taken on.
    private(set) var busyUntil: UInt64 = 0
    private var verified: Set<Hash> = []
    private(set) var budget: BlockBudget

    init(_ load: ProposalLoad) {
        self.load = load
        budget = BlockBudget(params: .init(maxTransactions: load.maxTransactions, maxBytes: Int.max,
                                           roundFraction: load.roundFraction, cores: load.cores))
        // Admission checks every transaction's signature before any block: its cost is known first.
        budget.recordSignatures(count: 1_000, seconds: Double(load.signatureMicros) / 1_000)
    }

    /// Transactions this validator's next proposal holds when its round 0 waits
    /// `proposeTimeoutMs` for a proposal.
    func proposalSize(proposeTimeoutMs: UInt64) -> Int {
        switch load.policy {
        case .fixed: return load.maxTransactions
        case .budget: return budget.limits(proposeTimeoutSeconds: Double(proposeTimeoutMs) / 1_000).maxTransactions
        }
    }

    /// Takes on `cost` ms of work from `now` (after what it already has); returns when it ends.
    mutating func occupy(_ cost: UInt64, now: UInt64) -> UInt64 {
        busyUntil = max(busyUntil, now) + cost
        return busyUntil
    }

    /// Builds a block of `transactions` (its hash `hash`) from `now`; returns when it is done.
    mutating func build(_ hash: Hash, transactions: Int, now: UInt64) -> UInt64 {
        verified.insert(hash)
        budget.recordExecution(count: transactions, seconds: Double(transactions * Int(load.executionMicros)) / 1e6)
        return occupy(load.buildCost(transactions), now: now)
    }

    /// The cost of checking a received block of `transactions`: nothing if it was seen before.
    mutating func verifyCost(_ hash: Hash, transactions: Int) -> UInt64 {
        guard verified.insert(hash).inserted else { return 0 }
        budget.recordExecution(count: transactions, seconds: Double(transactions * Int(load.executionMicros)) / 1e6)
        return load.verifyCost(transactions)
    }
}
