import AgoraCore
import AgoraCrypto
import AgoraState
import Dispatch
import HeapModule
import Synchronization

/// Transactions waiting for a block.
///
/// Admission checks everything that can be checked before execution — signature (once: a
/// block built from the pool does not verify again), chain ID, expiry, nonce, minimum fee and
/// that the sender can pay the fees of everything it has pending. Transactions whose nonce
/// skips ahead wait in the sender's queue until the gap fills. Blocks take ready transactions
/// by fee, then arrival, always in nonce order per sender.
///
/// Bounds (`MempoolLimits.swift`, docs/mempool.md): READY transactions (includable now) at most
/// `maxPendingSeconds` of the chain's measured commit rate (`CommitRate`), above which a new
/// one is refused at once as `busy` with a retry-after; QUEUED ones (waiting for a nonce gap)
/// at most `maxQueuedPerSender` per sender and `maxQueued` in all (the oldest evicted), each
/// for at most `queuedTTLMs`; `expiresAt` at most `maxExpiryHeights` past the head; and a hard
/// ceiling of count and bytes, where a higher-fee arrival evicts the lowest-fee transaction
/// (and the later nonces of its sender, which could no longer execute).
///
/// Lookups by ID and by (sender, nonce) are O(1). One lock guards the pool: every operation is
/// short, and the expensive part, signature checking, runs before the lock is taken.
public final class Mempool: Sendable {
    public struct Config: Sendable {
        public var maxCount: Int
        public var maxBytes: Int
        public var maxPerSender: Int
        /// A replacement for the same (sender, nonce) must raise the fee by this percentage.
        public var replacementBumpPercent: UInt64
        /// Ready transactions at most: this many seconds of the measured commit rate.
        public var maxPendingSeconds: Double = 10
        /// The commit rate (transactions per second) assumed before blocks are measured and
        /// the least the bound ever assumes: a chain idle for a minute still takes a burst.
        public var minCommitRate: Double = 1_000
        /// Queued (nonce-gapped) transactions per sender at most; more are refused.
        public var maxQueuedPerSender: Int = 64
        /// Queued transactions in all at most; a new one evicts the oldest.
        public var maxQueued: Int = 10_000
        /// A queued transaction older than this is evicted.
        public var queuedTTLMs: UInt64 = 60_000
        /// `expiresAt` at most this many heights past the next one.
        public var maxExpiryHeights: UInt64 = 100_000

        public init(maxCount: Int = 100_000, maxBytes: Int = 128 * 1024 * 1024, maxPerSender: Int = 1_024,
                    replacementBumpPercent: UInt64 = 10) {
            self.maxCount = maxCount
            self.maxBytes = maxBytes
            self.maxPerSender = maxPerSender
            self.replacementBumpPercent = replacementBumpPercent
        }
    }

    /// Monotonic milliseconds (tests inject their own).
    public typealias Clock = @Sendable () -> UInt64
    public static let systemClock: Clock = { DispatchTime.now().uptimeNanoseconds / 1_000_000 }

    /// What admission needs to know about the chain: a consistent view at the current head.
    public struct ChainView: Sendable {
        public var chainID: String
        /// Height of the next block: the earliest a transaction admitted now can be included.
        public var nextHeight: UInt64
        public var params: BankParams
        public var supply: Amount
        public var account: @Sendable (Address) throws -> Account
        /// Committed state, for the checks of free payloads (evidence) that need more than the
        /// sender's account. Without it evidence is checked statelessly here and fully when a
        /// block executes.
        public var state: StateReader?

        public init(chainID: String, nextHeight: UInt64, params: BankParams, supply: Amount,
                    account: @escaping @Sendable (Address) throws -> Account, state: StateReader? = nil) {
            self.chainID = chainID
            self.nextHeight = nextHeight
            self.params = params
            self.supply = supply
            self.account = account
            self.state = state
        }
    }

