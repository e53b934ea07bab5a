import AgoraCore

/// The decisions of state sync (docs/state-sync.md), as a deterministic state machine like
/// `RangeSync`: no sockets, no clock (time is passed in), no disk. Events in (a peer linked or
/// left, a snapshot list, a chunk piece, the light client's verdict on a header, time passing),
/// actions out (ask, request a piece, ban, hand over a verified chunk, restore, fail).
///
/// 1. **Discover**: every peer is asked for its snapshots; lists of another chain get the peer
///    banned. When the discovery window ends, the highest offered height is the candidate.
/// 2. **Verify**: the caller verifies that height's header with the light client
///    (`headerVerified` / `headerFailed`). Peers whose manifest's root differs from the verified
///    header's are banned; the manifest with that root offered by the most peers is chosen.
/// 3. **Fetch**: chunks are fetched in parallel, each whole from one peer piece by piece, at
///    most `maxPerPeer` per peer. A finished chunk whose SHA-256 is not the manifest's gets its
///    peer banned and is fetched again elsewhere; a peer that lets a piece pass its deadline is
///    penalised, the chunk goes back to the pool, and after `maxStalls` the peer is left out.
/// 4. **Restore**: with every chunk verified, the caller rebuilds the state
///    (`restored` / `restoreFailed`).
///
/// A sync that cannot go on ends in `.failed` with the reason; the caller retries with backoff
/// from a fresh machine (keeping its bans). Nothing here ever hands over unverified bytes.
public struct StateSync: Sendable {
    public struct Params: Sendable, Equatable {
        public var discovery: UInt64 = 3_000_000_000
        public var pieceTimeout: UInt64 = 10_000_000_000
        public var pieceBytes: UInt32 = UInt32(WireMessage.maxSnapshotPiece)
        public var maxPerPeer = 2
        public var maxStalls = 2
        public init() {}
    }

    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        case noPeers
        case noSnapshotOffered(peers: Int)
        case headerNotVerified(height: UInt64, reason: String)
        case noPeerLeft(height: UInt64, chunksMissing: Int)
        case restoreRefused(SnapshotFault)

        public var description: String {
            switch self {
            case .noPeers: return "no peer is connected"
            case let .noSnapshotOffered(n): return "none of \(n) connected peers offers a snapshot of this chain"
            case let .headerNotVerified(h, r): return "the header at \(h) could not be verified: \(r)"
            case let .noPeerLeft(h, m): return "no honest peer left serving the snapshot at \(h) (\(m) chunks missing)"
            case let .restoreRefused(f): return "the restored state was refused: \(f)"
            }
        }
    }

    public enum Action: Hashable, Sendable {
        case askSnapshots(peer: Hash)
        case verifyHeader(height: UInt64)
        case requestPiece(peer: Hash, height: UInt64, index: Int, offset: UInt32, length: UInt32)
        case ban(peer: Hash, SnapshotFault)
        case penalize(peer: Hash, SnapshotFault)
        case chunkVerified(index: Int, bytes: [UInt8])
        case restore(SnapshotManifest)
        case fail(Failure)
    }

    public enum Phase: Hashable, Sendable {
        case discovering(until: UInt64)
        case verifying(height: UInt64)
        case fetching(SnapshotManifest)
        case restoring(SnapshotManifest)
        case done(height: UInt64)
        case failed(Failure)
    }

    struct Download: Sendable {
        var peer: Hash
        var bytes: [UInt8] = []
        var total: UInt32?
        var deadline: UInt64
    }

    public let params: Params
    public let chainID: String
    public internal(set) var phase: Phase
    var peers: Set<Hash> = []
    public internal(set) var banned: Set<Hash> = []
    var stalls: [Hash: Int] = [:]
    /// What each peer offers, by peer.
    var offers: [Hash: [SnapshotManifest]] = [:]
    var pending: Set<Int> = []
    var downloads: [Int: Download] = [:]
    public internal(set) var verifiedChunks: Set<Int> = []

    public init(chainID: String, params: Params = Params(), now: UInt64, banned: Set<Hash> = []) {
        self.chainID = chainID
        self.params = params
        self.banned = banned
        phase = .discovering(until: now + params.discovery)
    }

    var usable: [Hash] { peers.filter { !banned.contains($0) && stalls[$0, default: 0] < params.maxStalls }.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) } }

    // MARK: Peers and offers

    public mutating func peerJoined(_ peer: Hash, now: UInt64) -> [Action] {
        guard !banned.contains(peer), peers.insert(peer).inserted else { return [] }
        switch phase {
        case .discovering, .verifying, .fetching: return [.askSnapshots(peer: peer)]
        default: return []
        }
    }

    public mutating func peerLeft(_ peer: Hash, now: UInt64) -> [Action] {
        peers.remove(peer)
        offers[peer] = nil
        return release(peer, now: now)
    }

    public mutating func receiveSnapshots(_ list: [SnapshotManifest], from peer: Hash, now: UInt64) -> [Action] {
        guard peers.contains(peer), !banned.contains(peer) else { return [] }
        if let other = list.first(where: { $0.chainID != chainID }) {
            return ban(peer, .otherChain(expected: chainID, got: other.chainID), now: now)
        }
        offers[peer] = list
        return plan(now: now)
    }

    // MARK: Header verdict

    public mutating func headerVerified(height: UInt64, stateRoot: Hash, now: UInt64) -> [Action] {
        guard case .verifying(let h) = phase, h == height else { return [] }
        var out: [Action] = []
        var support: [SnapshotManifest: Int] = [:]
        for (peer, list) in offers.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
            for m in list where m.height == height {
                if m.stateRoot == stateRoot { support[m, default: 0] += 1 } else {
                    out += ban(peer, .manifestRootMismatch(height: height, manifest: m.stateRoot, header: stateRoot), now: now)
                }
            }
        }
        // Most peers first, then the lower manifest hash: the same offers give the same choice.
        let ranked = support.sorted { a, b in a.value != b.value ? a.value > b.value : a.key.hash.bytes.lexicographicallyPrecedes(b.key.hash.bytes) }
        guard let chosen = ranked.first?.key else {
            phase = .discovering(until: now)
            return out + plan(now: now)
        }
        phase = .fetching(chosen)
        pending = Set(0..<chosen.chunkCount).subtracting(verifiedChunks)
        return out + plan(now: now)
    }

    public mutating func headerFailed(height: UInt64, reason: String, now: UInt64) -> [Action] {
        guard case .verifying(let h) = phase, h == height else { return [] }
        return fail(.headerNotVerified(height: height, reason: reason))
    }
}
