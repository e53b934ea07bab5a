import AgoraCore
import AgoraState
import Foundation
import HeapModule

/// The mempool's bounds on what it holds (docs/mempool.md):
///
/// - READY transactions (includable in the next block) at most `maxPendingSeconds` of the
///   chain's measured commit rate (`CommitRate`, floored at `minCommitRate`, capped by the hard
///   `maxCount`). Past it a new ready transaction is refused at once as `busy` with the seconds
///   the chain needs to work the excess off: the pool never admits more than the chain commits
///   in that time, so what it admitted is committed within it (fee, then arrival) or expires.
///   When the rate makes the bound reach `maxCount`, the hard ceiling rules instead: a
///   higher fee displaces the lowest, otherwise `full`.
/// - QUEUED transactions (waiting for an earlier nonce, which may never come) at most
///   `maxQueuedPerSender` per sender (`queuedLimit`), `maxQueued` in all (the oldest is
///   evicted), each for at most `queuedTTLMs` (evicted by age). They cost memory and gossip but
///   no block space, so they are bounded apart from the ready set and never count as work.
/// - PER SENDER, `maxPerSender` pending nonces past the committed one: the next nonce of a
///   sender whose window is full of ready transactions is refused as `senderPendingLimit` with
///   the seconds the chain needs to commit the ready set; a nonce past a gap stays `nonceTooHigh`.
///
/// The run bookkeeping that tells ready from queued in O(1) lives here too.
extension Mempool {
    /// Why a transaction left the pool without being committed or refused by a block.
    public enum Eviction: Sendable, Equatable, CustomStringConvertible {
        /// Queued longer than `queuedTTLMs` (or a later nonce of one that was).
        case queuedExpired(ageMs: UInt64, ttlMs: UInt64)
        /// The oldest queued transaction (or a later nonce of it) made room under `maxQueued`.
        case queuedOverflow(limit: Int)
        /// A transaction paying `byFee` took its place at the pool's ceiling or ready bound.
        case displaced(byFee: Amount)

        public var code: String {
            switch self {
            case .queuedExpired: return "queued_expired"
            case .queuedOverflow: return "queued_overflow"
            case .displaced: return "displaced"
            }
        }

        public var description: String {
            switch self {
            case let .queuedExpired(age, ttl): return "waited \(age) ms for an earlier nonce, longer than the \(ttl) ms a queued transaction is kept"
            case let .queuedOverflow(l): return "evicted as the oldest of \(l) queued transactions (waiting for an earlier nonce)"
            case let .displaced(fee): return "displaced by a transaction paying fee \(fee) while the pool was full"
            }
        }
    }

    /// A queued entry in arrival order.
    struct QueuedKey: Comparable, Sendable {
        let seq: UInt64, arrivedMs: UInt64, id: Hash
        static func < (a: QueuedKey, b: QueuedKey) -> Bool { a.seq < b.seq }
        static func == (a: QueuedKey, b: QueuedKey) -> Bool { a.seq == b.seq && a.id == b.id }
    }

    /// What one admission is checked against, computed before the pool lock is taken.
    struct AdmissionLimits: Sendable {
        let bound: Int
        let displace: Bool
        let nowMs: UInt64
    }

    // MARK: The ready bound

    /// The commit rate the bound assumes: measured, never below the floor.
    public func assumedCommitRate() -> Double {
        max(config.minCommitRate, commitRate.perSecond(nowMs: now()) ?? 0)
    }

    /// Ready transactions the pool admits at most now.
    public func readyBound() -> Int {
        let seconds = config.maxPendingSeconds * assumedCommitRate()
        return max(1, min(config.maxCount, seconds >= Double(Int.max) ? Int.max : Int(seconds)))
    }

    /// Seconds until the chain, at the assumed rate, has worked the ready set below `bound`.
    func busyRetryAfter(ready: Int, bound: Int) -> Int {
        let excess = Double(max(1, ready - bound + 1))
        return min(60, max(1, Int((excess / assumedCommitRate()).rounded(.up))))
    }

