/// Why a snapshot (or a peer's part in serving one) was refused: one case per bad input the
/// state-sync protocol can meet, each naming what was wrong. The state-sync machine bans the
/// peer for the faults a peer is to blame for (`blamesPeer`) and goes on with other peers.
public enum SnapshotFault: Error, Hashable, Sendable, CustomStringConvertible {
    /// A chunk's SHA-256 is not the manifest's hash for its index.
    case chunkHashMismatch(height: UInt64, index: Int, expected: Hash, got: Hash)
    /// The manifest's state root is not the state root of the header the light client verified.
    case manifestRootMismatch(height: UInt64, manifest: Hash, header: Hash)
    /// A manifest (or status) of another chain.
    case otherChain(expected: String, got: String)
    /// A peer stopped answering in the middle of a chunk.
    case stalled(height: UInt64, index: Int, receivedBytes: Int)
    /// A message or chunk larger than the protocol allows.
    case oversize(what: String, bytes: Int, limit: Int)
    /// A chunk whose bytes hash right but do not decode, or break the order across chunks.
    case malformedChunk(height: UInt64, index: Int, reason: String)
    /// A piece nobody asked this peer for, or at an offset other than the one asked.
    case unrequested(what: String)
    /// The entries of every chunk, rebuilt into the state tree, give another root.
    case rebuiltRootMismatch(height: UInt64, expected: Hash, got: Hash)
    /// The manifest's entry count differs from what the chunks held.
    case entryCountMismatch(height: UInt64, manifest: UInt64, chunks: UInt64)

    /// Faults a peer is to blame for (a stall is only slowness: the peer is penalised, not banned).
    public var blamesPeer: Bool {
        switch self {
        case .stalled, .rebuiltRootMismatch, .entryCountMismatch: return false
        default: return true
        }
    }

    public var description: String {
        switch self {
        case let .chunkHashMismatch(h, i, e, g): return "chunk \(i) of the snapshot at \(h) hashes to \(g), the manifest says \(e)"
        case let .manifestRootMismatch(h, m, hd): return "the snapshot at \(h) claims state root \(m) but the verified header's is \(hd)"
        case let .otherChain(e, g): return "snapshot of chain \(g), this node follows \(e)"
        case let .stalled(h, i, n): return "peer stalled after \(n) bytes of chunk \(i) of the snapshot at \(h)"
        case let .oversize(w, b, l): return "\(w) is \(b) bytes, limit \(l)"
        case let .malformedChunk(h, i, r): return "chunk \(i) of the snapshot at \(h) is malformed: \(r)"
        case let .unrequested(w): return "unrequested \(w)"
        case let .rebuiltRootMismatch(h, e, g): return "the state rebuilt from the snapshot at \(h) has root \(g), the header's is \(e)"
        case let .entryCountMismatch(h, m, c): return "the snapshot at \(h) names \(m) entries, its chunks hold \(c)"
        }
    }
}
