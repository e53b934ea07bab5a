import AgoraCore
import AgoraLedger
import Configuration

/// `snapshot.*` and `stateSync.*` (docs/state-sync.md, docs/configuration.md): how often this
/// node writes snapshots and how many it keeps, and whether an empty node joins by state sync
/// from a trusted height and hash (or, without them, the genesis validator set).
public struct SnapshotSettings: Sendable, Equatable {
    public var interval = 1_000
    public var keep = 2
    public var chunkBytes = SnapshotManifest.maxChunkBytes
    public var stateSync = false
    public var trustHeight: UInt64?
    public var trustHash: Hash?
    /// Test only: every piece this node serves has a byte flipped (proves bans).
    public var corruptChunks = false

    public var producer: SnapshotProducer.Config { .init(interval: UInt64(interval), keep: keep, chunkBytes: chunkBytes) }

    static let keys: [NodeConfig.Key] = [
        .init(name: "snapshot.interval", defaultValue: .int(1_000), secret: false,
              help: "write a snapshot of the state every this many heights (0: never); served to nodes that state-sync"),
        .init(name: "snapshot.keep", defaultValue: .int(2), secret: false, help: "snapshots kept on disk (the newest)"),
        .init(name: "snapshot.chunkBytes", defaultValue: .int(SnapshotManifest.maxChunkBytes), secret: false,
              help: "largest snapshot chunk in bytes (256 B-4 MiB; small values only make more chunks)"),
        .init(name: "stateSync.enabled", defaultValue: .bool(false), secret: false,
              help: "an empty node (nothing committed) restores a verified snapshot from peers, then block-syncs (agora start --state-sync)"),
        .init(name: "stateSync.trustHeight", defaultValue: .int(0), secret: false,
              help: "trusted height for state sync's light client (0: trust the genesis validator set)"),
        .init(name: "stateSync.trustHash", defaultValue: .string(""), secret: false,
              help: "hash (hex) of the block at stateSync.trustHeight"),
        .init(name: "testing.corruptSnapshotChunks", defaultValue: .bool(false), secret: false,
              help: "TEST ONLY: corrupt every snapshot piece this node serves (proves that state sync bans it); never set on a real node"),
    ]
}

extension NodeConfig {
    mutating func readSnapshots(_ r: SettingReader) throws {
        var s = SnapshotSettings()
        s.interval = try r.int("snapshot.interval", 0...100_000_000)
        s.keep = try r.int("snapshot.keep", 1...100)
        s.chunkBytes = try r.int("snapshot.chunkBytes", 256...SnapshotManifest.maxChunkBytes)
        s.stateSync = try r.bool("stateSync.enabled")
        let height = try r.int("stateSync.trustHeight", 0...Int.max)
        let hash = try r.optionalString("stateSync.trustHash")
        switch (height, hash) {
        case (0, nil): break
        case (0, _): throw NodeError.invalidSetting("stateSync.trustHeight", "stateSync.trustHash is set: give the height it belongs to")
        case (_, nil): throw NodeError.invalidSetting("stateSync.trustHash", "stateSync.trustHeight is set: give the block hash at that height")
        case let (h, text?):
            guard let parsed = Hash(hex: text) else { throw NodeError.invalidSetting("stateSync.trustHash", "\"\(text)\" is not a 32-byte hex hash") }
            s.trustHeight = UInt64(h)
            s.trustHash = parsed
        }
        s.corruptChunks = try r.bool("testing.corruptSnapshotChunks")
        if s.stateSync && p2pPeers.isEmpty {
            throw NodeError.invalidSetting("stateSync.enabled", "snapshots come from peers: set p2p.peers too")
        }
        snapshots = s
    }
}
