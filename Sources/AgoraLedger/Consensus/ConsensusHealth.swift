import AgoraCore

/// Consensus readiness: failing after a commit error or a journal failure, and while the node
/// is more than `maxLag` blocks behind the best height its peers report (it is catching up and
/// its state is stale).
public struct ConsensusHealth: HealthCheck {
    public let component = "consensus"
    let consensus: ConsensusService
    let peerHeights: @Sendable () -> [UInt64]
    public static let maxLag: UInt64 = 3

    public init(consensus: ConsensusService, peerHeights: @escaping @Sendable () -> [UInt64]) {
        self.consensus = consensus
        self.peerHeights = peerHeights
    }

    public func check() async -> HealthStatus {
        let s = consensus.status
        if let error = s.lastError { return .failing(error) }
        let head = consensus.chain.snapshot.head.height
        let best = peerHeights().max() ?? 0
        if best > head + ConsensusHealth.maxLag { return .failing("catching up: height \(head), peers at \(best)") }
        let role = s.validator.map { "validator \($0.address)" } ?? "following"
        return .ok("height \(s.height) round \(s.round) \(s.step), \(role)")
    }
}
