import AgoraCore
import AgoraLedger
import AgoraNetwork
import AgoraState
import AgoraStorage
import Synchronization

/// Serving state sync to peers (wire tags 20–27, docs/state-sync.md): the snapshots this node
/// stores, pieces of their chunks (each chunk verified against its manifest when read from disk,
/// the last one kept in memory since a chunk is asked for piece by piece), and light blocks
/// (header, commit, and the validator set that signed it) for the asker's light client. A
/// running node never asks for these, so answers arriving here are unrequested.
final class SnapshotRelay: Sendable {
    struct Source: Sendable {
        var files: SnapshotFiles
        /// Test only (`testing.corruptSnapshotChunks`): flips one byte of every piece served.
        var corrupt: Bool
    }

    let chain: Chain
    private let source = Mutex<Source?>(nil)
    private let lastChunk = Mutex<(height: UInt64, index: UInt32, bytes: [UInt8])?>(nil)

    init(chain: Chain) { self.chain = chain }

    func serve(from files: SnapshotFiles, corrupt: Bool) { source.withLock { $0 = Source(files: files, corrupt: corrupt) } }

    func handle(_ message: WireMessage, from link: PeerLink) throws -> TrustEvent? {
        switch message {
        case .getSnapshots:
            let list = source.withLock { $0 }?.files.list() ?? []
            try link.send(.snapshots(Array(list.prefix(WireMessage.maxSnapshotsListed))))
        case let .getSnapshotChunk(height, index, offset, length):
            try link.send(piece(height: height, index: index, offset: offset, length: length))
        case let .getLightBlock(height):
            try link.send(lightBlock(height))
        default:
            throw PeerFault.unrequested
        }
        return nil
    }

    func piece(height: UInt64, index: UInt32, offset: UInt32, length: UInt32) -> WireMessage {
        guard let source = source.withLock({ $0 }), let bytes = chunk(source.files, height, index), Int(offset) < bytes.count else {
            return .snapshotMissing(height: height, index: index)
        }
        let end = min(bytes.count, Int(offset) + Int(length))
        var piece = Array(bytes[Int(offset)..<end])
        if source.corrupt { piece[piece.count / 2] ^= 0xFF }
        return .snapshotPiece(height: height, index: index, offset: offset, total: UInt32(bytes.count), bytes: piece)
    }

    private func chunk(_ files: SnapshotFiles, _ height: UInt64, _ index: UInt32) -> [UInt8]? {
        if let last = lastChunk.withLock({ $0 }), last.height == height, last.index == index { return last.bytes }
        guard let bytes = try? files.chunk(height: height, index: Int(index)) else { return nil }
        lastChunk.withLock { $0 = (height, index, bytes) }
        return bytes
    }

    func lightBlock(_ height: UInt64) -> WireMessage {
        // Headers and commits are kept below pruned bodies: light blocks are served at every height.
        guard height >= 1, let stored = try? chain.queries.sealedHeader(height: height),
              let set = try? Staking.validators(forHeight: height, state: chain.queries.state)
        else { return .lightBlockMissing(height: height) }
        return .lightBlock(header: stored.header, commit: stored.seal, validators: set)
    }
}
