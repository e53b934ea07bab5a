import AgoraCore

/// Messages between nodes, after the Noise handshake. Each is one encrypted frame; the first
/// byte is the tag. Every list has a count limit checked before anything is allocated, and the
/// frame limit (4 MiB) bounds the rest. Tags are part of the protocol: append, never reuse.
public enum WireMessage: Hashable, Sendable, CanonicalCodable {
    case status(Status)
    case peers([PeerAddress])
    case transactions([Transaction])
    case block(Block, Commit)
    case getBlocks(from: UInt64, count: UInt32)
    case blocks([SealedBlock])
    case ihave([Hash])
    case iwant([Hash])
    case ping(UInt64)
    case pong(UInt64)
    /// The sender switched its sending key (Noise rekey); the receiver must rekey after this frame.
    case rekey
    /// Gossip mesh control: the sender added us to (graft) or dropped us from (prune) its mesh
    /// for a topic (see `GossipRouter`).
    case graft(GossipRouter.Topic)
    case prune(GossipRouter.Topic)
    /// A consensus message (proposal, vote, decision, round status), opaque to the network: the
    /// consensus layer decodes and verifies it, and says whether to relay it.
    case consensus([UInt8])
    /// Artifact exchange: asks for `length` bytes of an artifact from `offset` (tag 16). The
    /// answer is a piece (tag 17: the artifact's total size and the bytes) or "not stored here"
    /// (tag 18). The asker verifies the whole artifact's SHA-256 before storing it.
    case getArtifact(sha256: Hash, offset: UInt64, length: UInt32)
    case artifactPiece(sha256: Hash, offset: UInt64, total: UInt64, bytes: [UInt8])
    case artifactMissing(sha256: Hash)

    /// Largest artifact piece per message: well inside the 4 MiB frame.
    public static let maxArtifactPiece = 1 << 20
    /// A member's signed presence heartbeat, gossiped on the presence topic; the receiver checks
    /// the signature, the membership and the time before relaying it (see `Presence`).
    case presence(SignedHeartbeat)
    /// The sender's mempool is at its bound for relayed transactions (tag 19): the receiver
    /// stops relaying transactions to it for `retryAfterMs` (at most `maxRelayPauseMs`), as an
    /// HTTP client honours `Retry-After`. See docs/mempool.md.
    case mempoolBusy(retryAfterMs: UInt32)
    /// The answer to `getBlocks` for heights whose bodies the sender pruned (tag 40): it keeps
    /// block bodies from `earliest` on only. The asker asks another peer for lower heights
    /// (`RangeSync.pruned`) instead of taking the empty answer for "does not have it yet".
    case blocksPruned(earliest: UInt64)

    /// State sync (docs/state-sync.md), rate class `snapshots`: the snapshots a peer holds (tags
    /// 20/21, at most `maxSnapshotsListed` manifests), a piece of one chunk (22: ask `length` ≤
    /// `maxSnapshotPiece` bytes at `offset`; 23: the piece with the chunk's total size ≤
    /// `SnapshotManifest.maxChunkBytes`; 24: not stored here), and the light block (header,
    /// commit, the validator set that signed it) at a height (25/26; 27 not stored here), with
    /// which the syncing node's light client verifies the snapshot's header.
    case getSnapshots
    case snapshots([SnapshotManifest])
    case getSnapshotChunk(height: UInt64, index: UInt32, offset: UInt32, length: UInt32)
    case snapshotPiece(height: UInt64, index: UInt32, offset: UInt32, total: UInt32, bytes: [UInt8])
    case snapshotMissing(height: UInt64, index: UInt32)
    case getLightBlock(height: UInt64)
    case lightBlock(header: BlockHeader, commit: Commit, validators: ValidatorSet)
    case lightBlockMissing(height: UInt64)

    public static let maxSnapshotsListed = 4
    public static let maxSnapshotPiece = 1 << 20

    /// The longest relay pause a `mempoolBusy` can ask for: a peer cannot silence this node's
    /// gossip to it for longer than this per message.
    public static let maxRelayPauseMs: UInt32 = 60_000
    public static let maxPeers = 64
    public static let maxTransactions = 1_000
    public static let maxBlocksPerRange = 128
    public static let maxHashes = 5_000

    public struct Status: Hashable, Sendable, CanonicalCodable {
        public var chainID: String
        public var genesisHash: Hash
        public var height: UInt64
        public var headHash: Hash

        public init(chainID: String, genesisHash: Hash, height: UInt64, headHash: Hash) {
            self.chainID = chainID
            self.genesisHash = genesisHash
            self.height = height
            self.headHash = headHash
        }

        public func encode(to w: inout CanonicalWriter) {
            w.writeString(chainID); w.write(genesisHash); w.write(height); w.write(headHash)
        }

