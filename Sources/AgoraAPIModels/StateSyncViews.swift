/// The JSON a node answers at `GET /api/v1/status` while `agora start --state-sync` restores a
/// snapshot (docs/state-sync.md): it has no chain yet, so instead of `StatusView` it says where
/// the sync stands.
extension API {
    public struct StateSyncStatusView: Codable, Sendable, Equatable {
        /// Always `state_syncing`: tells this answer from a running node's `StatusView`.
        public var status: String
        public var chainID: String
        public var stateSync: Progress

        public init(chainID: String, stateSync: Progress) {
            status = "state_syncing"
            self.chainID = chainID
            self.stateSync = stateSync
        }

        public struct Progress: Codable, Sendable, Equatable {
            /// `discovering`, `verifying`, `fetching`, `restoring`, `waiting` (between attempts) or `done`.
            public var phase: String
            /// What the sync is doing, in words (as `/health` says it).
            public var activity: String
            public var attempt: Int
            /// The snapshot's height once one is chosen for verification.
            public var snapshotHeight: UInt64?
            public var chunksApplied: Int
            /// The snapshot's chunk count once its manifest is chosen.
            public var chunksTotal: Int?
            /// Bootstrap peers linked now.
            public var peers: Int
            public var bannedPeers: Int
            public var lastFailure: String?

            public init(phase: String, activity: String, attempt: Int, snapshotHeight: UInt64?, chunksApplied: Int, chunksTotal: Int?,
                        peers: Int, bannedPeers: Int, lastFailure: String?) {
                self.phase = phase; self.activity = activity; self.attempt = attempt; self.snapshotHeight = snapshotHeight
                self.chunksApplied = chunksApplied; self.chunksTotal = chunksTotal; self.peers = peers
                self.bannedPeers = bannedPeers; self.lastFailure = lastFailure
            }
        }
    }
}
