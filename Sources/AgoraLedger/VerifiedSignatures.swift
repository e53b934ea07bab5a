import AgoraCore
import AgoraCrypto
import DequeModule
import Synchronization

/// The IDs of transactions whose signature this node has already found valid, so no signature
/// is checked twice: admission fills it, and verifying a peer's proposal checks only the
/// transactions it does not hold (on every core) — the follower's counterpart of the proposer,
/// which builds from its own checked pool.
///
/// Sound because a transaction's ID is the SHA-256 of its exact bytes, signature included: the
/// same ID is the same signed bytes, so the same verdict. Only valid verdicts are kept (a forged
/// transaction is refused again, cheaply, by the gossip layer's invalid-ID cache). Bounded:
/// past `capacity` the oldest IDs are forgotten, which costs at most a second check.
///
/// It also times the checks it runs, in single-core seconds per signature, so the proposer's
/// `BlockBudget` knows what verifying a block's signatures costs on this machine, and counts the
/// signatures it really verified (`verifications`): what tests and metrics judge reuse by.
public final class VerifiedSignatures: Sendable {
    /// How signatures are checked: one (admission) and many on every core (blocks, batches).
    /// Injected only to count or slow the real checks in tests; the node uses `.ed25519`.
    public struct Verifier: Sendable {
        public var one: @Sendable (Transaction) -> Bool
        public var many: @Sendable ([Transaction]) -> [Bool]
        public init(one: @escaping @Sendable (Transaction) -> Bool, many: @escaping @Sendable ([Transaction]) -> [Bool]) {
            self.one = one
            self.many = many
        }

        public static let ed25519 = Verifier(one: { SignatureVerifier.isValid($0) }, many: { SignatureVerifier.verify($0) })
    }

    /// What one `check` of a block's transactions did.
    public struct Outcome: Sendable, Equatable {
        /// Per transaction, in order: its signature is valid.
        public var valid: [Bool]
        /// Transactions whose signature was already known valid (not checked again).
        public var reused: Int
        /// Signatures checked now.
        public var checked: Int
    }

    private struct Known: Sendable {
        var ids: Set<Hash> = []
        var order: Deque<Hash> = []
    }

    /// Single-core seconds spent and signatures checked since the last `drainTiming`.
    private struct Timing: Sendable {
        var seconds: Double = 0
        var count = 0
    }

    public let capacity: Int
    private let known = Mutex(Known())
    private let timing = Mutex(Timing())
    /// Totals of the batch checks (`check(_: [Transaction])`) since start.
    private let totals = Mutex((reused: 0, checked: 0))
    private let verifier: Verifier
    /// Signatures handed to the verifier since start, one by one and in batches.
    private let verified = Atomic<Int>(0)

    public init(capacity: Int = 131_072, verifier: Verifier = .ed25519) {
        self.capacity = max(1, capacity)
        self.verifier = verifier
    }

    /// Signatures this cache really verified since start (not those it answered from memory).
    public var verifications: Int { verified.load(ordering: .relaxed) }

    public var count: Int { known.withLock { $0.ids.count } }

    public func contains(_ id: Hash) -> Bool { known.withLock { $0.ids.contains(id) } }

    /// Checks one transaction's signature unless it is already known valid (admission).
    public func check(_ tx: Transaction) -> Bool {
        if contains(tx.id) { return true }
        let start = ContinuousClock.now
        let valid = verifier.one(tx)
        verified.add(1, ordering: .relaxed)
        record(seconds: (ContinuousClock.now - start).inSeconds, count: 1)
        if valid { remember([tx.id]) }
        return valid
    }

    /// Checks the signatures of `transactions` not already known valid, on every core (blocks
    /// from peers, bulk admission), and remembers the valid ones.
    public func check(_ transactions: [Transaction]) -> Outcome {
        let unknown = known.withLock { k in transactions.indices.filter { !k.ids.contains(transactions[$0].id) } }
        var valid = [Bool](repeating: true, count: transactions.count)
        if !unknown.isEmpty {
            let start = ContinuousClock.now
            let verdicts = verifier.many(unknown.map { transactions[$0] })
            verified.add(unknown.count, ordering: .relaxed)
            // Wall time on all cores, in single-core seconds: what one core would have spent.
            let parallelism = unknown.count < 64 ? 1 : max(1, System.coreCount)
            record(seconds: (ContinuousClock.now - start).inSeconds * Double(parallelism), count: unknown.count)
            for (i, ok) in zip(unknown, verdicts) { valid[i] = ok }
            remember(zip(unknown, verdicts).compactMap { $1 ? transactions[$0].id : nil })
        }
        let outcome = Outcome(valid: valid, reused: transactions.count - unknown.count, checked: unknown.count)
        totals.withLock { $0.reused += outcome.reused; $0.checked += outcome.checked }
        return outcome
    }

    /// Signatures reused and checked by batch checks (blocks from peers, bulk admission) since start.
    public var batchTotals: (reused: Int, checked: Int) { totals.withLock { $0 } }

    /// Single-core seconds and signatures checked since the previous call.
    func drainTiming() -> (seconds: Double, count: Int) {
        timing.withLock { t in
            defer { t = Timing() }
            return (t.seconds, t.count)
        }
    }

    private func record(seconds: Double, count: Int) {
        timing.withLock { $0.seconds += seconds; $0.count += count }
    }

    private func remember(_ ids: [Hash]) {
        guard !ids.isEmpty else { return }
        known.withLock { k in
            for id in ids where k.ids.insert(id).inserted {
                k.order.append(id)
                if k.order.count > capacity { k.ids.remove(k.order.removeFirst()) }
            }
        }
    }
}

extension Duration {
    /// This duration in seconds, as a `Double`.
    var inSeconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
