import AgoraCore
import AgoraLedger
import AgoraNetwork

/// Artifact pieces between peers (wire tags 16–18): answers `getArtifact` from the local store
/// and hands pieces and "missing" answers to the request waiting for them (`ArtifactExchange`);
/// sends this node's requests for `ArtifactFetcher`. An answer nobody asked for is a fault.
struct ArtifactRelay: Sendable {
    let registry: PeerRegistry
    let exchange = ArtifactExchange()

    func request(_ sha256: Hash, offset: UInt64, length: UInt32, from link: PeerLink) throws -> TrustEvent? {
        try link.send(exchange.answer(sha256: sha256, offset: offset, length: length))
        return nil
    }

    /// An `artifactPiece` or `artifactMissing`.
    func answer(_ message: WireMessage, from peer: Hash) throws -> TrustEvent? {
        guard exchange.receive(message, from: peer) else { throw PeerFault.unrequested }
        return nil
    }

    /// Asks `peer` for one piece (at most `WireMessage.maxArtifactPiece` bytes) and waits for it.
    func requestPiece(_ sha256: Hash, offset: UInt64, length: Int, from peer: Hash, timeout: Duration) async throws -> ArtifactPieceAnswer {
        let n = UInt32(min(length, WireMessage.maxArtifactPiece))
        return try await exchange.request(sha256, offset: offset, length: Int(n), from: peer, timeout: timeout) { [registry] in
            guard let link = registry.link(peer) else { throw ArtifactFetchError.peerGone(peer) }
            try link.send(.getArtifact(sha256: sha256, offset: offset, length: n))
            registry.metrics.message("get_artifact", direction: "out")
        }
    }

    func disconnected(_ peer: Hash) { exchange.disconnected(peer) }
}
