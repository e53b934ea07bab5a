import AgoraCore
import Foundation
import GRDB

/// What the node remembers about its peers across restarts (trust scores, bans, last address),
/// in the `peers` table of the chain's database.
extension BlockStore {
    /// What the node remembers about a peer across restarts: trust, bans and where it was.
    public struct PeerRecord: Sendable, Equatable {
        public var peerID: Hash
        public var identity: PublicKey
        /// HOST:PORT the peer was reached at (dialable only for outbound peers).
        public var address: String
        public var score: Double
        /// Wall-clock milliseconds; 0 when not banned.
        public var bannedUntil: Int64
        public var lastSeen: Int64

        public init(peerID: Hash, identity: PublicKey, address: String, score: Double, bannedUntil: Int64, lastSeen: Int64) {
            self.peerID = peerID
            self.identity = identity
            self.address = address
            self.score = score
            self.bannedUntil = bannedUntil
            self.lastSeen = lastSeen
        }
    }

    public func savePeer(_ r: PeerRecord) throws {
        try write("save peer") { db in
            try db.execute(sql: """
                INSERT INTO peers(peer_id, identity, address, score, banned_until, last_seen) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(peer_id) DO UPDATE SET identity = excluded.identity, address = excluded.address, score = excluded.score,
                    banned_until = excluded.banned_until, last_seen = excluded.last_seen
                """, arguments: [Data(r.peerID.bytes), Data(r.identity.bytes), String(r.address.prefix(300)), r.score, r.bannedUntil, r.lastSeen])
        }
    }

    /// Known peers, most recently seen first (at most `limit`).
    public func peerRecords(limit: Int = 1_000) throws -> [PeerRecord] {
        try read("list peers") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM peers ORDER BY last_seen DESC LIMIT ?", arguments: [limit]).compactMap { row in
                let id: Data = try row.stored("peer_id", of: "peer row"), key: Data = try row.stored("identity", of: "peer row")
                guard let peerID = Hash(bytes: id), let identity = PublicKey(bytes: key) else { return nil }
                let what = "peer \(peerID)"
                return PeerRecord(peerID: peerID, identity: identity, address: try row.stored("address", of: what),
                                  score: try row.stored("score", of: what), bannedUntil: try row.stored("banned_until", of: what),
                                  lastSeen: try row.stored("last_seen", of: what))
            }
        }
    }
}
