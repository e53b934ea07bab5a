import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraNetwork
import CoreMetrics
import Foundation
import Hummingbird
import Logging
import Prometheus
import Synchronization

/// Where a state sync stands, for the interim endpoints: the phase, the attempt, the snapshot and
/// its chunks, the peers, and why the last attempt failed (the runner updates it).
final class StateSyncProgress: Sendable {
    struct State: Sendable, Equatable {
        var phase = "discovering"
        var activity = "looking for snapshots"
        var attempt = 1
        var snapshotHeight: UInt64?
        var chunksApplied = 0
        var chunksTotal: Int?
        var peers = 0
        var lastFailure: String?
        var bannedPeers = 0

        /// Takes what the machine knows now: its phase, the snapshot, the verified chunks.
        mutating func observe(_ m: StateSync, peers: Int) {
            self.peers = peers
            chunksApplied = m.verifiedChunks.count
            switch m.phase {
            case .discovering:
                set("discovering", "looking for snapshots", height: nil, chunks: nil)
            case let .verifying(h):
                set("verifying", "verifying the header at \(h) with the light client", height: h, chunks: nil)
            case let .fetching(manifest):
                set("fetching", "fetching the snapshot at \(manifest.height): \(chunksApplied) of \(manifest.chunkCount) chunks verified",
                    height: manifest.height, chunks: manifest.chunkCount)
            case let .restoring(manifest):
                restoring(manifest)
            case let .done(h):
                finished(height: h)
            case .failed:
                break  // the runner records the failure and the wait before the next attempt
            }
        }

        /// The state is being rebuilt from every chunk (the runner calls it before it blocks on that).
        mutating func restoring(_ manifest: SnapshotManifest) {
            set("restoring", "restoring the snapshot at \(manifest.height)", height: manifest.height, chunks: manifest.chunkCount)
            chunksApplied = manifest.chunkCount
        }

        /// The snapshot is restored and checked; the node is about to open its chain.
        mutating func finished(height: UInt64) {
            set("done", "the snapshot at \(height) is restored", height: height, chunks: chunksTotal)
        }

        private mutating func set(_ phase: String, _ activity: String, height: UInt64?, chunks: Int?) {
            self.phase = phase
            self.activity = activity
            snapshotHeight = height
            chunksTotal = chunks
        }

        func view(chainID: String) -> API.StateSyncStatusView {
            API.StateSyncStatusView(chainID: chainID, stateSync: .init(
                phase: phase, activity: activity, attempt: attempt, snapshotHeight: snapshotHeight, chunksApplied: chunksApplied,
                chunksTotal: chunksTotal, peers: peers, bannedPeers: bannedPeers, lastFailure: lastFailure))
        }
    }

    private let state = Mutex(State())

    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }

    var snapshot: State { state.withLock { $0 } }

    var detail: String {
        let s = snapshot
        var text = "state sync attempt \(s.attempt): \(s.activity)"
        if let why = s.lastFailure { text += "; the last attempt failed: \(why)" }
        if s.bannedPeers > 0 { text += "; \(s.bannedPeers) peers banned" }
        return text
    }
}

/// While state sync runs the node has no chain to serve, but an operator (or an orchestrator's
/// probe, or a dashboard) must still see that it is alive, why it is not ready and how far the
/// sync is: this serves `/health/live` (200), `/health` and `/health/ready` (503, component
/// `stateSync` with the activity and the last failure), `GET /api/v1/status` (200,
/// `API.StateSyncStatusView`) and `GET /metrics` (the process's registry with the sync's gauges,
/// `StateSyncMetrics`) on the API address, and is stopped before the real API binds it. Any
/// other path is 404 until then.
enum StateSyncHealth {
    struct Context: Sendable {
        var chainID: String
        var progress: StateSyncProgress
        var registry: PrometheusCollectorRegistry
        var metrics: NodeMetrics
        var gauges: StateSyncMetrics
    }

    static func application(host: String, port: Int, context c: Context, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health/live") { _, _ in try response(API.HealthView(status: "live", components: [:]), .ok) }
        for path in ["/health", "/health/ready"] {
            router.get(RouterPath(path)) { _, _ in
                try response(API.HealthView(status: "not_ready", components: ["stateSync": .init(healthy: false, detail: c.progress.detail)]),
                             .serviceUnavailable)
            }
        }
        router.get("/api/v1/status") { _, _ in try response(c.progress.snapshot.view(chainID: c.chainID), .ok) }
        router.get("/metrics") { _, _ in
            c.metrics.sampleProcess()
            c.gauges.record(c.progress.snapshot)
            let text = NodeMetrics.withHelp(c.registry.emitToString())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "agora"), logger: logger)
    }

    static func response(_ view: some Encodable, _ status: HTTPResponse.Status) throws -> Response {
        let data = try JSONEncoder().encode(view)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The gauges of a state sync's progress (docs/metrics.md, docs/state-sync.md), on the node's
/// registry: recorded from `StateSyncProgress` whenever the interim `/metrics` is read, and kept
/// (with the values the sync ended on) by the running node's registry afterwards.
struct StateSyncMetrics: Sendable {
    static let phases = ["discovering", "verifying", "fetching", "restoring", "waiting", "done"]

    let phase: [String: CoreMetrics.Gauge]
    let attempt: CoreMetrics.Gauge
    let snapshotHeight: CoreMetrics.Gauge
    let chunksApplied: CoreMetrics.Gauge
    let chunksTotal: CoreMetrics.Gauge
    let peers: CoreMetrics.Gauge
    let bannedPeers: CoreMetrics.Gauge

    init(factory: any MetricsFactory & Sendable) {
        phase = Dictionary(uniqueKeysWithValues: Self.phases.map {
            ($0, CoreMetrics.Gauge(label: "agora_state_sync_phase", dimensions: [("phase", $0)], factory: factory))
        })
        attempt = CoreMetrics.Gauge(label: "agora_state_sync_attempt", factory: factory)
        snapshotHeight = CoreMetrics.Gauge(label: "agora_state_sync_snapshot_height", factory: factory)
        chunksApplied = CoreMetrics.Gauge(label: "agora_state_sync_chunks_applied", factory: factory)
        chunksTotal = CoreMetrics.Gauge(label: "agora_state_sync_chunks_total", factory: factory)
        peers = CoreMetrics.Gauge(label: "agora_state_sync_peers", factory: factory)
        bannedPeers = CoreMetrics.Gauge(label: "agora_state_sync_banned_peers", factory: factory)
    }

    func record(_ s: StateSyncProgress.State) {
        for (name, gauge) in phase { gauge.record(name == s.phase ? 1 : 0) }
        attempt.record(s.attempt)
        snapshotHeight.record(Int64(clamping: s.snapshotHeight ?? 0))
        chunksApplied.record(s.chunksApplied)
        chunksTotal.record(s.chunksTotal ?? 0)
        peers.record(s.peers)
        bannedPeers.record(s.bannedPeers)
    }
}