    public enum AdmissionError: Error, Equatable, Sendable, CustomStringConvertible {
        case rejected(Rejection)
        case alreadyKnown(Hash)
        case full(lowestFee: Amount)
        /// The sender already holds `limit` (`maxPerSender`) pending transactions, its whole nonce
        /// window, and this one continues them: room opens as its oldest commit (issue 18).
        case senderPendingLimit(Address, limit: Int, retryAfter: Int)
        case replacementUnderpriced(existingFee: Amount, required: Amount)
        case stateUnavailable(String)
        /// The ready set holds its bound (`ready` of `bound`): try again after `retryAfter` s.
        case busy(ready: Int, bound: Int, retryAfter: Int)
        /// The sender already has `limit` transactions waiting for an earlier nonce.
        case queuedLimit(Address, limit: Int, retryAfter: Int)
        /// `expiresAt` is past `limit` (the next height + `maxExpiryHeights`).
        case expiryTooFar(expiresAt: UInt64, limit: UInt64)

        public var code: String {
            switch self {
            case let .rejected(r): return r.code
            case .alreadyKnown: return "already_known"
            case .full: return "mempool_full"
            case .senderPendingLimit: return "sender_pending_limit"
            case .replacementUnderpriced: return "replacement_underpriced"
            case .stateUnavailable: return "state_unavailable"
            case .busy: return "mempool_busy"
            case .queuedLimit: return "queued_limit"
            case .expiryTooFar: return "expiry_too_far"
            }
        }

        /// The refusals the pool's bounds make (`agora_mempool_refused_total{code}`): load, and
        /// an expiry past the ceiling — not a verdict on the transaction's validity.
        public var isBoundRefusal: Bool {
            switch self {
            case .busy, .queuedLimit, .senderPendingLimit, .expiryTooFar: return true
            default: return false
            }
        }

        /// Seconds after which the same transaction may be admitted, for the refusals that
        /// are about load rather than the transaction (`Retry-After`).
        public var retryAfter: Int? {
            switch self {
            case let .busy(_, _, s), let .queuedLimit(_, _, s), let .senderPendingLimit(_, _, s): return s
            default: return nil
            }
        }

        public var description: String {
            switch self {
            case let .rejected(r): return r.description
            case let .alreadyKnown(id): return "transaction \(id) is already pending or committed"
            case let .full(fee): return "mempool is full; a fee above \(fee) is needed to displace a pending transaction"
            case let .senderPendingLimit(a, l, s): return "\(a) already has \(l) pending transactions, the most one sender may hold; retry after \(s) s, when the earliest have committed"
            case let .replacementUnderpriced(e, r): return "a pending transaction with this nonce pays \(e); a replacement must pay at least \(r)"
            case let .stateUnavailable(why): return "cannot read account state: \(why)"
            case let .busy(r, b, s): return "the mempool holds \(r) ready transactions, its bound is \(b) (seconds of the measured commit rate); retry after \(s) s"
            case let .queuedLimit(a, l, s): return "\(a) already has \(l) transactions waiting for an earlier nonce; send the missing nonce or retry after \(s) s"
            case let .expiryTooFar(e, l): return "expiresAt \(e) is past \(l), the furthest height this node admits"
            }
        }
    }

    public enum Admitted: Sendable, Equatable {
        /// Executable in the next block.
        case ready
        /// Waiting for earlier nonces.
        case queued
        /// Replaced a pending transaction with the same nonce.
        case replaced(Hash)
    }

    struct Entry: Sendable {
        let tx: Transaction
        let seq: UInt64
        let correlationID: String?
        /// Admission time on the pool's clock (queued TTL).
        let arrivedMs: UInt64
    }

    struct SenderQueue: Sendable {
        /// The nonce the committed account expects next.
        var expectedNonce: UInt64
        var byNonce: [UInt64: Hash] = [:]
        var pendingFees: UInt64 = 0
        /// Length of the contiguous run from `expectedNonce`: the sender's ready transactions.
        /// Everything after the run is queued.
        var ready = 0
        var queued: Int { byNonce.count - ready }
    }

    /// Lowest fee first, then latest arrival first: what eviction takes.
    struct EvictionKey: Comparable, Sendable {
        let fee: UInt64, seq: UInt64, id: Hash
        static func < (a: EvictionKey, b: EvictionKey) -> Bool {
            a.fee != b.fee ? a.fee < b.fee : a.seq > b.seq
        }
    }

    struct Pool: Sendable {
        var byID: [Hash: Entry] = [:]
        var bySender: [Address: SenderQueue] = [:]
        var eviction = Heap<EvictionKey>()
        var bytes = 0
        var seq: UInt64 = 0
        /// Sum of the senders' `ready`.
        var readyCount = 0
        /// Queued transactions, oldest first (lazy: a key whose entry left or became ready is
        /// skipped when met; an entry that becomes queued again is pushed again).
        var queuedOrder = Heap<QueuedKey>()
        /// Evictions made under the lock, reported (log, metric) after it.
        var evicted: [(Hash, Eviction)] = []
        var queuedCount: Int { byID.count - readyCount }
    }

