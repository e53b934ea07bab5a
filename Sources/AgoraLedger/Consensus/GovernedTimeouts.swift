import AgoraConsensus
import AgoraCore
import AgoraState

/// The timeouts a height runs with: this node's `consensus.*` configuration, with every value
/// governance has set (`ConsensusParams`) in its place. The driver reads them from the state the
/// previous block left when it starts a height, so from the height after a change executes every
/// validator waits the same times.
extension ConsensusTimeouts {
    public func governed(by params: ConsensusParams) -> ConsensusTimeouts {
        var t = self
        if let v = params[.consensusTimeoutProposeMs] { t.proposeBase = v }
        if let v = params[.consensusTimeoutProposeDeltaMs] { t.proposeDelta = v }
        if let v = params[.consensusTimeoutPrevoteMs] { t.prevoteBase = v }
        if let v = params[.consensusTimeoutPrevoteDeltaMs] { t.prevoteDelta = v }
        if let v = params[.consensusTimeoutPrecommitMs] { t.precommitBase = v }
        if let v = params[.consensusTimeoutPrecommitDeltaMs] { t.precommitDelta = v }
        return t
    }
}
