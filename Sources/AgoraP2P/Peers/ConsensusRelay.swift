import AgoraCore
import AgoraLedger
import AgoraNetwork
import Logging
import Synchronization

/// Consensus messages between peers (wire tag 14, opaque bytes): each inbound one goes to the
/// node's `ConsensusService` to judge; what it accepts is relayed to every other peer, what
/// cannot come from an honest node costs its sender trust. Outbound ones are broadcast or sent
/// to one peer (`ConsensusTransport`).
final class ConsensusRelay: Sendable {
    struct Judge: Sendable { let judge: @Sendable ([UInt8], Hash) -> ConsensusVerdict }

    let registry: PeerRegistry
    let standing: PeerStanding
    let logger: Logger
    /// Consensus, when the node runs it.
    private let judge = Mutex<Judge?>(nil)

    init(registry: PeerRegistry, standing: PeerStanding, logger: Logger) {
        self.registry = registry
        self.standing = standing
        self.logger = logger
    }

    func setJudge(_ judge: @escaping @Sendable ([UInt8], Hash) -> ConsensusVerdict) {
        self.judge.withLock { $0 = Judge(judge: judge) }
    }

    func receive(_ bytes: [UInt8], from peer: Hash) throws -> TrustEvent? {
        guard let judge = judge.withLock({ $0 }) else { return nil }
        switch judge.judge(bytes, peer) {
        case .accepted:
            broadcast(bytes, except: peer)
            return nil
        case .duplicate, .ignored:
            return nil
        case let .invalid(reason):
            throw PeerFault.invalidConsensus(reason)
        }
    }

    func broadcast(_ bytes: [UInt8], except: Hash?) { registry.broadcast(.consensus(bytes), except: except) }

    func send(_ bytes: [UInt8], to peer: Hash) { registry.send(.consensus(bytes), to: [peer]) }

    /// Consensus found a peer's message faulty after accepting it for checking.
    func fault(_ peer: Hash, _ reason: String) {
        guard let link = registry.link(peer) else { return }
        logger.info("peer misbehaved", metadata: ["peer": .string(link.identity.identity.address.description), "fault": .string(reason)])
        standing.penalize(link, .invalidMessage)
    }
}