    /// Seconds until the chain, at the assumed rate, has committed every transaction ready now —
    /// the sender's oldest among them, so its pending window has room by then.
    func pendingLimitRetryAfter(_ p: Pool) -> Int {
        min(60, max(1, Int((Double(max(1, p.readyCount)) / assumedCommitRate()).rounded(.up))))
    }

    /// The load refusals, checked before a signature is: `senderPendingLimit` for a transaction
    /// that continues a sender's full window of pending nonces, `busy` for one that would be
    /// ready while the ready set holds its bound, `queuedLimit` for one that would wait behind
    /// a sender's full queue. Replacements pass (they add nothing).
    func edgeRefusal(_ tx: Transaction, account: Account, bound: Int) -> AdmissionError? {
        if Mempool.bypassesBound(tx) { return nil }
        return pool.withLock { p -> AdmissionError? in
            let q = p.bySender[tx.sender] ?? SenderQueue(expectedNonce: account.nonce)
            // A queue behind the view is settled by `place`; this pre-check leaves it to that.
            guard q.expectedNonce >= account.nonce, tx.body.nonce >= q.expectedNonce, q.byNonce[tx.body.nonce] == nil else { return nil }
            let runEnd = q.expectedNonce + UInt64(q.ready)
            if tx.body.nonce == runEnd, q.ready >= config.maxPerSender {
                return .senderPendingLimit(tx.sender, limit: config.maxPerSender, retryAfter: pendingLimitRetryAfter(p))
            }
            if tx.body.nonce == runEnd {
                guard bound < config.maxCount, p.readyCount >= bound else { return nil }
                return .busy(ready: p.readyCount, bound: bound, retryAfter: busyRetryAfter(ready: p.readyCount, bound: bound))
            }
            guard q.queued >= config.maxQueuedPerSender else { return nil }
            return .queuedLimit(tx.sender, limit: config.maxQueuedPerSender, retryAfter: queuedRetryAfter(q, p, nowMs: now()))
        }
    }

    /// Makes room for a new (not replacing) transaction under the ready bound or the queued
    /// limits, or refuses it. `queue` is the sender's queue with the expected nonce settled.
    func makeRoom(for tx: Transaction, queue: SenderQueue, limits: AdmissionLimits, in p: inout Pool) throws(AdmissionError) {
        let runEnd = queue.expectedNonce + UInt64(queue.ready)
        if tx.body.nonce == runEnd {
            // A bound at the hard ceiling is the ceiling's business: fee displacement, `full`.
            if Mempool.bypassesBound(tx) || limits.bound >= config.maxCount { return }
            var displaced = 0
            while p.readyCount >= limits.bound {
                // A batch may push out cheaper ready work (at most a few per arrival), never
                // a single submission: that one is told to come back.
                guard limits.displace, displaced < 16, let lowest = Mempool.lowest(&p), lowest.fee < tx.body.fee.units else {
                    throw .busy(ready: p.readyCount, bound: limits.bound, retryAfter: busyRetryAfter(ready: p.readyCount, bound: limits.bound))
                }
                Mempool.evict(lowest.id, .displaced(byFee: tx.body.fee), from: &p)
                displaced += 1
            }
            return
        }
        if queue.queued >= config.maxQueuedPerSender {
            throw .queuedLimit(tx.sender, limit: config.maxQueuedPerSender, retryAfter: queuedRetryAfter(queue, p, nowMs: limits.nowMs))
        }
        while p.queuedCount >= config.maxQueued, let oldest = Mempool.oldestQueued(&p) {
            Mempool.evict(oldest.id, .queuedOverflow(limit: config.maxQueued), from: &p)
        }
    }

    /// Evidence of a double sign is never refused for load: it is free, rare (one per offence)
    /// and what keeps validators honest.
    static func bypassesBound(_ tx: Transaction) -> Bool {
        if case .evidence = tx.body.payload { return true }
        return false
    }

