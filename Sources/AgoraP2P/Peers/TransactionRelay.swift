import AgoraCore
import AgoraLedger
import AgoraNetwork
import ServiceLifecycle

/// The `transactions` gossip topic: transactions this node's mempool admitted from its API go
/// out through the mesh; a batch from a peer is checked against the seen-cache, submitted to the
/// mempool, and what was admitted goes on to the mesh minus its sender. Outgoing transactions
/// are batched per peer (`TransactionOutbox`), full batches at once and the rest every 10 ms.
struct TransactionRelay: Sendable {
    let chain: Chain
    let registry: PeerRegistry
    let outbox = TransactionOutbox(batchLimit: WireMessage.maxTransactions)

    /// A transaction admitted to this node's mempool. One that came from a peer was marked seen
    /// on arrival, so `originate` refuses it and `receive` forwards it instead.
    func admitted(_ tx: Transaction) {
        let targets = registry.targets(.transactions([tx]), id: tx.id, topic: .transactions, from: nil, originate: true)
        flush(outbox.enqueue([tx], to: targets))
    }

    func receive(_ txs: [Transaction], from peer: Hash) throws -> TrustEvent? {
        var admitted: [Transaction] = []
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
                // Only a forged signature marks the ID invalid: other refusals (nonce,
                // balance, full mempool) depend on this node's state, not on the sender.
                if case .rejected(.invalidSignature) = error {
                    registry.router.withLock { $0.reject(tx.id) }
                    throw PeerFault.forgedTransaction
                }
            }
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

    func disconnected(_ peer: Hash) { outbox.forget(peer) }

    private func flush(_ batches: [(Hash, [Transaction])]) {
        for (peer, txs) in batches { registry.send(.transactions(txs), to: [peer]) }
    }
}
