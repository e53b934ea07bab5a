import CoreMetrics
import Foundation
import Metrics

/// Every metric the node exports, created through swift-metrics against an explicit factory (the
/// node passes swift-prometheus's; tests pass a fresh one). Names follow Prometheus conventions:
/// `agora_` prefix, `_total` counters, `_seconds` histograms, base units. Label sets are fixed per
/// name and always in the same order. See docs/metrics.md.
public final class NodeMetrics: Sendable {
    public let factory: any MetricsFactory & Sendable

    public let height: Gauge
    public let blockInterval: Metrics.Timer
    public let blockCommit: Metrics.Timer
    public let blockTransactions: Recorder
    /// The state tree: per-block update time, pages written per block, bytes of proofs served.
    public let stateTreeUpdate: Metrics.Timer
    public let stateTreePagesWritten: Recorder
    public let stateProofBytes: Recorder
    public let transactionsCommitted: Metrics.Counter
    public let transactionsFailed: Metrics.Counter
    public let mempoolTransactions: Gauge
    public let mempoolBytes: Gauge
    public let mempoolReady: Gauge
    public let mempoolQueued: Gauge
    public let mempoolReadyBound: Gauge
    public let commitRate: Gauge
    public let websocketConnections: Gauge
    public let eventsPublished: Metrics.Counter
    public let storageBytes: Gauge
    public let residentMemory: Gauge
    public let openFiles: Gauge
    public let producerFailures: Metrics.Counter
    /// 1 once a read or write met damaged stored data (sticky until restart).
    public let storageCorrupt: Gauge
    private let counters: CounterCache

    public init(factory: any MetricsFactory & Sendable) {
        self.factory = factory
        counters = CounterCache(factory: factory)
        height = Gauge(label: "agora_chain_height", factory: factory)
        blockInterval = Metrics.Timer(label: "agora_block_interval_seconds", factory: factory)
        blockCommit = Metrics.Timer(label: "agora_block_commit_seconds", factory: factory)
        blockTransactions = Recorder(label: "agora_block_transactions", factory: factory)
        stateTreeUpdate = Metrics.Timer(label: "agora_state_tree_update_seconds", factory: factory)
        stateTreePagesWritten = Recorder(label: "agora_state_tree_pages_written", factory: factory)
        stateProofBytes = Recorder(label: "agora_state_proof_bytes", factory: factory)
        transactionsCommitted = Metrics.Counter(label: "agora_transactions_committed_total", factory: factory)
        transactionsFailed = Metrics.Counter(label: "agora_transactions_failed_total", factory: factory)
        mempoolTransactions = Gauge(label: "agora_mempool_transactions", factory: factory)
        mempoolBytes = Gauge(label: "agora_mempool_bytes", factory: factory)
        mempoolReady = Gauge(label: "agora_mempool_ready_transactions", factory: factory)
        mempoolQueued = Gauge(label: "agora_mempool_queued_transactions", factory: factory)
        mempoolReadyBound = Gauge(label: "agora_mempool_ready_bound", factory: factory)
        commitRate = Gauge(label: "agora_chain_commit_rate", factory: factory)
        websocketConnections = Gauge(label: "agora_websocket_connections", factory: factory)
        eventsPublished = Metrics.Counter(label: "agora_events_published_total", factory: factory)
        storageBytes = Gauge(label: "agora_storage_bytes", factory: factory)
        residentMemory = Gauge(label: "process_resident_memory_bytes", factory: factory)
        openFiles = Gauge(label: "process_open_fds", factory: factory)
        producerFailures = Metrics.Counter(label: "agora_block_production_failures_total", factory: factory)
        storageCorrupt = Gauge(label: "agora_storage_corrupt", factory: factory)
    }

    public static let disabled = NodeMetrics(factory: NOOPMetricsHandler.instance)