    public let config: Config
    let pool = Mutex(Pool())
    public let rejections: RejectionLog
    /// Why transactions left the pool without a block: queued ones by age or overflow, any by
    /// a higher fee when the pool was at its ceiling.
    public let evictions = ReasonLog<Eviction>(capacity: 10_000)
    /// The chain's measured commit rate; the ready bound follows it.
    public let commitRate: CommitRate
    let now: Clock
    let metrics: NodeMetrics
    /// Wakes waiters after each admission (the consensus driver between heights).
    public let admissions = AdmissionSignal()
    /// Transactions whose signature this node checked (admission fills it; block verification
    /// skips them). Kept even after they leave the pool: a peer's block may still carry them.
    public let verified: VerifiedSignatures

    public init(config: Config = Config(), rejectionLogCapacity: Int = 10_000, commitRate: CommitRate = CommitRate(),
                clock: @escaping Clock = Mempool.systemClock, metrics: NodeMetrics = .disabled,
                verified: VerifiedSignatures = VerifiedSignatures()) {
        self.config = config
        self.verified = verified
        rejections = RejectionLog(capacity: rejectionLogCapacity)
        self.commitRate = commitRate
        now = clock
        self.metrics = metrics
    }

    // MARK: Admission

    /// Verifies and admits one transaction. Refusals about load (`busy`, `queuedLimit`) and the
    /// cheap ones come before the signature check: a full pool answers a flood at once.
    @discardableResult
    public func insert(_ tx: Transaction, view: ChainView, correlationID: String? = nil) throws(AdmissionError) -> Admitted {
        let account: Account
        do { account = try view.account(tx.sender) } catch { throw .stateUnavailable("\(error)") }
        // A nonce the chain already consumed can never be included: refuse it before paying
        // for a signature check (peers relay transactions this node has already committed).
        if tx.body.nonce < account.nonce { throw .rejected(.nonceTooLow(expected: account.nonce, got: tx.body.nonce)) }
        try checkExpiry(tx, view: view)
        let bound = readyBound()
        if let refusal = edgeRefusal(tx, account: account, bound: bound) { throw refusal }
        guard verified.check(tx) else { throw .rejected(.invalidSignature) }
        return try admitVerified(tx, view: view, account: account, bound: bound, correlationID: correlationID)
    }

    /// Verifies a batch on every core, then admits each in order. A batch may displace
    /// lower-fee ready transactions when the ready set is at its bound (a relayed or bulk batch
    /// is worth more than the cheapest pending work); what it cannot place is refused `busy`.
    public func insert(batch: [Transaction], view: ChainView) -> [Result<Admitted, AdmissionError>] {
        let bound = readyBound()
        let valid = verified.check(batch).valid
        return batch.indices.map { i in
            guard valid[i] else { return .failure(.rejected(.invalidSignature)) }
            do throws(AdmissionError) {
                try checkExpiry(batch[i], view: view)
                return .success(try admitVerified(batch[i], view: view, bound: bound, displace: true, correlationID: nil))
            } catch { return .failure(error) }
        }
    }

