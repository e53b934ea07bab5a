import AgoraClient
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraStorage
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// `stateSync.enabled` at start: a node whose database holds nothing committed (height 0, as
/// `agora init` leaves it) restores a verified snapshot from its peers before the chain opens;
/// one that holds blocks starts as usual (state sync is for joining, never for a node's own
/// history). The live database is replaced only by a finished, checked staging database, in one
/// rename; bans earned during the sync are written to the new database so the P2P service keeps
/// them.
enum StateSyncBootstrap {
    static func runIfEmpty(dataDir: DataDirectory, config: NodeConfig, key: SigningKey, banDuration: Int,
                           registry: PrometheusCollectorRegistry, metrics: NodeMetrics, logger: Logger) async throws {
        let store = try BlockStore(path: dataDir.databaseFile)
        guard let identity = try store.identity() else {
            try? store.close()
            throw StorageError.notInitialized(path: dataDir.databaseFile)
        }
        let head = try store.head()
        guard head.height == 0 else {
            try store.close()
            logger.info("state sync skipped: this node already holds blocks", metadata: ["height": .stringConvertible(head.height)])
            return
        }
        try store.checkpointAndClose()
        let s = config.snapshots
        let trust: LightClient.TrustRoot = if let h = s.trustHeight, let hash = s.trustHash {
            .header(chainID: identity.chainID, height: h, hash: hash)
        } else {
            .genesis(chainID: identity.chainID, validators: identity.validatorSet, genesisTime: identity.genesisTime)
        }
        let work = dataDir.path + "/statesync"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work + "/chunks", withIntermediateDirectories: true)
        logger.notice("state sync: looking for snapshots", metadata: ["peers": .string(config.p2pPeers.map { "\($0.host):\($0.port)" }.joined(separator: ","))])
        let runner = StateSyncRunner(identity: identity, key: key, peers: config.p2pPeers, trust: trust, workDirectory: work, logger: logger)
        let context = StateSyncHealth.Context(chainID: identity.chainID, progress: runner.progress, registry: registry, metrics: metrics,
                                              gauges: StateSyncMetrics(factory: metrics.factory))
        let outcome = try await withInterimHealth(config: config, context: context, logger: logger) { try await runner.run() }
        context.gauges.record(runner.progress.snapshot)  // the running node's /metrics keeps how the sync ended
        try StateRestore.install(stagingPath: runner.stagingPath, livePath: dataDir.databaseFile)
        try? FileManager.default.removeItem(atPath: work)
        try rememberBans(outcome, dataDir: dataDir, banDuration: banDuration)
        logger.notice("state sync complete: continuing by block sync", metadata: [
            "height": .stringConvertible(outcome.result.height), "state_root": .string(outcome.result.stateRoot.hex),
            "banned_peers": .stringConvertible(outcome.banned.count),
        ])
    }

    /// Runs `body` with the interim endpoints (`StateSyncHealth`) on the API address; stops them (and frees the
    /// port for the real API) before returning. The endpoint is stopped by graceful shutdown, not
    /// by cancelling its task: cancelling Hummingbird while a connection is being accepted traps
    /// in NIO ("Deinited NIOAsyncWriter without calling finish()"), which killed a syncing node
    /// in a CI run of 2026-12-05 as the sync finished while a client polled /health.
    static func withInterimHealth<T: Sendable>(config: NodeConfig, context: StateSyncHealth.Context, logger: Logger,
                                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let app = StateSyncHealth.application(host: config.http.host, port: config.http.port, context: context, logger: logger)
        let server = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let serving = Task {
            // A busy port only costs the interim endpoint, never the sync.
            do { try await server.run() } catch { logger.info("state sync health endpoint not served", metadata: ["reason": .string("\(error)")]) }
        }
        defer { serving.cancel() }
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        await server.triggerGracefulShutdown()
        await serving.value
        return try result.get()
    }

    static func rememberBans(_ outcome: StateSyncRunner.Outcome, dataDir: DataDirectory, banDuration: Int) throws {
        guard !outcome.banned.isEmpty else { return }
        let store = try BlockStore(path: dataDir.databaseFile)
        defer { try? store.close() }
        let wall = Int64(Date().timeIntervalSince1970 * 1000)
        for b in outcome.banned {
            try store.savePeer(.init(peerID: b.peer, identity: b.identity, address: b.address, score: -100,
                                     bannedUntil: wall + Int64(banDuration) * 1000, lastSeen: wall))
        }
    }
}
