import AgoraCore
import AgoraLedger
import AgoraNetwork
import Synchronization

/// The `presence` gossip topic (wire tag 15): heartbeats this node's `Presence` accepted from its
/// API go out through the mesh; one from a peer is checked against the seen-cache and by
/// `Presence`, and relayed only if accepted. Only a forged signature costs the relay trust.
final class PresenceRelay: Sendable {
    let registry: PeerRegistry
    /// Presence, when the node runs it.
    private let presence = Mutex<Presence?>(nil)

    init(registry: PeerRegistry) { self.registry = registry }

    /// Checks inbound heartbeats with `service` and gossips the local ones it accepts.
    func attach(_ service: Presence) {
        presence.withLock { $0 = service }
        service.setGossip { [registry] signed in
            let message = WireMessage.presence(signed)
            registry.send(message, to: registry.targets(message, id: signed.id, topic: .presence, from: nil, originate: true))
        }
    }

    func receive(_ signed: SignedHeartbeat, from peer: Hash) throws -> TrustEvent? {
        guard let presence = presence.withLock({ $0 }) else { return nil }
        let id = signed.id
        switch registry.router.withLock({ $0.receive(id, from: peer) }) {
        case .duplicate:
            registry.metrics.gossip(.presence, duplicate: true)
            return nil
        case .knownInvalid:
            registry.metrics.gossip(.presence, duplicate: true)
            throw PeerFault.forgedHeartbeat
        case .new:
            registry.metrics.gossip(.presence, duplicate: false)
        }
        switch presence.receive(signed, local: false) {
        case .success(.accepted):
            let message = WireMessage.presence(signed)
            registry.send(message, to: registry.targets(message, id: id, topic: .presence, from: peer, originate: false))
            // No trust reward: heartbeats cost nothing to make, so they must not buy standing.
            return nil
        case .success(.duplicate):
            return nil
        case .failure(.badSignature):
            registry.router.withLock { $0.reject(id) }
            throw PeerFault.forgedHeartbeat
        case .failure:
            // Membership, time and rate depend on this node's state and clock, not on the
            // relaying peer's honesty: drop it without blame and without relaying.
            return nil
        }
    }
}
