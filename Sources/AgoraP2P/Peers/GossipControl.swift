import AgoraCore
import AgoraLedger
import AgoraNetwork
import ServiceLifecycle

/// Gossip mesh upkeep for every topic (`GossipRouter`'s I/O): answers `ihave` with `iwant` and
/// `iwant` with the cached messages, takes `graft`/`prune`, and runs the heartbeat that keeps
/// each mesh between D_low and D_high and advertises recent IDs lazily.
struct GossipControl: Sendable {
    let registry: PeerRegistry
    let interval: Duration

    func ihave(_ ids: [Hash], from link: PeerLink) throws -> TrustEvent? {
        let wanted = registry.router.withLock { $0.wanted(ids) }
        if !wanted.isEmpty { try link.send(.iwant(wanted)) }
        return nil
    }

    /// Answers from the message history; cached transactions go back in batches.
    func iwant(_ ids: [Hash], from link: PeerLink) throws -> TrustEvent? {
        let answers = registry.router.withLock { $0.answer(ids, to: link.peerID) }
        var txs: [Transaction] = []
        for m in answers {
            if case let .transactions(list) = m { txs += list } else { try link.send(m) }
            if txs.count >= WireMessage.maxTransactions { try link.send(.transactions(txs)); txs = [] }
        }
        if !txs.isEmpty { try link.send(.transactions(txs)) }
        return nil
    }

    func graft(_ topic: GossipRouter.Topic, from link: PeerLink) throws -> TrustEvent? {
        let score = registry.withSet { $0.trust(of: link.peerID) }
        if !registry.router.withLock({ $0.graft(link.peerID, topic: topic, score: score) }) { try link.send(.prune(topic)) }
        return nil
    }

    func prune(_ topic: GossipRouter.Topic, from peer: Hash) -> TrustEvent? {
        registry.router.withLock { $0.prune(peer, topic: topic) }
        return nil
    }

    func run() async {
        var rng = SystemRandomNumberGenerator()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            heartbeat(using: &rng)
        }
    }

    /// One gossip heartbeat: mesh upkeep and lazy `ihave`s, then the mesh-size gauges.
    func heartbeat<R: RandomNumberGenerator>(using rng: inout R) {
        let scores = registry.withSet { $0.scores }
        let (controls, sizes) = registry.router.withLock { r in
            (r.heartbeat(score: { scores[$0] ?? 0 }, using: &rng), GossipRouter.Topic.allCases.map { ($0, r.mesh[$0]?.count ?? 0) })
        }
        for (peer, control) in controls { registry.send(control.message, to: [peer]) }
        for (topic, size) in sizes { registry.metrics.mesh(topic, size: size) }
        registry.metrics.trust(Array(scores.values))
    }
}