    /// Admits a client's batch (`POST /api/v1/transactions/batch`) under `insert`'s rules for
    /// each transaction: the cheap checks and the load refusals (`busy`, `queuedLimit`) before any
    /// signature is verified, no displacement. Only the signatures of those that pass are checked,
    /// together on every core; then each is admitted in batch order, so a sender's consecutive
    /// nonces in one batch become ready one after the other. `view` is asked twice: before the
    /// checks and after the signatures, because a block may commit while a large batch is
    /// verified, and admitting against the older head would see the sender's committed nonces
    /// as a gap (its new transactions `queued`, not ready). One result per transaction, in order.
    public func insert(submitted batch: [Transaction], view: () -> ChainView) -> [Result<Admitted, AdmissionError>] {
        var results: [Result<Admitted, AdmissionError>] = Array(repeating: .failure(.rejected(.invalidSignature)), count: batch.count)
        let before = view()
        let bound = readyBound()
        var candidates: [Int] = []
        for (i, tx) in batch.enumerated() {
            do throws(AdmissionError) {
                let account: Account
                do { account = try before.account(tx.sender) } catch { throw .stateUnavailable("\(error)") }
                if tx.body.nonce < account.nonce { throw .rejected(.nonceTooLow(expected: account.nonce, got: tx.body.nonce)) }
                try checkExpiry(tx, view: before)
                if let refusal = edgeRefusal(tx, account: account, bound: bound) { throw refusal }
                candidates.append(i)
            } catch { results[i] = .failure(error) }
        }
        let valid = verified.check(candidates.map { batch[$0] }).valid
        let after = view()
        for (k, i) in candidates.enumerated() where valid[k] {
            do throws(AdmissionError) {
                results[i] = .success(try admitVerified(batch[i], view: after, correlationID: nil))
            } catch { results[i] = .failure(error) }
        }
        Mempool.refuseAfterPendingLimit(batch, &results)
        return results
    }

    /// The nonces of a client's batch that follow one refused for its sender's pending limit
    /// (`senderPendingLimit`) are past the window for the same reason: refused alike, so a client
    /// sends them again together, not as `nonceTooHigh` (issue 18: batches of 200 consecutive
    /// nonces against a window of 1,024).
    static func refuseAfterPendingLimit(_ batch: [Transaction], _ results: inout [Result<Admitted, AdmissionError>]) {
        var limited: [Address: (nonce: UInt64, error: AdmissionError)] = [:]
        for (i, tx) in batch.enumerated() {
            guard case let .failure(error) = results[i] else { continue }
            if case .senderPendingLimit = error {
                limited[tx.sender] = (tx.body.nonce, error)
            } else if case .rejected(.nonceTooHigh) = error, let last = limited[tx.sender], tx.body.nonce == last.nonce + 1 {
                results[i] = .failure(last.error)
                limited[tx.sender] = (tx.body.nonce, last.error)
            }
        }
    }

    /// `expiresAt` at most `maxExpiryHeights` past the next height: a sender must not choose
    /// how long the pool keeps its transaction (issue 14: 10^9 was accepted).
    func checkExpiry(_ tx: Transaction, view: ChainView) throws(AdmissionError) {
        let (sum, overflow) = view.nextHeight.addingReportingOverflow(config.maxExpiryHeights)
        let limit = overflow ? UInt64.max : sum
        if tx.body.expiresAt > limit { throw .expiryTooFar(expiresAt: tx.body.expiresAt, limit: limit) }
    }

    /// Admits a transaction whose signature the caller has verified; `account` is the sender's
    /// committed account when the caller already read it.
    func admitVerified(_ tx: Transaction, view: ChainView, account known: Account? = nil, bound: Int? = nil,
                       displace: Bool = false, correlationID: String?) throws(AdmissionError) -> Admitted {
        let body = tx.body
        if body.chainID != view.chainID { throw .rejected(.wrongChain(expected: view.chainID, got: body.chainID)) }
        if view.nextHeight > body.expiresAt { throw .rejected(.expired(expiresAt: body.expiresAt, height: view.nextHeight)) }
        try checkExpiry(tx, view: view)
        let sender = tx.sender
        let account: Account
        if let known { account = known } else {
            do { account = try view.account(sender) } catch { throw .stateUnavailable("\(error)") }
        }
        if case let .evidence(evidence) = body.payload, let state = view.state {
            let rejection: Rejection?
            do { rejection = try Staking.evidenceRejection(evidence, chainID: view.chainID, height: view.nextHeight, state: state) } catch {
                throw .stateUnavailable("\(error)")
            }
            if let rejection { throw .rejected(rejection) }
        }
        let limits = AdmissionLimits(bound: bound ?? readyBound(), displace: displace, nowMs: now())
        let (result, evicted) = pool.withLock { (p: inout Pool) -> (Result<Admitted, AdmissionError>, [(Hash, Eviction)]) in
            defer { p.evicted.removeAll() }
            let r: Result<Admitted, AdmissionError>
            do throws(AdmissionError) {
                r = .success(try place(tx, account: account, view: view, limits: limits, correlationID: correlationID, in: &p))
            } catch { r = .failure(error) }
            return (r, p.evicted)
        }
        report(evicted)
        let admitted = try result.get()
        admissions.notify()
        return admitted
    }

