import AgoraCore
import AgoraLedger
import AgoraNetwork

/// The `blocks` gossip topic: blocks this node proposed and committed go out through the mesh;
/// a block from a peer is applied (through `BlockSync`) and only then forwarded, or forwarded
/// without applying when this node already committed it; one further ahead wakes range sync.
struct BlockRelay: Sendable {
    let chain: Chain
    let registry: PeerRegistry
    let sync: BlockSync

    /// A block this node committed: gossiped if this node proposed it. Blocks from peers were
    /// marked seen on arrival, so `originate` refuses them and `receive` forwards them instead.
    func committed(_ block: Block, _ seal: Commit) {
        guard block.header.proposer == chain.nodeKey.publicKey else { return }
        let message = WireMessage.block(block, seal)
        registry.send(message, to: registry.targets(message, id: block.hash, topic: .blocks, from: nil, originate: true))
    }

    func receive(_ block: Block, _ seal: Commit, from peer: Hash) throws -> TrustEvent? {
        let message = WireMessage.block(block, seal)
        let id = block.hash
        let height = block.header.height
        registry.withSet { $0.saw(peer, height: height) }
        switch registry.router.withLock({ $0.receive(id, from: peer) }) {
        case .duplicate:
            registry.metrics.gossip(.blocks, duplicate: true)
            return nil
        case .knownInvalid:
            registry.metrics.gossip(.blocks, duplicate: true)
            throw PeerFault.invalidBlock("block \(height) was already found invalid")
        case .new:
            registry.metrics.gossip(.blocks, duplicate: false)
        }
        let head = chain.snapshot.head.height
        if height == head + 1 {
            let applied: Bool
            do { applied = try sync.apply(block, seal) } catch {
                registry.router.withLock { $0.reject(id) }
                throw error
            }
            guard applied else { return nil }
            forward(message, id: id, from: peer)
            return .usefulBlock
        }
        // Already committed here (consensus often decides before the block's gossip
        // arrives): it is verified, so it goes on through the mesh for peers that rely on it.
        if height <= head, (try? chain.queries.blockHash(height: height)) == id {
            forward(message, id: id, from: peer)
            return nil
        }
        // Too far ahead to verify now: range sync fetches the gap and this block with it.
        if height > head + 1 { sync.wake() }
        return nil
    }

    private func forward(_ message: WireMessage, id: Hash, from peer: Hash) {
        registry.send(message, to: registry.targets(message, id: id, topic: .blocks, from: peer, originate: false))
    }
}