        public init(from r: inout CanonicalReader) throws(CodecError) {
            chainID = try r.readString("status.chainID", limit: Limits.maxChainIDBytes)
            genesisHash = try r.read(Hash.self)
            height = try r.readUInt64("status.height")
            headHash = try r.read(Hash.self)
        }
    }

    public struct PeerAddress: Hashable, Sendable, CanonicalCodable {
        public var host: String
        public var port: UInt16

        public init(host: String, port: UInt16) { self.host = host; self.port = port }

        public func encode(to w: inout CanonicalWriter) { w.writeString(host); w.write(port) }

        public init(from r: inout CanonicalReader) throws(CodecError) {
            host = try r.readString("peer.host", limit: 253)
            port = try r.readUInt16("peer.port")
            guard !host.isEmpty, port != 0 else { throw .nonCanonical(field: "peer", reason: "empty host or port 0") }
        }
    }

    public struct SealedBlock: Hashable, Sendable, CanonicalCodable {
        public var block: Block
        public var seal: Commit

        public init(block: Block, seal: Commit) { self.block = block; self.seal = seal }

        public func encode(to w: inout CanonicalWriter) { w.write(block); w.write(seal) }

        public init(from r: inout CanonicalReader) throws(CodecError) {
            block = try r.read(Block.self)
            seal = try r.read(Commit.self)
        }
    }

    /// A stable name per kind, for metrics and rate-limit classes.
    public var kind: String {
        switch self {
        case .status: return "status"
        case .peers: return "peers"
        case .transactions: return "transactions"
        case .block: return "block"
        case .getBlocks: return "get_blocks"
        case .blocks: return "blocks"
        case .ihave: return "ihave"
        case .iwant: return "iwant"
        case .ping: return "ping"
        case .pong: return "pong"
        case .rekey: return "rekey"
        case .graft: return "graft"
        case .prune: return "prune"
        case .consensus: return "consensus"
        case .getArtifact: return "get_artifact"
        case .artifactPiece: return "artifact_piece"
        case .artifactMissing: return "artifact_missing"
        case .presence: return "presence"
        case .mempoolBusy: return "mempool_busy"
        case .getSnapshots: return "get_snapshots"
        case .snapshots: return "snapshots"
        case .getSnapshotChunk: return "get_snapshot_chunk"
        case .snapshotPiece: return "snapshot_piece"
        case .snapshotMissing: return "snapshot_missing"
        case .getLightBlock: return "get_light_block"
        case .lightBlock: return "light_block"
        case .lightBlockMissing: return "light_block_missing"
        case .blocksPruned: return "blocks_pruned"
        }
    }

    public func encode(to w: inout CanonicalWriter) {
        switch self {
        case let .status(s): w.write(UInt8(1)); w.write(s)
        case let .peers(p): w.write(UInt8(2)); w.writeArray(p)
        case let .transactions(t): w.write(UInt8(3)); w.writeArray(t)
        case let .block(b, c): w.write(UInt8(4)); w.write(b); w.write(c)
        case let .getBlocks(from, count): w.write(UInt8(5)); w.write(from); w.write(count)
        case let .blocks(b): w.write(UInt8(6)); w.writeArray(b)
        case let .ihave(h): w.write(UInt8(7)); w.writeArray(h)
        case let .iwant(h): w.write(UInt8(8)); w.writeArray(h)
        case let .ping(n): w.write(UInt8(9)); w.write(n)
        case let .pong(n): w.write(UInt8(10)); w.write(n)
        case .rekey: w.write(UInt8(11))
        case let .graft(t): w.write(UInt8(12)); w.write(t.rawValue)
        case let .prune(t): w.write(UInt8(13)); w.write(t.rawValue)
        case let .consensus(bytes): w.write(UInt8(14)); w.writeBytes(bytes)
        case let .getArtifact(sha, offset, length): w.write(UInt8(16)); w.write(sha); w.write(offset); w.write(length)
        case let .artifactPiece(sha, offset, total, bytes): w.write(UInt8(17)); w.write(sha); w.write(offset); w.write(total); w.writeBytes(bytes)
        case let .artifactMissing(sha): w.write(UInt8(18)); w.write(sha)
        case let .presence(hb): w.write(UInt8(15)); w.write(hb)
        case let .mempoolBusy(ms): w.write(UInt8(19)); w.write(ms)
        case .getSnapshots: w.write(UInt8(20))
        case let .snapshots(list): w.write(UInt8(21)); w.writeArray(list)
        case let .getSnapshotChunk(h, i, o, l): w.write(UInt8(22)); w.write(h); w.write(i); w.write(o); w.write(l)
        case let .snapshotPiece(h, i, o, t, b): w.write(UInt8(23)); w.write(h); w.write(i); w.write(o); w.write(t); w.writeBytes(b)
        case let .snapshotMissing(h, i): w.write(UInt8(24)); w.write(h); w.write(i)
        case let .getLightBlock(h): w.write(UInt8(25)); w.write(h)
        case let .lightBlock(header, commit, set): w.write(UInt8(26)); w.write(header); w.write(commit); w.write(set)
        case let .lightBlockMissing(h): w.write(UInt8(27)); w.write(h)
        case let .blocksPruned(earliest): w.write(UInt8(40)); w.write(earliest)
        }
    }

