import AgoraCore
import AgoraLedger
import AgoraNetwork
import ServiceLifecycle

/// The `transactions` gossip topic: transactions this node's mempool admitted from its API go
/// out through the mesh; a batch from a peer is checked against the seen-cache, submitted to the
/// mempool, and what was admitted goes on to the mesh minus its sender. Outgoing transactions
/// are batched per peer (`TransactionOutbox`), full batches at once and the rest every 10 ms.
///
/// Backpressure both ways (docs/mempool.md): a batch this node's mempool refuses as `busy` is
/// answered with `mempoolBusy` and the retry-after its pool named; a peer that sent one gets no
/// transactions from this node until its pause ends (`RelayPauses`).
struct TransactionRelay: Sendable {
    let chain: Chain
    let registry: PeerRegistry
    let outbox = TransactionOutbox(batchLimit: WireMessage.maxTransactions)
    let pauses: RelayPauses

    /// A transaction admitted to this node's mempool. One that came from a peer was marked seen
    /// on arrival, so `originate` refuses it and `receive` forwards it instead.
    func admitted(_ tx: Transaction) {
        let targets = registry.targets(.transactions([tx]), id: tx.id, topic: .transactions, from: nil, originate: true)
        flush(outbox.enqueue([tx], to: targets))
    }

    func receive(_ txs: [Transaction], from peer: Hash) throws -> TrustEvent? {
        var admitted: [Transaction] = []
        var busyFor: Int?
        for tx in txs {
            switch registry.router.withLock({ $0.receive(tx.id, from: peer) }) {
            case .duplicate:
                registry.metrics.gossip(.transactions, duplicate: true)
                // It has this one: drop it from what still waits to go to it.
                outbox.cancel(tx.id, for: peer)
                continue
            case .knownInvalid:
                registry.metrics.gossip(.transactions, duplicate: true)
                throw PeerFault.forgedTransaction
            case .new:
                registry.metrics.gossip(.transactions, duplicate: false)
            }
            do {
                try chain.submit(tx)
                admitted.append(tx)
            } catch {
                if case let .busy(_, _, seconds) = error { busyFor = max(busyFor ?? 0, seconds) }
                // Only a forged signature marks the ID invalid: other refusals (nonce,
                // balance, full mempool) depend on this node's state, not on the sender.
                if case .rejected(.invalidSignature) = error {
                    registry.router.withLock { $0.reject(tx.id) }
                    throw PeerFault.forgedTransaction
                }
            }
        }
        if let busyFor {
            let ms = UInt32(clamping: min(Int(WireMessage.maxRelayPauseMs), busyFor * 1_000))
            registry.send(.mempoolBusy(retryAfterMs: max(1, ms)), to: [peer])
        }
        guard !admitted.isEmpty else { return nil }
        // Every admitted transaction goes to the same mesh minus the sender: one batch.
        let targets = registry.router.withLock { r in
            Set(admitted.flatMap { r.route($0.id, .transactions([$0]), topic: .transactions, from: peer) })
        }
        flush(outbox.enqueue(admitted, to: targets))
        return .usefulTransaction
    }

    /// Sends what waited for a batch, every 10 ms.
    func run() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(10))
            flush(outbox.drain())
        }
    }

    /// The peer's mempool is full: no transactions go to it for `ms` milliseconds, and what
    /// waited in its outbox is dropped (it would be refused).
    func peerBusy(_ peer: Hash, retryAfterMs ms: UInt32) {
        pauses.pause(peer, forMs: ms)
        outbox.forget(peer)
    }

    func disconnected(_ peer: Hash) {
        outbox.forget(peer)
        pauses.forget(peer)
    }

    private func flush(_ batches: [(Hash, [Transaction])]) {
        for (peer, txs) in batches where pauses.mayRelay(to: peer) { registry.send(.transactions(txs), to: [peer]) }
    }
}