    /// The locked part of admission: nonce window, fees, replacement, the bounds, then the entry.
    private func place(_ tx: Transaction, account: Account, view: ChainView, limits: AdmissionLimits, correlationID: String?,
                       in p: inout Pool) throws(AdmissionError) -> Admitted {
        let body = tx.body
        let sender = tx.sender
        if p.byID[tx.id] != nil { throw .alreadyKnown(tx.id) }
        sweepQueued(nowMs: limits.nowMs, &p)
        // The view may predate a block that committed since; the pool's record of the
        // account's next nonce never moves backwards. A view newer than the pool (a block
        // committed, the pool's update still to come) settles the sender's queue first.
        if let q = p.bySender[sender], q.expectedNonce < account.nonce { Mempool.advance(sender, to: account.nonce, in: &p) }
        let queue = p.bySender[sender] ?? SenderQueue(expectedNonce: account.nonce)
        let expected = queue.expectedNonce
        if body.nonce < expected { throw .rejected(.nonceTooLow(expected: expected, got: body.nonce)) }
        if body.nonce >= expected + UInt64(config.maxPerSender) {
            // Continuing a full window of pending nonces is load (come back when the earliest
            // have committed); a nonce past a gap in the pending chain is the sender's mistake.
            if queue.ready >= config.maxPerSender, body.nonce == expected + UInt64(queue.ready) {
                throw .senderPendingLimit(sender, limit: config.maxPerSender, retryAfter: pendingLimitRetryAfter(p))
            }
            throw .rejected(.nonceTooHigh(expected: expected, got: body.nonce))
        }
        // Fees and faucet rules are checked as if this were the sender's next transaction;
        // a queued transaction is checked again when it executes.
        var asNext = account
        asNext.nonce = body.nonce
        if body.nonce == expected,
           let r = TransactionExecutor.admissible(tx, account: asNext, params: view.params, chainID: view.chainID,
                                                  height: view.nextHeight, supply: { view.supply }) {
            throw .rejected(r)
        }
        if body.nonce > expected {
            if TransactionExecutor.isFeeExempt(body.payload) { throw .rejected(.nonceTooHigh(expected: expected, got: body.nonce)) }
            if body.fee < view.params.minFee { throw .rejected(.feeTooLow(minimum: view.params.minFee, got: body.fee)) }
        }
        var replaced: Hash?
        if let existingID = queue.byNonce[body.nonce], let existing = p.byID[existingID] {
            let old = existing.tx.body.fee.units
            let required = old + max(1, old * config.replacementBumpPercent / 100)
            guard body.fee.units >= required else {
                throw .replacementUnderpriced(existingFee: existing.tx.body.fee, required: Amount(required) ?? .max)
            }
            replaced = existingID
        } else if queue.byNonce.count >= config.maxPerSender {
            throw .senderPendingLimit(sender, limit: config.maxPerSender, retryAfter: pendingLimitRetryAfter(p))
        }
        // The sender must afford the fees of everything it has pending.
        let existingFee = replaced.flatMap { p.byID[$0]?.tx.body.fee.units } ?? 0
        let fees = queue.pendingFees - existingFee + body.fee.units
        if body.fee > .zero, fees > account.balance.units {
            throw .rejected(.insufficientFundsForFee(balance: account.balance, fee: Amount(fees) ?? .max))
        }
        if replaced == nil { try makeRoom(for: tx, queue: queue, limits: limits, in: &p) }
        if let replaced { Mempool.remove(replaced, from: &p) }
        // Make room under the hard ceiling: evict the cheapest while the arrival pays more.
        while p.byID.count + 1 > config.maxCount || p.bytes + tx.size > config.maxBytes {
            guard let lowest = Mempool.lowest(&p) else { break }
            guard lowest.fee < body.fee.units else { throw .full(lowestFee: Amount(lowest.fee) ?? .zero) }
            Mempool.evict(lowest.id, .displaced(byFee: body.fee), from: &p)
        }
        return Mempool.add(tx, expected: expected, correlationID: correlationID, nowMs: limits.nowMs, replaced: replaced, to: &p)
    }

