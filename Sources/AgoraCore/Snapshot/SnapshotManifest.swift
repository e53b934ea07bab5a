// Snapshot formats (docs/state-sync.md, docs/formats.md "Snapshots"): the manifest that names a
// snapshot of the whole state at one height, and the chunks that carry its entries. Pure values
// with strict canonical decoding, shared by the writer (AgoraStorage), the P2P messages
// (AgoraNetwork) and the state-sync restorer (AgoraNode).

/// What a snapshot is: the chain and height it was taken at, the state root it must rebuild to,
/// and the SHA-256 of each chunk in order. A node that restores one checks the root against a
/// header the light client verified, and each chunk against its hash here, so a peer can lie in
/// neither without being caught.
public struct SnapshotManifest: Hashable, Sendable, CanonicalCodable {
    /// Bumped when the chunk or manifest encoding changes; an unknown version is refused.
    public static let formatVersion: UInt8 = 1
    /// 65,536 chunks of at most `maxChunkBytes`: a 256 GiB state; the manifest (2 MiB of
    /// hashes) still fits one frame.
    public static let maxChunks = 65_536
    /// A chunk's encoded size at most (the default writer size is this, 4 MiB).
    public static let maxChunkBytes = 4 << 20

    public var format: UInt8
    public var chainID: String
    public var height: UInt64
    public var stateRoot: Hash
    /// Number of state entries in all chunks together.
    public var entryCount: UInt64
    public var chunkHashes: [Hash]

    public init(chainID: String, height: UInt64, stateRoot: Hash, entryCount: UInt64, chunkHashes: [Hash]) {
        format = Self.formatVersion
        self.chainID = chainID
        self.height = height
        self.stateRoot = stateRoot
        self.entryCount = entryCount
        self.chunkHashes = chunkHashes
    }

    public var chunkCount: Int { chunkHashes.count }
    /// The manifest's identity: peers offering the same bytes offer the same snapshot.
    public var hash: Hash { Hash.sha256(canonicalBytes) }

    public func encode(to w: inout CanonicalWriter) {
        w.write(format); w.writeString(chainID); w.write(height); w.write(stateRoot); w.write(entryCount); w.writeArray(chunkHashes)
    }

    public init(from r: inout CanonicalReader) throws(CodecError) {
        format = try r.readUInt8("manifest.format")
        guard format == Self.formatVersion else {
            throw .unsupportedVersion(type: "snapshot manifest", version: format, supported: Self.formatVersion)
        }
        chainID = try r.readString("manifest.chainID", limit: Limits.maxChainIDBytes)
        height = try r.readUInt64("manifest.height")
        stateRoot = try r.read(Hash.self)
        entryCount = try r.readUInt64("manifest.entryCount")
        chunkHashes = try r.readArray(Hash.self, "manifest.chunkHashes", limit: Self.maxChunks)
        guard height >= 1 else { throw .nonCanonical(field: "manifest.height", reason: "a snapshot is of a committed height (≥ 1)") }
        guard !chunkHashes.isEmpty else { throw .nonCanonical(field: "manifest.chunkHashes", reason: "a snapshot has at least one chunk") }
        guard entryCount >= UInt64(chunkHashes.count) else {
            throw .nonCanonical(field: "manifest.entryCount", reason: "\(entryCount) entries cannot fill \(chunkHashes.count) non-empty chunks")
        }
    }
}
