import AgoraCore

/// Decoding of the state-sync messages (tags 20–27): every size is checked against its limit
/// before anything is allocated, and a piece must lie inside its chunk.
extension WireMessage {
    static func stateSync(_ tag: UInt8, _ r: inout CanonicalReader) throws(CodecError) -> WireMessage {
        switch tag {
        case 20: return .getSnapshots
        case 21: return .snapshots(try r.readArray(SnapshotManifest.self, "snapshots", limit: maxSnapshotsListed))
        case 22:
            let h = try r.readUInt64("getSnapshotChunk.height")
            let i = try r.readUInt32("getSnapshotChunk.index")
            let o = try r.readUInt32("getSnapshotChunk.offset")
            let l = try r.readUInt32("getSnapshotChunk.length")
            guard l >= 1, l <= UInt32(maxSnapshotPiece) else {
                throw .lengthOverLimit(field: "getSnapshotChunk.length", length: Int(l), limit: maxSnapshotPiece)
            }
            guard Int(i) < SnapshotManifest.maxChunks, Int(o) < SnapshotManifest.maxChunkBytes else {
                throw .nonCanonical(field: "getSnapshotChunk", reason: "chunk \(i) offset \(o) is outside any snapshot")
            }
            return .getSnapshotChunk(height: h, index: i, offset: o, length: l)
        case 23:
            let h = try r.readUInt64("snapshotPiece.height")
            let i = try r.readUInt32("snapshotPiece.index")
            let o = try r.readUInt32("snapshotPiece.offset")
            let t = try r.readUInt32("snapshotPiece.total")
            let b = try r.readBytes("snapshotPiece.bytes", limit: maxSnapshotPiece)
            guard Int(t) <= SnapshotManifest.maxChunkBytes else {
                throw .lengthOverLimit(field: "snapshotPiece.total", length: Int(t), limit: SnapshotManifest.maxChunkBytes)
            }
            guard !b.isEmpty, o < t, UInt32(b.count) <= t - o else {
                throw .nonCanonical(field: "snapshotPiece", reason: "\(b.count) bytes at \(o) do not fit a chunk of \(t)")
            }
            return .snapshotPiece(height: h, index: i, offset: o, total: t, bytes: b)
        case 24: return .snapshotMissing(height: try r.readUInt64("snapshotMissing.height"), index: try r.readUInt32("snapshotMissing.index"))
        case 25: return .getLightBlock(height: try r.readUInt64("getLightBlock.height"))
        case 26: return .lightBlock(header: try r.read(BlockHeader.self), commit: try r.read(Commit.self), validators: try r.read(ValidatorSet.self))
        default: return .lightBlockMissing(height: try r.readUInt64("lightBlockMissing.height"))
        }
    }
}
