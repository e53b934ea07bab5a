import AgoraCore

extension API {
    /// `GET /api/v1/snapshots`: the snapshots a node stores, newest first (docs/state-sync.md).
    public struct SnapshotListView: Codable, Sendable {
        public var items: [SnapshotView]
        public init(items: [SnapshotView]) { self.items = items }
    }

    /// One snapshot's manifest as JSON; `hash` is SHA-256 of the manifest's canonical bytes
    /// (what peers offering the same snapshot agree on).
    public struct SnapshotView: Codable, Sendable, Equatable {
        public var format: UInt8
        public var chainID: String
        public var height: UInt64
        public var stateRoot: String
        public var entries: UInt64
        public var chunks: Int
        public var chunkHashes: [String]
        public var hash: String

        public init(_ m: SnapshotManifest) {
            format = m.format
            chainID = m.chainID
            height = m.height
            stateRoot = m.stateRoot.hex
            entries = m.entryCount
            chunks = m.chunkCount
            chunkHashes = m.chunkHashes.map(\.hex)
            hash = m.hash.hex
        }
    }
}
