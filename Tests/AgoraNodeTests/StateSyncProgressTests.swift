import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraNetwork
import Foundation
import Prometheus
import Testing
@testable import AgoraNode

/// What a syncing node answers at `/api/v1/status` and `/metrics` (docs/state-sync.md): the
/// progress follows the state-sync machine through its phases, and the gauges follow the progress.
@Suite("State sync progress")
struct StateSyncProgressTests {
    let peer = Hash.sha256([1])
    let manifest = SnapshotManifest(chainID: "sim", height: 20, stateRoot: Hash.sha256([2]), entryCount: 3,
                                    chunkHashes: [Hash.sha256([3]), Hash.sha256([4]), Hash.sha256([5])])

    @Test("the progress follows the machine from discovery to verifying to fetching, and says so at /api/v1/status")
    func progressFollowsTheMachine() throws {
        var machine = StateSync(chainID: "sim", now: 0)
        var state = StateSyncProgress.State()
        state.observe(machine, peers: 0)
        #expect(state.view(chainID: "sim").stateSync == .init(phase: "discovering", activity: "looking for snapshots", attempt: 1, snapshotHeight: nil,
                                                              chunksApplied: 0, chunksTotal: nil, peers: 0, bannedPeers: 0, lastFailure: nil))
        _ = machine.peerJoined(peer, now: 0)
        _ = machine.receiveSnapshots([manifest], from: peer, now: 1)
        _ = machine.tick(now: machine.params.discovery + 1)
        state.observe(machine, peers: 1)
        #expect(state.phase == "verifying" && state.snapshotHeight == 20 && state.chunksTotal == nil && state.peers == 1)
        _ = machine.headerVerified(height: 20, stateRoot: manifest.stateRoot, now: machine.params.discovery + 2)
        state.observe(machine, peers: 1)
        #expect(state.phase == "fetching" && state.snapshotHeight == 20 && state.chunksTotal == 3 && state.chunksApplied == 0)
        #expect(state.activity == "fetching the snapshot at 20: 0 of 3 chunks verified")
        state.restoring(manifest)
        #expect(state.phase == "restoring" && state.chunksApplied == 3)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(state.view(chainID: "sim"))) as? [String: Any]
        #expect(json?["status"] as? String == "state_syncing" && json?["chainID"] as? String == "sim")
        let sync = json?["stateSync"] as? [String: Any]
        #expect(sync?["phase"] as? String == "restoring" && sync?["snapshotHeight"] as? Int == 20 && sync?["chunksTotal"] as? Int == 3)
        #expect(sync?["lastFailure"] == nil, "absent, not null, until an attempt fails")
    }

    @Test("the gauges show the progress: one phase at 1, the chunks, the snapshot height, the peers")
    func gaugesFollowTheProgress() {
        let registry = PrometheusCollectorRegistry()
        let gauges = StateSyncMetrics(factory: PrometheusMetricsFactory(registry: registry))
        var state = StateSyncProgress.State()
        state.restoring(manifest)
        state.peers = 2
        state.bannedPeers = 1
        state.attempt = 2
        gauges.record(state)
        let text = registry.emitToString()
        for line in ["agora_state_sync_phase{phase=\"restoring\"} 1.0", "agora_state_sync_phase{phase=\"fetching\"} 0.0",
                     "agora_state_sync_chunks_applied 3.0", "agora_state_sync_chunks_total 3.0", "agora_state_sync_snapshot_height 20.0",
                     "agora_state_sync_peers 2.0", "agora_state_sync_banned_peers 1.0", "agora_state_sync_attempt 2.0"] {
            #expect(text.contains(line), "\(line) in \(text)")
        }
        for name in ["agora_state_sync_phase", "agora_state_sync_chunks_applied", "agora_state_sync_chunks_total"] {
            #expect(NodeMetrics.withHelp(text).contains("# HELP \(name) \(NodeMetrics.help[name] ?? "missing")"), "\(name)")
        }
    }
}
