import AgoraCore
import AgoraCrypto
import AgoraState
import AgoraStorage
import Foundation
import Logging

/// The chain's admission side: transactions enter the mempool against the committed head
/// (`submit` for one, announced on the feed and as a `tx.pending` event; `admit(batch:)` for bulk
/// loads), the operator's flush, and the status of a transaction wherever it is.
extension Chain {
    public func view() -> Mempool.ChainView {
        let t = snapshot
        let cache = self.cache
        return Mempool.ChainView(chainID: identity.chainID, nextHeight: t.head.height + 1, params: t.params, supply: t.supply,
                                 account: { address in
                                     let raw = try cache.value(for: BankKeys.account(address))
                                     return try raw.map { try Account(canonicalBytes: $0) } ?? .empty
                                 }, state: cache)
    }

    /// Admits a transaction to the mempool. A transaction already committed is `alreadyKnown`.
    @discardableResult
    public func submit(_ tx: Transaction, correlationID: String? = nil) throws(Mempool.AdmissionError) -> Mempool.Admitted {
        let result: Mempool.Admitted
        do {
            result = try mempool.insert(tx, view: view(), correlationID: correlationID)
        } catch {
            throw refused(tx, error, correlationID: correlationID)
        }
        announce([tx], correlationID: correlationID)
        return result
    }

    /// Admits a client's batch (`Mempool.insert(submitted:)`: each transaction under the rules of
    /// `submit`, the signatures verified together), announcing each admitted one as `submit`
    /// does: on the feed (gossip), as a `tx.pending` event, in the metrics. One result per
    /// transaction, in order.
    public func submit(batch: [Transaction], correlationID: String? = nil) -> [Result<Mempool.Admitted, Mempool.AdmissionError>] {
        let results = mempool.insert(submitted: batch, view: view)
        var admitted: [Transaction] = []
        let answered = zip(batch, results).map { tx, result -> Result<Mempool.Admitted, Mempool.AdmissionError> in
            switch result {
            case .success: admitted.append(tx); return result
            case let .failure(error): return .failure(refused(tx, error, correlationID: correlationID))
            }
        }
        announce(admitted, correlationID: correlationID)
        return answered
    }

    /// Counts and logs a refusal; a committed transaction's nonce is consumed, so it is refused
    /// `nonceTooLow`: named `alreadyKnown` instead (looked up only on this path, which keeps
    /// SQLite off the admission of new ones).
    private func refused(_ tx: Transaction, _ error: Mempool.AdmissionError, correlationID: String?) -> Mempool.AdmissionError {
        if case .rejected(.nonceTooLow) = error, (try? store.transaction(id: tx.id)) != nil {
            return .alreadyKnown(tx.id)
        }
        metrics.rejected(error.code)
        if error.isBoundRefusal { metrics.mempoolRefused(error.code) }
        logger.debug("refused transaction", metadata: ["tx": .string(tx.id.hex), "reason": .string(error.code),
                                                      "correlation_id": .string(correlationID ?? "-")])
        return error
    }

    /// What follows an admission: the pool's gauges, the feed (gossip), `tx.pending` events.
    private func announce(_ txs: [Transaction], correlationID: String?) {
        guard !txs.isEmpty else { return }
        metrics.mempoolTransactions.record(mempool.count)
        metrics.mempoolBytes.record(mempool.bytes)
        for tx in txs {
            feed.admitted(tx)
            logger.debug("admitted transaction", metadata: [
                "tx": .string(tx.id.hex), "sender": .string(tx.sender.description), "nonce": .stringConvertible(tx.body.nonce),
                "correlation_id": .string(correlationID ?? "-"),
            ])
        }
        events.publish(txs.map(BlockEvents.pending))
    }

    /// Admits a batch with its signatures checked on every core (bulk loads and benchmarks):
    /// no per-transaction event, gossip or log line, unlike `submit`.
    public func admit(batch: [Transaction]) -> [Result<Mempool.Admitted, Mempool.AdmissionError>] {
        let results = mempool.insert(batch: batch, view: view())
        for case let .failure(error) in results where error.isBoundRefusal { metrics.mempoolRefused(error.code) }
        return results
    }

    /// Yields to `continuation` after every admission to the mempool (see `AdmissionSignal`).
    public func wakeOnAdmission(_ continuation: AsyncStream<Void>.Continuation) { mempool.admissions.wake(continuation) }

    /// Drops every pending transaction (operator action); returns how many were dropped.
    public func flushMempool() -> Int { mempool.flush() }

    /// A minimal write transaction, fsynced like a block commit: proves the database is writable.
    public func probeStorageWrite() throws { try store.probeWrite() }

    public enum TransactionStatus: Sendable {
        case pending(Transaction)
        case committed(BlockStore.StoredTransaction)
        case rejected(Rejection)
        /// Left the pool without a block: queued too long, or displaced (`Mempool.Eviction`).
        case evicted(Mempool.Eviction)
        case unknown
    }

    /// Looks in the mempool first: a transaction leaves it only after its block is committed or
    /// its refusal is recorded, so in this order a concurrent block can never make it vanish.
    public func status(of id: Hash) throws -> TransactionStatus {
        if let tx = mempool.transaction(id) { return .pending(tx) }
        if let stored = try store.transaction(id: id) { return .committed(stored) }
        if let reason = mempool.rejections.reason(id) { return .rejected(reason) }
        if let reason = mempool.evictions.reason(id) { return .evicted(reason) }
        return .unknown
    }
}