    /// Seconds until the sender's oldest queued transaction leaves by age (its queue has room
    /// then) — unless the sender fills its gap first.
    func queuedRetryAfter(_ q: SenderQueue, _ p: Pool, nowMs: UInt64) -> Int {
        let runEnd = q.expectedNonce + UInt64(q.ready)
        let oldest = q.byNonce.filter { $0.key >= runEnd }.compactMap { p.byID[$0.value]?.arrivedMs }.min() ?? nowMs
        let age = nowMs >= oldest ? nowMs - oldest : 0
        let left = config.queuedTTLMs > age ? config.queuedTTLMs - age : 0
        return max(1, Int((Double(left) / 1000).rounded(.up)))
    }

    // MARK: Queued age and order

    /// Evicts queued transactions older than the TTL (oldest first; amortised O(1) per call).
    func sweepQueued(nowMs: UInt64, _ p: inout Pool) {
        while let oldest = Mempool.oldestQueued(&p), nowMs >= oldest.arrivedMs, nowMs - oldest.arrivedMs >= config.queuedTTLMs {
            Mempool.evict(oldest.id, .queuedExpired(ageMs: nowMs - oldest.arrivedMs, ttlMs: config.queuedTTLMs), from: &p)
        }
        if p.queuedOrder.count > 2 * p.queuedCount + 1024 { Mempool.compactQueued(&p) }
    }

    /// The oldest entry that is still queued, dropping stale keys on the way.
    static func oldestQueued(_ p: inout Pool) -> QueuedKey? {
        while let k = p.queuedOrder.min {
            if let e = p.byID[k.id], e.seq == k.seq, isQueued(e, p) { return k }
            _ = p.queuedOrder.popMin()
        }
        return nil
    }

    static func isQueued(_ e: Entry, _ p: Pool) -> Bool {
        guard let q = p.bySender[e.tx.sender] else { return false }
        return e.tx.body.nonce >= q.expectedNonce + UInt64(q.ready)
    }

    static func compactQueued(_ p: inout Pool) {
        let pool = p
        p.queuedOrder = Heap(pool.byID.compactMap { id, e in
            isQueued(e, pool) ? QueuedKey(seq: e.seq, arrivedMs: e.arrivedMs, id: id) : nil
        })
    }

    // MARK: Runs

    /// Extends the sender's ready run over the nonces now contiguous with it.
    static func extendRun(_ q: inout SenderQueue, _ p: inout Pool) {
        while q.byNonce[q.expectedNonce + UInt64(q.ready)] != nil {
            q.ready += 1
            p.readyCount += 1
        }
    }

    /// `nonce` left the sender's queue: if it was inside the run, what followed it waits for
    /// the gap again (and joins the queued order).
    static func shortenRun(_ q: inout SenderQueue, at nonce: UInt64, _ p: inout Pool) {
        let runEnd = q.expectedNonce + UInt64(q.ready)
        guard nonce >= q.expectedNonce, nonce < runEnd else { return }
        let kept = Int(nonce - q.expectedNonce)
        p.readyCount -= q.ready - kept
        q.ready = kept
        for n in (nonce + 1)..<runEnd {
            if let id = q.byNonce[n], let e = p.byID[id] { p.queuedOrder.insert(QueuedKey(seq: e.seq, arrivedMs: e.arrivedMs, id: id)) }
        }
    }

    /// The committed account of `sender` expects `nonce`: older entries go, the run is recounted.
    static func advance(_ sender: Address, to nonce: UInt64, in p: inout Pool) {
        guard var q = p.bySender[sender], nonce >= q.expectedNonce else { return }
        p.readyCount -= q.ready
        q.ready = 0
        q.expectedNonce = nonce
        let stale = q.byNonce.filter { $0.key < nonce }
        p.bySender[sender] = q
        for (_, id) in stale { remove(id, from: &p) }
        guard var settled = p.bySender[sender] else { return }
        extendRun(&settled, &p)
        p.bySender[sender] = settled
    }

    /// Records evictions made under the lock: the reason for status queries, the metric.
    func report(_ evicted: [(Hash, Eviction)]) {
        for (id, reason) in evicted {
            evictions.record(id, reason)
            metrics.mempoolEvicted(reason.code)
        }
    }
}