    /// Enters an admitted transaction: its entry, its sender's run or the queued order.
    private static func add(_ tx: Transaction, expected: UInt64, correlationID: String?, nowMs: UInt64, replaced: Hash?,
                            to p: inout Pool) -> Admitted {
        let nonce = tx.body.nonce
        var queue = p.bySender[tx.sender] ?? SenderQueue(expectedNonce: expected)
        p.seq += 1
        p.byID[tx.id] = Entry(tx: tx, seq: p.seq, correlationID: correlationID, arrivedMs: nowMs)
        queue.byNonce[nonce] = tx.id
        queue.pendingFees += tx.body.fee.units
        p.bytes += tx.size
        p.eviction.insert(EvictionKey(fee: tx.body.fee.units, seq: p.seq, id: tx.id))
        extendRun(&queue, &p)
        let isReady = nonce < queue.expectedNonce + UInt64(queue.ready)
        if !isReady { p.queuedOrder.insert(QueuedKey(seq: p.seq, arrivedMs: nowMs, id: tx.id)) }
        p.bySender[tx.sender] = queue
        if let replaced { return .replaced(replaced) }
        return isReady ? .ready : .queued
    }

    // MARK: Block building

    struct Candidate: Comparable {
        let fee: UInt64, seq: UInt64, sender: Address, nonce: UInt64
        static func < (a: Candidate, b: Candidate) -> Bool { a.fee != b.fee ? a.fee < b.fee : a.seq > b.seq }
    }

    /// Ready transactions for the next block: highest fee first, then earliest arrival, each
    /// sender's in nonce order. Nothing is removed until the block commits.
    public func reap(maxCount: Int, maxBytes: Int) -> [Transaction] {
        pool.withLock { p in
            var heap = Heap<Candidate>()
            for (sender, q) in p.bySender {
                if let id = q.byNonce[q.expectedNonce], let e = p.byID[id] {
                    heap.insert(Candidate(fee: e.tx.body.fee.units, seq: e.seq, sender: sender, nonce: q.expectedNonce))
                }
            }
            var out: [Transaction] = []
            var bytes = 0
            while out.count < maxCount, let c = heap.popMax() {
                guard let q = p.bySender[c.sender], let id = q.byNonce[c.nonce], let e = p.byID[id] else { continue }
                if bytes + e.tx.size > maxBytes { continue }
                out.append(e.tx)
                bytes += e.tx.size
                if let nextID = q.byNonce[c.nonce + 1], let next = p.byID[nextID] {
                    heap.insert(Candidate(fee: next.tx.body.fee.units, seq: next.seq, sender: c.sender, nonce: c.nonce + 1))
                }
            }
            return out
        }
    }

    /// After a block commits: drop what it included and what it refused, bring each touched
    /// sender's expected nonce up to the committed account, and evict queued transactions past
    /// their TTL.
    public func update(committed: [Transaction], refused: [(Transaction, Rejection)], accountNonce: (Address) -> UInt64?) {
        for (tx, reason) in refused where !Mempool.keepsAfterRefusal(reason) {
            rejections.record(tx.id, reason)
        }
        let nowMs = now()
        let evicted: [(Hash, Eviction)] = pool.withLock { p in
            defer { p.evicted.removeAll() }
            var touched = Set<Address>()
            for tx in committed {
                Mempool.removeCommitted(tx, from: &p)
                touched.insert(tx.sender)
            }
            for (tx, reason) in refused where !Mempool.keepsAfterRefusal(reason) {
                Mempool.remove(tx.id, from: &p)
                touched.insert(tx.sender)
            }
            // Admission reads the account outside the pool lock, so a view can predate the
            // block that just emptied a sender's queue and re-create the queue with the old next
            // nonce; a queue whose next nonce is missing is therefore brought up to the committed
            // account too, or its transactions would never be reaped (seen: `agora simulate
            // network` waited forever for a drained mempool under load).
            let stalled = p.bySender.compactMap { sender, q in q.byNonce[q.expectedNonce] == nil ? sender : nil }
            for sender in touched.union(stalled) {
                guard let nonce = accountNonce(sender) else { continue }
                Mempool.advance(sender, to: nonce, in: &p)
            }
            sweepQueued(nowMs: nowMs, &p)
            if p.eviction.count > 2 * p.byID.count + 1024 { Mempool.compact(&p) }
            return p.evicted
        }
        report(evicted)
    }

    /// A transaction refused only because an earlier nonce is missing waits for the gap.
    static func keepsAfterRefusal(_ r: Rejection) -> Bool {
        if case .nonceTooHigh = r { return true }
        return false
    }

