import AgoraCore
import Synchronization

/// Outgoing transaction gossip, batched per peer. Sending one frame per transaction would make
/// a busy node's honest traffic look like a flood to its peers' per-class rate limits (and cost
/// a frame header, an AEAD tag and a syscall each); instead transactions for a peer wait up to
/// one flush interval (10 ms) or until a full batch (`WireMessage.maxTransactions`) is ready.
final class TransactionOutbox: Sendable {
    private let queues = Mutex<[Hash: [Transaction]]>([:])
    let batchLimit: Int

    init(batchLimit: Int) { self.batchLimit = batchLimit }

    /// Queues `txs` for each target; returns the batches that became full and must go now.
    func enqueue(_ txs: [Transaction], to targets: some Sequence<Hash>) -> [(Hash, [Transaction])] {
        queues.withLock { q in
            var ready: [(Hash, [Transaction])] = []
            for peer in targets {
                q[peer, default: []] += txs
                while let pending = q[peer], pending.count >= batchLimit {
                    ready.append((peer, Array(pending.prefix(batchLimit))))
                    q[peer] = pending.count == batchLimit ? nil : Array(pending.dropFirst(batchLimit))
                }
            }
            return ready
        }
    }

    /// Everything queued, per peer, emptying the outbox.
    func drain() -> [(Hash, [Transaction])] {
        queues.withLock { q in
            defer { q.removeAll(keepingCapacity: true) }
            return q.filter { !$0.value.isEmpty }.map { ($0.key, $0.value) }
        }
    }

    /// The peer turned out to have this transaction (it sent it to us): do not send it back.
    func cancel(_ id: Hash, for peer: Hash) {
        queues.withLock { q in
            guard let pending = q[peer], let i = pending.lastIndex(where: { $0.id == id }) else { return }
            q[peer]!.remove(at: i)
        }
    }

    /// A peer that left: its queue is dropped.
    func forget(_ peer: Hash) { _ = queues.withLock { $0.removeValue(forKey: peer) } }
}
