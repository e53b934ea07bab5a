import AgoraCore
import AgoraNetwork
import AgoraStorage
import Synchronization

/// The network half of artifact replication: answers peers' piece requests from the local
/// store, and matches the pieces that come back to the requests this node made. A piece
/// nobody asked for is the sender's fault (the peer service penalises it); a request not
/// answered in time fails so the fetcher can try another peer.
public final class ArtifactExchange: Sendable {
    struct PieceKey: Hashable { let peer: Hash; let sha256: Hash; let offset: UInt64 }

    private let store = Mutex<ArtifactStore?>(nil)
    private let pending = Mutex<[PieceKey: CheckedContinuation<ArtifactPieceAnswer, Error>]>([:])
    /// Requests in flight at most, over all peers: the fetcher asks one piece at a time per
    /// artifact, so this only stops a runaway caller.
    static let maxPending = 256

    public init() {}

    /// Serve pieces from this store (nodes without an artifact store answer "missing").
    public func serve(from store: ArtifactStore) { self.store.withLock { $0 = store } }

    /// The answer to a peer's `getArtifact`.
    package func answer(sha256: Hash, offset: UInt64, length: UInt32) -> WireMessage {
        guard let store = store.withLock({ $0 }),
              let piece = try? store.piece(sha256, offset: offset, length: Int(length)), !piece.bytes.isEmpty
        else { return .artifactMissing(sha256: sha256) }
        return .artifactPiece(sha256: sha256, offset: offset, total: piece.total, bytes: piece.bytes)
    }

    /// A piece or a "missing" from `peer`. False when nothing was asked of that peer for it.
    package func receive(_ message: WireMessage, from peer: Hash) -> Bool {
        switch message {
        case let .artifactPiece(sha, offset, total, bytes):
            guard let waiter = pending.withLock({ $0.removeValue(forKey: PieceKey(peer: peer, sha256: sha, offset: offset)) }) else { return false }
            waiter.resume(returning: .piece(total: total, bytes: bytes))
            return true
        case let .artifactMissing(sha):
            let waiters = pending.withLock { p -> [CheckedContinuation<ArtifactPieceAnswer, Error>] in
                let keys = p.keys.filter { $0.peer == peer && $0.sha256 == sha }
                return keys.compactMap { p.removeValue(forKey: $0) }
            }
            waiters.forEach { $0.resume(returning: .missing) }
            return !waiters.isEmpty
        default:
            return false
        }
    }

    /// Sends a request through `send` and waits for its answer or `timeout`.
    package func request(_ sha256: Hash, offset: UInt64, length: Int, from peer: Hash, timeout: Duration,
                 send: @escaping @Sendable () throws -> Void) async throws -> ArtifactPieceAnswer {
        let key = PieceKey(peer: peer, sha256: sha256, offset: offset)
        return try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<ArtifactPieceAnswer, Error>) in
            let accepted = pending.withLock { p -> Bool in
                guard p[key] == nil, p.count < ArtifactExchange.maxPending else { return false }
                p[key] = waiter
                return true
            }
            guard accepted else { return waiter.resume(throwing: ArtifactFetchError.busy) }
            do { try send() } catch {
                if let w = pending.withLock({ $0.removeValue(forKey: key) }) { w.resume(throwing: ArtifactFetchError.peerGone(peer)) }
                return
            }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                if let w = self?.pending.withLock({ $0.removeValue(forKey: key) }) { w.resume(throwing: ArtifactFetchError.timedOut(peer)) }
            }
        }
    }

    /// Fails every request waiting on `peer` (its link closed).
    package func disconnected(_ peer: Hash) {
        let waiters = pending.withLock { p -> [CheckedContinuation<ArtifactPieceAnswer, Error>] in
            let keys = p.keys.filter { $0.peer == peer }
            return keys.compactMap { p.removeValue(forKey: $0) }
        }
        waiters.forEach { $0.resume(throwing: ArtifactFetchError.peerGone(peer)) }
    }
}

public enum ArtifactPieceAnswer: Sendable, Equatable {
    case piece(total: UInt64, bytes: [UInt8])
    case missing
}

public enum ArtifactFetchError: Error, Equatable, Sendable, CustomStringConvertible {
    case busy
    case timedOut(Hash)
    case peerGone(Hash)
    /// The peer's piece does not fit what was asked or what the claim declared.
    case badPiece(peer: Hash, reason: String)
    case noPeers

    public var description: String {
        switch self {
        case .busy: return "too many artifact requests in flight"
        case let .timedOut(p): return "peer \(p.hex.prefix(12)) did not answer in time"
        case let .peerGone(p): return "peer \(p.hex.prefix(12)) disconnected"
        case let .badPiece(p, r): return "peer \(p.hex.prefix(12)) sent a bad piece: \(r)"
        case .noPeers: return "no peer connected"
        }
    }
}

/// Where the fetcher gets pieces: the peer service, or a fake in tests.
public protocol ArtifactPeers: Sendable {
    /// Connected peers, best first.
    func artifactPeers() -> [Hash]
    func requestPiece(_ sha256: Hash, offset: UInt64, length: Int, from peer: Hash, timeout: Duration) async throws -> ArtifactPieceAnswer
}