    public init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.readUInt8("message.tag")
        switch tag {
        case 1: self = .status(try r.read(Status.self))
        case 2: self = .peers(try r.readArray(PeerAddress.self, "peers", limit: WireMessage.maxPeers))
        case 3: self = .transactions(try r.readArray(Transaction.self, "transactions", limit: WireMessage.maxTransactions))
        case 4: self = .block(try r.read(Block.self), try r.read(Commit.self))
        case 5:
            let from = try r.readUInt64("getBlocks.from")
            let count = try r.readUInt32("getBlocks.count")
            guard count >= 1, count <= UInt32(WireMessage.maxBlocksPerRange) else {
                throw .lengthOverLimit(field: "getBlocks.count", length: Int(count), limit: WireMessage.maxBlocksPerRange)
            }
            self = .getBlocks(from: from, count: count)
        case 6: self = .blocks(try r.readArray(SealedBlock.self, "blocks", limit: WireMessage.maxBlocksPerRange))
        case 7: self = .ihave(try r.readArray(Hash.self, "ihave", limit: WireMessage.maxHashes))
        case 8: self = .iwant(try r.readArray(Hash.self, "iwant", limit: WireMessage.maxHashes))
        case 9: self = .ping(try r.readUInt64("ping"))
        case 10: self = .pong(try r.readUInt64("pong"))
        case 11: self = .rekey
        case 12: self = .graft(try WireMessage.topic(&r))
        case 13: self = .prune(try WireMessage.topic(&r))
        case 14: self = .consensus(try r.readBytes("consensus", limit: SecureSession.maxFrameBytes))
        case 16:
            let sha = try r.read(Hash.self)
            let offset = try r.readUInt64("getArtifact.offset")
            let length = try r.readUInt32("getArtifact.length")
            guard length >= 1, length <= UInt32(WireMessage.maxArtifactPiece) else {
                throw .lengthOverLimit(field: "getArtifact.length", length: Int(length), limit: WireMessage.maxArtifactPiece)
            }
            self = .getArtifact(sha256: sha, offset: offset, length: length)
        case 17:
            let sha = try r.read(Hash.self)
            let offset = try r.readUInt64("artifactPiece.offset")
            let total = try r.readUInt64("artifactPiece.total")
            let bytes = try r.readBytes("artifactPiece.bytes", limit: WireMessage.maxArtifactPiece)
            guard !bytes.isEmpty, offset < total, UInt64(bytes.count) <= total - offset else {
                throw .nonCanonical(field: "artifactPiece", reason: "\(bytes.count) bytes at \(offset) do not fit an artifact of \(total)")
            }
            self = .artifactPiece(sha256: sha, offset: offset, total: total, bytes: bytes)
        case 18: self = .artifactMissing(sha256: try r.read(Hash.self))
        case 15: self = .presence(try r.read(SignedHeartbeat.self))
        case 19:
            let ms = try r.readUInt32("mempoolBusy.retryAfterMs")
            guard ms > 0, ms <= WireMessage.maxRelayPauseMs else {
                throw .nonCanonical(field: "mempoolBusy.retryAfterMs", reason: "\(ms) is outside 1...\(WireMessage.maxRelayPauseMs)")
            }
            self = .mempoolBusy(retryAfterMs: ms)
        case 20...27: self = try WireMessage.stateSync(tag, &r)
        case 40:
            let earliest = try r.readUInt64("blocksPruned.earliest")
            guard earliest >= 2 else {
                throw .nonCanonical(field: "blocksPruned.earliest", reason: "\(earliest): a node that pruned keeps bodies from height 2 on at the lowest")
            }
            self = .blocksPruned(earliest: earliest)
        default: throw .unknownTag(type: "message", tag: tag)
        }
    }

    static func topic(_ r: inout CanonicalReader) throws(CodecError) -> GossipRouter.Topic {
        let raw = try r.readUInt8("topic")
        guard let t = GossipRouter.Topic(rawValue: raw) else { throw .unknownTag(type: "topic", tag: raw) }
        return t
    }
}
