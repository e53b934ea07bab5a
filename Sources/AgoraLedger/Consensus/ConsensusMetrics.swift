import AgoraCore
import Metrics

/// Consensus metrics (docs/metrics.md): where the engine is (height, round, step), how many
/// rounds heights take, votes and proposals received, messages refused by reason, commits each
/// validator missed, evidence seen.
struct ConsensusMetrics: Sendable {
    let height: Gauge
    let round: Gauge
    let step: Gauge
    let roundsPerHeight: Recorder
    let proposalsReceived: Counter
    let evidence: Counter
    let signingRefusals: Counter
    let commitRetries: Counter
    private let counters: CounterCache

    init(_ factory: any MetricsFactory & Sendable) {
        height = Gauge(label: "agora_consensus_height", factory: factory)
        round = Gauge(label: "agora_consensus_round", factory: factory)
        step = Gauge(label: "agora_consensus_step", factory: factory)
        roundsPerHeight = Recorder(label: "agora_consensus_rounds_per_height", factory: factory)
        proposalsReceived = Counter(label: "agora_consensus_proposals_received_total", factory: factory)
        evidence = Counter(label: "agora_consensus_evidence_total", factory: factory)
        signingRefusals = Counter(label: "agora_consensus_signing_refusals_total", factory: factory)
        commitRetries = Counter(label: "agora_block_commit_retries_total", factory: factory)
        counters = CounterCache(factory: factory)
    }

    func vote(_ kind: Vote.Kind) {
        counters.counter("agora_consensus_votes_received_total", [("type", kind == .prevote ? "prevote" : "precommit")]).increment()
    }

    func refused(_ reason: String) {
        counters.counter("agora_consensus_messages_refused_total", [("reason", reason)]).increment()
    }

    /// One per validator of the height's set whose precommit is not in the commit.
    func missed(_ validator: PublicKey) {
        counters.counter("agora_consensus_missed_blocks_total", [("validator", validator.address.description)]).increment()
    }
}