    /// HELP text per metric. swift-metrics carries none, so `/metrics` adds these lines to the
    /// exposition (promtool requires them); docs/metrics.md repeats them.
    public static let help: [String: String] = [
        "agora_chain_height": "Height of the last committed block.",
        "agora_block_interval_seconds": "Time between consecutive block timestamps.",
        "agora_block_commit_seconds": "Time to write a block and its state changes to SQLite.",
        "agora_block_transactions": "Transactions per committed block.",
        "agora_state_tree_update_seconds": "Time to compute a block's state tree update (read the changed paths' pages, hash the new ones).",
        "agora_state_tree_pages_written": "State tree pages (16-slot nodes) written per block.",
        "agora_state_proof_bytes": "Size of each state proof served (canonical encoding).",
        "agora_transactions_committed_total": "Transactions included in committed blocks.",
        "agora_transactions_failed_total": "Included transactions whose payload failed (fee paid).",
        "agora_transactions_rejected_total": "Transactions refused at admission or block building, by reason.",
        "agora_mempool_transactions": "Pending transactions.",
        "agora_mempool_bytes": "Bytes of pending transactions.",
        "agora_mempool_ready_transactions": "Pending transactions includable in the next block (contiguous nonces).",
        "agora_mempool_queued_transactions": "Pending transactions waiting for an earlier nonce.",
        "agora_mempool_ready_bound": "Ready transactions the mempool admits at most: mempool.maxPendingSeconds of the assumed commit rate.",
        "agora_chain_commit_rate": "Transactions committed per second over the recent window of blocks, as the mempool bound assumes it (floored).",
        "agora_mempool_refused_total": "Transactions refused at the edge because of load or bounds, by code (mempool_busy, queued_limit, sender_pending_limit, expiry_too_far).",
        "agora_state_sync_phase": "1 for the phase a state sync is in (discovering, verifying, fetching, restoring, waiting, done), 0 for the others; only on a node started with state sync.",
        "agora_state_sync_attempt": "The state sync's attempt number (1 until an attempt fails).",
        "agora_state_sync_snapshot_height": "Height of the snapshot the state sync restores (0 until one is chosen).",
        "agora_state_sync_chunks_applied": "Chunks of the snapshot fetched and verified against its manifest.",
        "agora_state_sync_chunks_total": "Chunks of the snapshot (0 until its manifest is chosen).",
        "agora_state_sync_peers": "Bootstrap peers the state sync is linked to.",
        "agora_state_sync_banned_peers": "Peers the state sync banned (wrong chain, corrupt chunks, refuted manifests).",
        "agora_mempool_evicted_total": "Transactions evicted from the mempool, by reason (queued_expired, queued_overflow, displaced).",
        "agora_websocket_connections": "Open WebSocket event connections.",
        "agora_websocket_dropped_total": "WebSocket clients disconnected by the node, by reason.",
        "agora_events_published_total": "Events published to the event stream.",
        "agora_group_operations_total": "Successful groups and claims transactions in committed blocks, by kind (claim_publish, group_create, ...).",
        "agora_task_operations_total": "Successful tasks transactions in committed blocks, by kind (task_create, task_assign, ..., task_expire).",
        "agora_presence_heartbeats_total": "Presence heartbeats received (API and gossip), by result (accepted or the refusal code).",
        "agora_presence_online_members": "Members of any group whose latest heartbeat is not stale, at the last presence sweep.",
        "agora_presence_tracked": "(group, member) entries the presence service holds.",
        "agora_storage_bytes": "Size of the SQLite database and its WAL on disk.",
        "agora_api_requests_total": "API requests by method, route template and status.",
        "agora_api_request_duration_seconds": "API request latency by method and route template.",
        "agora_api_limited_total": "API requests refused by a limit, by kind.",
        "agora_block_production_failures_total": "Failed attempts to produce a block.",
        "agora_storage_corrupt": "1 once a read or write of the database met damaged data since start, else 0.",
        "agora_block_commit_retries_total": "Retries of a decided block whose commit to the database failed (e.g. a full disk).",
        "process_resident_memory_bytes": "Resident memory of the node process.",
        "process_open_fds": "Open file descriptors of the node process.",
        "agora_p2p_peers": "Connected peers by direction.",
        "agora_p2p_messages_total": "P2P messages by direction and type.",
        "agora_p2p_handshake_failures_total": "Failed P2P handshakes by reason.",
        "agora_p2p_refused_total": "P2P links refused after the handshake, by reason (banned, caps, duplicate).",
        "agora_p2p_bans_total": "Peers banned for falling below the trust threshold.",
        "agora_p2p_gossip_received_total": "Gossiped transactions and blocks received, by topic (duplicates included).",
        "agora_p2p_gossip_duplicates_total": "Gossiped messages received that were already seen, by topic.",
        "agora_p2p_mesh_peers": "Peers in this node's gossip mesh, by topic.",
        "agora_p2p_trust_score": "Trust scores of connected peers: min, mean and max.",
        "agora_p2p_sync_timeouts_total": "Block-range requests taken from a peer that did not answer in time.",
        "agora_p2p_sync_windows": "Block-range requests in flight.",
        "agora_p2p_inbound_queue_depth": "Inbound P2P work waiting, by class (consensus, sync, other, gossip; gossip in transactions).",
        "agora_p2p_inbound_dropped_total": "Inbound P2P work dropped because its class's queue was full or its link closed, by class.",
        "agora_block_budget_transactions": "Transactions the last proposal could hold under block.maxTransactions and the measured cost budget.",
        "agora_block_cost_seconds_per_transaction": "Measured seconds a validator needs per transaction: signature over all cores plus execution.",
        "agora_block_signatures_total": "Transaction signatures of received blocks, by result: reused (checked at admission) or checked.",
        "agora_block_budget_bytes": "Bytes of transactions the last proposal could hold (the block size limit less the header allowance).",
        "agora_block_proposal_transactions": "Transactions in the last proposal this node built.",
        "agora_block_proposal_bytes": "Bytes of transactions in the last proposal this node built.",
        "agora_block_last_signatures": "Transaction signatures of the last received block, by result: reused (checked at admission) or checked.",
    ]