    // MARK: Queries

    public func transaction(_ id: Hash) -> Transaction? { pool.withLock { $0.byID[id]?.tx } }
    public func correlationID(_ id: Hash) -> String? { pool.withLock { $0.byID[id]?.correlationID } }

    public func transaction(sender: Address, nonce: UInt64) -> Transaction? {
        pool.withLock { p in p.bySender[sender]?.byNonce[nonce].flatMap { p.byID[$0]?.tx } }
    }

    /// The next nonce a client should use: after the sender's contiguous pending run.
    public func nextNonce(sender: Address, committed: UInt64) -> UInt64 {
        pool.withLock { p in
            guard let q = p.bySender[sender] else { return committed }
            var n = max(committed, q.expectedNonce)
            while q.byNonce[n] != nil { n += 1 }
            return n
        }
    }

    /// Pending transactions in arrival order after arrival number `after`, with their numbers
    /// (the paging cursor).
    public func list(after: UInt64?, limit: Int) -> [(seq: UInt64, tx: Transaction)] {
        pool.withLock { p in
            p.byID.values.filter { $0.seq > (after ?? 0) }.sorted { $0.seq < $1.seq }.prefix(limit).map { ($0.seq, $0.tx) }
        }
    }

    public var count: Int { pool.withLock { $0.byID.count } }
    public var bytes: Int { pool.withLock { $0.bytes } }

    /// Count of transactions executable now (contiguous from each sender's expected nonce).
    public var readyCount: Int { pool.withLock { $0.readyCount } }
    /// Count of transactions waiting for an earlier nonce.
    public var queuedCount: Int { pool.withLock { $0.queuedCount } }

    /// Drops everything (admin flush).
    public func flush() -> Int {
        pool.withLock { p in
            let n = p.byID.count
            p = Pool()
            return n
        }
    }

    // MARK: Internals (lock held)

    static func remove(_ id: Hash, from p: inout Pool) {
        guard let e = p.byID.removeValue(forKey: id) else { return }
        p.bytes -= e.tx.size
        let sender = e.tx.sender
        guard var q = p.bySender[sender] else { return }
        let nonce = e.tx.body.nonce
        if q.byNonce[nonce] == id {
            q.byNonce[nonce] = nil
            shortenRun(&q, at: nonce, &p)
        }
        q.pendingFees -= e.tx.body.fee.units
        p.bySender[sender] = q.byNonce.isEmpty ? nil : q
    }

    /// A committed transaction leaves: at the front of its sender's run the run moves on (the
    /// account's nonce did), so the rest stays ready without being recounted.
    static func removeCommitted(_ tx: Transaction, from p: inout Pool) {
        guard let e = p.byID[tx.id], var q = p.bySender[tx.sender], q.expectedNonce == tx.body.nonce,
              q.byNonce[tx.body.nonce] == tx.id else {
            remove(tx.id, from: &p)
            return
        }
        p.byID[tx.id] = nil
        p.bytes -= e.tx.size
        q.byNonce[tx.body.nonce] = nil
        q.pendingFees -= e.tx.body.fee.units
        q.expectedNonce += 1
        if q.ready > 0 {
            q.ready -= 1
            p.readyCount -= 1
        }
        p.bySender[tx.sender] = q.byNonce.isEmpty ? nil : q
    }

    /// Evicts `id` and the later nonces of its sender (which could no longer execute), each
    /// recorded with `reason`. The latest go first, so no run is shortened twice.
    static func evict(_ id: Hash, _ reason: Eviction, from p: inout Pool) {
        guard let e = p.byID[id] else { return }
        let later = p.bySender[e.tx.sender]?.byNonce.filter { $0.key > e.tx.body.nonce }.sorted { $0.key > $1.key }.map(\.value) ?? []
        for l in later + [id] {
            remove(l, from: &p)
            p.evicted.append((l, reason))
        }
    }

    static func lowest(_ p: inout Pool) -> EvictionKey? {
        while let k = p.eviction.min {
            if p.byID[k.id] != nil { return k }
            _ = p.eviction.popMin()
        }
        return nil
    }

    static func compact(_ p: inout Pool) {
        p.eviction = Heap(p.byID.map { EvictionKey(fee: $0.value.tx.body.fee.units, seq: $0.value.seq, id: $0.key) })
    }
}
