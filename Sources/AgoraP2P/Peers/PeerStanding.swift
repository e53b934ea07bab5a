import AgoraCore
import AgoraLedger
import AgoraNetwork
import AgoraStorage
import Foundation
import Logging

/// The I/O around trust and bans: applies a trust event through the `PeerSet`, and when it bans,
/// counts it, logs it and closes the link; persists each peer's score, ban and address in the
/// node's store (on disconnect and on ban) and restores them at start-up.
struct PeerStanding: Sendable {
    let registry: PeerRegistry
    let book: PeerBook
    let metrics: NetworkMetrics
    let logger: Logger

    /// Wall-clock milliseconds, for what is persisted (monotonic time does not survive restarts).
    static func wallMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Applies a trust event; below the threshold the peer is disconnected and banned (by ID and
    /// address). Returns true if the peer was banned.
    @discardableResult
    func penalize(_ link: PeerLink, _ event: TrustEvent) -> Bool {
        let standing = registry.withSet { $0.record(event, for: link.peerID, now: PeerRegistry.now()) }
        guard case let .banned(score, _) = standing else { return false }
        metrics.banned()
        remember(link, score: score, banned: true)
        logger.notice("peer banned", metadata: ["peer": .string(link.identity.identity.address.description), "score": .stringConvertible(score)])
        link.close()
        return true
    }

    /// Logs a fault and applies its trust event; true if the peer was banned for it.
    @discardableResult
    func fault(_ link: PeerLink, _ fault: PeerFault) -> Bool {
        logger.info("peer misbehaved", metadata: ["peer": .string(link.identity.identity.address.description), "fault": .string("\(fault)")])
        return penalize(link, fault.event)
    }

    /// Persists a peer's score, ban and address (its listen address if it announced one).
    func remember(_ link: PeerLink, score: Double, banned: Bool) {
        let remote = link.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        let wall = PeerStanding.wallMillis()
        let record = registry.withSet { set in
            let address = set.members[link.peerID]?.listen.map { "\($0.host):\($0.port)" } ?? remote
            return set.record(for: link.peerID, address: address, score: score, banned: banned, wallNow: wall)
        }
        let row = BlockStore.PeerRecord(peerID: record.peerID, identity: link.identity.identity, address: record.address,
                                        score: record.score, bannedUntil: record.bannedUntil, lastSeen: wall)
        do { try book.save(row) } catch {
            logger.warning("cannot persist peer", metadata: ["error": .string("\(error)")])
        }
    }

    /// Scores and bans from earlier runs: bans still in force are restored, scores seed new links,
    /// addresses of peers not banned can be dialed.
    func restore() {
        guard let rows = try? book.records() else { return }
        let records = rows.map { PeerSet.Record(peerID: $0.peerID, address: $0.address, score: $0.score, bannedUntil: $0.bannedUntil) }
        let wall = PeerStanding.wallMillis(), now = PeerRegistry.now()
        registry.withSet { $0.restore(records, wallNow: wall, now: now) }
    }
}

/// Something a peer sent that an honest node would not; each costs trust (`event`).
enum PeerFault: Error, CustomStringConvertible {
    case otherGenesis, invalidBlock(String), unrequested, malformedRange, forgedTransaction, invalidConsensus(String), forgedHeartbeat
    var description: String {
        switch self {
        case .forgedHeartbeat: return "peer relayed a presence heartbeat with a bad signature"
        case let .invalidConsensus(why): return "peer sent an invalid consensus message: \(why)"
        case .otherGenesis: return "peer has another genesis"
        case let .invalidBlock(why): return "peer sent an invalid block: \(why)"
        case .unrequested: return "peer sent blocks nobody asked for"
        case .malformedRange: return "peer answered a range request with other heights"
        case .forgedTransaction: return "peer relayed a transaction with a bad signature"
        }
    }
    var event: TrustEvent {
        switch self {
        case .otherGenesis, .malformedRange, .forgedTransaction, .invalidConsensus, .forgedHeartbeat: return .invalidMessage
        case .invalidBlock: return .invalidBlock
        case .unrequested: return .unrequested
        }
    }
}