    /// Adds `# HELP` lines to Prometheus text produced by the registry.
    public static func withHelp(_ exposition: String) -> String {
        var out = ""
        out.reserveCapacity(exposition.utf8.count + 2048)
        for line in exposition.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst(7).split(separator: " ").first.map(String.init) ?? ""
                out += "# HELP \(name) \(help[name] ?? ArtifactMetrics.help[name] ?? ArtifactFetcher.help[name] ?? MediatorMetrics.help[name] ?? name.replacingOccurrences(of: "_", with: " "))\n"
            }
            out += line
            out += "\n"
        }
        if out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }

    /// Transactions refused, by stable reason code (admission and block building).
    public func rejected(_ reason: String) {
        counters.counter("agora_transactions_rejected_total", [("reason", reason)]).increment()
    }

    /// A transaction refused at the edge for load or bounds (`mempool_busy`, `queued_limit`,
    /// `sender_pending_limit`, `expiry_too_far`).
    public func mempoolRefused(_ code: String) {
        counters.counter("agora_mempool_refused_total", [("code", code)]).increment()
    }

    /// A transaction evicted from the mempool (`queued_expired`, `queued_overflow`, `displaced`).
    public func mempoolEvicted(_ reason: String) {
        counters.counter("agora_mempool_evicted_total", [("reason", reason)]).increment()
    }

    public func apiRequest(method: String, route: String, status: Int, seconds: Double) {
        Metrics.Counter(label: "agora_api_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))],
                        factory: factory).increment()
        Metrics.Timer(label: "agora_api_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    public func websocketDropped(_ reason: String) {
        counters.counter("agora_websocket_dropped_total", [("reason", reason)]).increment()
    }

    /// One successful groups or claims transaction (`kind` is the payload kind).
    public func groupOperation(_ kind: String) {
        counters.counter("agora_group_operations_total", [("kind", kind)]).increment()
    }

    /// One successful tasks transaction (`kind` is the payload kind).
    public func taskOperation(_ kind: String) {
        counters.counter("agora_task_operations_total", [("kind", kind)]).increment()
    }

    /// A presence heartbeat accepted or refused (`result` is "accepted" or the refusal code).
    public func presenceHeartbeat(_ result: String) {
        counters.counter("agora_presence_heartbeats_total", [("result", result)]).increment()
    }

    public func presenceGauges(online: Int, tracked: Int) {
        Metrics.Gauge(label: "agora_presence_online_members", factory: factory).record(online)
        Metrics.Gauge(label: "agora_presence_tracked", factory: factory).record(tracked)
    }

    /// One successful market transaction or end-of-block settlement (`kind`: the payload kind,
    /// `market_release` or `market_refund`).
    public func marketOperation(_ kind: String) {
        counters.counter("agora_market_operations_total", [("kind", kind)]).increment()
    }

    /// One governance step: a transaction (`gov_submit`, `gov_deposit`, `gov_vote`) or a
    /// proposal reaching a status at the end of a block (`proposal_passed`, …, `upgrade_applied`).
    public func governanceEvent(_ kind: String) {
        counters.counter("agora_gov_events_total", [("kind", kind)]).increment()
    }

    public func apiLimited(_ kind: String) {
        counters.counter("agora_api_limited_total", [("kind", kind)]).increment()
    }

    /// Samples process-level figures (called at scrape time).
    public func sampleProcess() {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
           let kb = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            residentMemory.record(kb * 1024)
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openFiles.record(fds.count)
        }
    }
}
