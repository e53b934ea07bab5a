import AgoraLedger
import AgoraNetwork
import Metrics

/// Network metrics: peers by direction, messages by type and direction, handshake failures by
/// reason, refused links by reason (after the handshake) and refused connections (at accept),
/// pending handshakes, bans.
struct NetworkMetrics: Sendable {
    let factory: any MetricsFactory & Sendable
    /// Counters made once and reused: `message` and `gossip` run per frame and per gossiped
    /// transaction, and making a `Counter` is a registry lookup under a lock each time.
    private let counters: CounterCache

    init(_ factory: any MetricsFactory & Sendable) {
        self.factory = factory
        counters = CounterCache(factory: factory)
    }

    func peersChanged(_ counts: (inbound: Int, outbound: Int)) {
        Gauge(label: "agora_p2p_peers", dimensions: [("direction", "in")], factory: factory).record(counts.inbound)
        Gauge(label: "agora_p2p_peers", dimensions: [("direction", "out")], factory: factory).record(counts.outbound)
    }

    func message(_ kind: String, direction: String) {
        counters.counter("agora_p2p_messages_total", [("direction", direction), ("type", kind)]).increment()
    }

    func handshakeFailed(_ error: Transport.LinkError) {
        let reason: String
        switch error {
        case .handshakeTimeout: reason = "timeout"
        case let .refused(r):
            switch r {
            case .chainMismatch: reason = "chain_mismatch"
            case .versionMismatch: reason = "version_mismatch"
            case .badSignature: reason = "bad_signature"
            default: reason = "malformed"
            }
        case .noise: reason = "noise"
        case .session: reason = "bad_frame"
        case .closed: reason = "closed"
        }
        Counter(label: "agora_p2p_handshake_failures_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    func refused(_ reason: String) {
        Counter(label: "agora_p2p_refused_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// A connection closed at accept by the `AcceptGate`, before its handshake.
    func acceptRefused(_ reason: AcceptGate.Refusal) {
        counters.counter("agora_p2p_accept_refused_total", [("reason", reason.rawValue)]).increment()
    }

    /// Pending handshakes and P2P sockets held, as the gate counts them.
    func gate(_ counts: AcceptGate.Counts) {
        Gauge(label: "agora_p2p_pending_handshakes", factory: factory).record(counts.pending)
        Gauge(label: "agora_p2p_sockets", factory: factory).record(counts.sockets)
    }

    func banned() { Counter(label: "agora_p2p_bans_total", factory: factory).increment() }

    func gossip(_ topic: GossipRouter.Topic, duplicate: Bool) {
        let name = topic.name
        counters.counter("agora_p2p_gossip_received_total", [("topic", name)]).increment()
        if duplicate { counters.counter("agora_p2p_gossip_duplicates_total", [("topic", name)]).increment() }
    }

    func mesh(_ topic: GossipRouter.Topic, size: Int) {
        Gauge(label: "agora_p2p_mesh_peers", dimensions: [("topic", topic.name)], factory: factory).record(size)
    }

    /// Trust scores of connected peers as min/mean/max (per-peer series would leave stale
    /// label sets behind as peers come and go; `GET /api/v1/peers` has each peer's score).
    func trust(_ scores: [Double]) {
        let stats: [(String, Double)] = scores.isEmpty ? [("min", 0), ("mean", 0), ("max", 0)]
            : [("min", scores.min()!), ("mean", scores.reduce(0, +) / Double(scores.count)), ("max", scores.max()!)]
        for (stat, value) in stats {
            Gauge(label: "agora_p2p_trust_score", dimensions: [("stat", stat)], factory: factory).record(value)
        }
    }

    func syncTimeout() { Counter(label: "agora_p2p_sync_timeouts_total", factory: factory).increment() }

    func syncWindows(_ n: Int) { Gauge(label: "agora_p2p_sync_windows", factory: factory).record(n) }
}
