import AgoraAPI
import AgoraClient
import AgoraCrypto
import AgoraLedger
import AgoraNode
import AgoraStorage
import Foundation
import Hummingbird
import Logging
import Synchronization

/// `agora bench artifacts`: the real API server with an artifact store in a temporary data
/// directory, on a loopback port, for the CLI's own upload and download code to run against
/// in the same process (so the peak RSS it reports covers server and client together).
public enum ArtifactBenchmark {
    public static func withServer<T: Sendable>(directory: String, maxBytes: Int64, chunkBytes: Int,
                                               _ body: @Sendable (_ baseURL: String, _ store: ArtifactStore, _ token: String) async throws -> T) async throws -> T {
        let dir = DataDirectory(directory)
        let dev = try NodeSetup.devNetwork(dataDir: dir, http: "127.0.0.1:0", blockIntervalMs: 1000)
        let key = try KeyFile.read(from: dev.validatorKeyPath).unlock(password: nil)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let chain = try Chain(store: try BlockStore(path: dir.databaseFile), validatorKey: key, logger: logger)
        var limits = ArtifactStore.Limits()
        limits.maxArtifactBytes = maxBytes
        let store = try ArtifactStore(root: dir.artifactsDirectory, limits: limits)
        var config = ArtifactUploads.Config()
        config.chunkBytes = chunkBytes
        let uploads = ArtifactUploads(store: store, config: config)
        let tokens = AdminTokens(path: dir.adminTokensFile)
        let token = try tokens.create(name: "bench")
        var apiLimits = APILimits()
        apiLimits.rateLimitPerSecond = 1_000_000
        apiLimits.rateLimitBurst = 1_000_000
        apiLimits.requestTimeout = .seconds(60)
        var deps = APIDependencies(chain: chain, health: HealthRegistry(), tokens: tokens, audit: AuditLog(path: dir.auditLogFile),
                                   limits: apiLimits, version: Node.version)
        deps.artifacts = ArtifactDependencies(store: store, uploads: uploads, chainID: chain.identity.chainID)
        let port = Mutex<Int?>(nil)
        let app = APIServer.application(deps, host: "127.0.0.1", port: 0, idleTimeout: .seconds(60), logger: logger) { p in
            port.withLock { $0 = p }
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await app.run(); return nil }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let url = "http://127.0.0.1:\(port.withLock { $0 }!)"
            let result = try await body(url, store, token)
            group.cancelAll()
            return result
        }
    }
}
