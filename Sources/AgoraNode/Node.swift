import AgoraAPI
import AgoraClient
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraMCP
import AgoraP2P
import AgoraState
import AgoraStorage
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization

/// The composition root: from a data directory and its configuration, builds the chain, the
/// block producer, the API with its event stream and metrics, and runs them as services under
/// one ServiceGroup. SIGTERM/SIGINT stop intake, let the block in progress commit, close the
/// database and exit 0 within `shutdown.deadlineSeconds`; past that the watchdog names what hung
/// and exits 1.
public struct Node {
    /// This build's version (one place: `AgoraVersion`), reported by status and `/mcp`.
    public static let version = AgoraVersion.current

    /// Histogram buckets tuned per metric: API latency in fractions of a millisecond, block
    /// timing around the block interval.
    static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["agora_api_request_duration_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        factory.durationHistogramBuckets["agora_block_commit_seconds"] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
        ]
        factory.durationHistogramBuckets["agora_block_interval_seconds"] = [
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(1500),
            .seconds(2), .seconds(5), .seconds(10), .seconds(30),
        ]
        factory.valueHistogramBuckets["agora_block_transactions"] = [0, 1, 10, 100, 1_000, 5_000, 10_000, 50_000, 100_000]
        factory.valueHistogramBuckets["agora_consensus_rounds_per_height"] = [1, 2, 3, 5, 10, 20]
        return factory
    }

    /// Runs until a shutdown signal. `onListening` receives the bound HTTP address.
    public static func run(dataDir: DataDirectory, config: NodeConfig, logLevel: LogLevelControl, logger: Logger,
                           onListening: @escaping @Sendable (String) -> Void = { _ in },
                           onP2PListening: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let key: SigningKey
        do {
            key = try KeyFile.read(from: config.validatorKey).unlock(password: config.keyPassword)
        } catch {
            throw NodeError.key(config.validatorKey, error)
        }

        let registry = PrometheusCollectorRegistry()
        let metrics = NodeMetrics(factory: metricsFactory(registry))
        let events = EventBus(capacity: config.eventsHistory, subscriberBuffer: config.eventsSubscriberBuffer)
        if config.snapshots.stateSync {
            try await StateSyncBootstrap.runIfEmpty(dataDir: dataDir, config: config, key: key, banDuration: config.p2pBanSeconds,
                                                    registry: registry, metrics: metrics, logger: logger)
        }
        let store = try openCheckedStore(dataDir: dataDir, mode: config.storageStartupCheck, logger: logger)
        // Admissions and commits are announced here; each listener is handed it below.
        let feed = LedgerFeed()
        let chain: Chain
        let upgrades = knownUpgrades(logger: logger)
        do {
            chain = try Chain(store: store, validatorKey: key, expectedChainID: config.chainID,
                              mempool: Mempool(config: config.mempoolConfig, metrics: metrics),
                              config: .init(maxBlockTransactions: config.maxBlockTransactions, roundBudgetPercent: config.blockRoundBudgetPercent,
                                            proofHeights: UInt64(config.stateProofHeights)),
                              events: events, feed: feed, metrics: metrics, upgrades: upgrades, logger: logger)
        } catch Chain.OpenError.integrity(let why) {
            // The head's seal and the state digest: part of the start-up check, named the same way.
            throw StorageError.startupCheck(path: store.path, problem: why)
        }
        let head = chain.snapshot.head
        metrics.height.record(Int64(head.height))
        logger.info("chain opened", metadata: ["chain": .string(config.chainID), "height": .stringConvertible(head.height),
                                               "head": .string(head.hash.hex), "data_dir": .string(dataDir.path)])

        let interval = Duration.milliseconds(config.blockIntervalMs)
        // One wall clock for timestamps, proposal checks, health and presence; skewed only by the
        // test-only `testing.clockOffsetMs` (timers run on the monotonic clock regardless).
        let wallClock = WallClock.offset(config.testingClockOffsetMs)
        if config.testingClockOffsetMs != 0 {
            logger.warning("TEST ONLY: this node's wall clock is shifted", metadata: ["offset_ms": .stringConvertible(config.testingClockOffsetMs)])
        }
        let producerStatus = ProducerStatus()
        let states = ServiceStates()
        var p2p = PeerService.Config(listenHost: config.p2pAddress?.host, listenPort: config.p2pAddress?.port ?? 0,
                                     peers: config.p2pPeers.map { ($0.host, $0.port) },
                                     handshakeTimeout: .milliseconds(config.p2pHandshakeTimeoutMs),
                                     maxInbound: config.p2pMaxInbound, maxPerIP: config.p2pMaxPerIP,
                                     banDuration: .seconds(config.p2pBanSeconds))
        p2p.targetOutbound = config.p2pTargetOutbound
        p2p.maxPendingHandshakes = config.p2pMaxPendingHandshakes
        p2p.maxPendingPerIP = config.p2pMaxPendingPerIP
        p2p.socketSharePercent = config.p2pSocketSharePercent
        // Presence is in-process without peers; with them, accepted heartbeats are gossiped.
        let presence = Presence(chain: chain, config: .init(intervalMs: UInt64(config.presenceIntervalMs), maxEntries: config.presenceMaxEntries),
                                clock: { wallClock.nowMillis() })
        // Built before both the network (which judges consensus messages with it) and consensus.
        let consensusInbox = ConsensusInbox(chain: chain)
        let network: PeerService? = config.p2pAddress == nil && config.p2pPeers.isEmpty ? nil
            : PeerService(chain: chain, identity: key, config: p2p, feed: feed, consensus: consensusInbox, presence: presence,
                          logger: logger, onListening: onP2PListening)
        var keys = [key]
        if let next = config.validatorNextKey {
            do { keys.append(try KeyFile.read(from: next).unlock(password: config.keyPassword)) } catch {
                throw NodeError.key(next, error)
            }
        }
        var consensusConfig = ConsensusService.Config(blockInterval: interval, createEmptyBlocks: config.createEmptyBlocks,
                                                      timeouts: config.consensusTimeouts, directory: dataDir.consensusDirectory)
        consensusConfig.allowStoreBehindSignState = config.storageRecoverFromPeers
        consensusConfig.testingDoubleSign = config.testingDoubleSign
        consensusConfig.wallClock = wallClock
        let consensus = try ConsensusService(chain: chain, keys: keys, config: consensusConfig, transport: network,
                                             inbox: consensusInbox, feed: feed, producer: producerStatus, logger: logger)
        consensus.setOnEvidence { [logger] evidence in
            do {
                let tx = try chain.report(evidence, by: key)
                logger.notice("reported double-sign evidence", metadata: ["offender": .string(evidence.validator.address.description),
                                                                         "tx": .string(tx.id.hex)])
            } catch {
                logger.info("double-sign evidence not submitted", metadata: ["reason": .string("\(error)")])
            }
        }
        let validating = keys.contains { chain.isValidator($0.publicKey) }
        logger.info(validating ? "running consensus as a validator" : "following the chain (no key of this node is a validator)")
        let health = HealthRegistry()
        if let network, !config.p2pPeers.isEmpty { health.register(NetworkHealth(network: network)) }
        health.register(StorageHealth(chain: chain, producer: producerStatus))
        // A block is due every interval, plus a round's timeouts when a proposer is down.
        let t = config.consensusTimeouts
        let allowance = interval + .milliseconds(Int64(t.proposeBase + t.prevoteBase + t.precommitBase))
        health.register(ChainHealth(chain: chain, producer: producerStatus, interval: allowance, createEmptyBlocks: config.createEmptyBlocks,
                                    wallClock: wallClock, arrival: consensus.headArrival))
        health.register(ConsensusHealth(consensus: consensus) { network?.connected.map(\.height) ?? [] })
        health.register(ServicesHealth(states: states))
        health.register(UpgradeHealth(chain: chain))

        let artifacts = try openArtifacts(dataDir: dataDir, config: config, chain: chain, metrics: metrics, logger: logger)
        health.register(ArtifactHealth(store: artifacts.deps.store))
        // With a network, artifacts that committed claims reference are fetched from peers, and
        // this node serves its own to them.
        var fetcher: ArtifactFetcher?
        if let network {
            network.artifacts.serve(from: artifacts.deps.store)
            let f = ArtifactFetcher(store: artifacts.deps.store, index: store, peers: network,
                                    cursorPath: dataDir.artifactsDirectory + "/fetch.cursor", metrics: metrics.factory, logger: logger)
            feed.onCommit { _, _ in f.wake() }
            fetcher = f
        }

        // Snapshots every `snapshot.interval` heights, served to peers that state-sync.
        let snapshots = config.snapshots.interval > 0
            ? SnapshotProducer(chain: chain, directory: dataDir.snapshotsDirectory, config: config.snapshots.producer, logger: logger) : nil
        if let snapshots {
            if config.snapshots.corruptChunks {
                logger.warning("TEST ONLY: this node corrupts every snapshot piece it serves (testing.corruptSnapshotChunks)")
            }
            network?.serveSnapshots(from: snapshots.files, corrupt: config.snapshots.corruptChunks)
        }

        let mediator = try openMediator(dataDir: dataDir, config: config, chain: chain, metrics: metrics, health: health, logger: logger)

        var limits = APILimits()
        limits.maxBodyBytes = config.maxBodyBytes
        limits.requestTimeout = .milliseconds(config.requestTimeoutMs)
        limits.rateLimitPerSecond = config.rateLimitPerSecond
        limits.rateLimitBurst = config.rateLimitBurst
        limits.corsOrigins = config.corsOrigins
        limits.eventsMaxConnections = config.eventsMaxConnections
        limits.eventsMaxPerIP = config.eventsMaxPerIP
        limits.eventsMaxMessageBytes = config.eventsMaxMessageBytes
        limits.eventsMessagesPerSecond = config.eventsMessagesPerSecond
        limits.eventsBurst = config.eventsBurst
        limits.eventsOrigins = config.eventsOrigins
        var deps = APIDependencies(
            chain: chain, health: health, metrics: metrics, registry: registry,
            tokens: AdminTokens(path: dataDir.adminTokensFile), audit: AuditLog(path: dataDir.auditLogFile),
            limits: limits, version: version,
            peers: { network?.connected ?? [] },
            consensus: { consensus.status },
            logLevel: { logLevel.current.rawValue },
            setLogLevel: { text in
                guard let level = Logger.Level(rawValue: text) else { return false }
                logLevel.current = level
                return true
            })
        deps.artifacts = artifacts.deps
        deps.snapshots = { snapshots?.list ?? [] }
        deps.presence = presence
        let host = config.http.host
        let boundPort = Mutex<Int?>(nil)
        if config.mcp.enabled {
            var validatorKeys: Set<PublicKey> = [key.publicKey]
            if let next = config.validatorNextKey, let pub = (try? KeyFile.read(from: next)).flatMap({ PublicKey(hex: $0.publicKey) }) {
                validatorKeys.insert(pub)
            }
            deps.mcp = mcpEndpoint(dataDir: dataDir, config: config, excluding: validatorKeys, events: chain.events, logger: logger) { boundPort.withLock { $0 } }
        }
        let app = APIServer.application(deps, host: host, port: config.http.port, idleTimeout: .milliseconds(config.idleTimeoutMs),
                                        logger: logger) { port in
            boundPort.withLock { $0 = port }
            onListening("\(host):\(port)")
        }

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: Supervised("consensus", consensus, states: states, logger: logger)),
        ]
        if let network { services.append(.init(service: Supervised("network", network, states: states, logger: logger))) }
        services.append(.init(service: Supervised("artifacts", artifacts.janitor, states: states, logger: logger)))
        if let snapshots { services.append(.init(service: Supervised("snapshots", snapshots, states: states, logger: logger))) }
        if config.pruningKeepBlocks > 0 {
            let pruner = BlockPruner(store: store, config: .init(keepBlocks: UInt64(config.pruningKeepBlocks)), factory: metrics.factory, logger: logger)
            services.append(.init(service: Supervised("pruning", pruner, states: states, logger: logger)))
            logger.info("pruning block bodies", metadata: ["keep_blocks": .stringConvertible(config.pruningKeepBlocks)])
        }
        if let fetcher { services.append(.init(service: Supervised("artifact-fetch", fetcher, states: states, logger: logger))) }
        services.append(.init(service: Supervised("presence", presence, states: states, logger: logger)))
        if let mediator { services.append(.init(service: Supervised("mediator", mediator, states: states, logger: logger))) }
        services.append(.init(service: Tracked("api", app, states: states, what: "the API", address: "\(host):\(config.http.port)")))
        // After the API, so it hears the signal first: open MCP streams close before the HTTP
        // server waits for its in-flight responses.
        if let router = deps.mcp as? MCPSessionRouter { services.append(.init(service: MCPShutdown(router: router))) }
        // Last, so it hears the signal first (see ShutdownWatchdog).
        services.append(.init(service: ShutdownWatchdog(deadline: .seconds(config.shutdownDeadlineSeconds), states: states,
                                                        logger: logger) { stopProducing(consensus, chain, logger) }))
        var groupConfig = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .seconds(config.shutdownDeadlineSeconds)
        var failure: (any Error)?
        let group = ServiceGroup(configuration: groupConfig)
        // A block that needs an upgrade this binary lacks stops the node like a signal does (the
        // watchdog then stops consensus and commits). Asynchronously: the halt is found while
        // executing, possibly under the chain's commit lock, which the stop takes.
        chain.setUpgradeHaltHandler { _ in
            Task { await group.triggerGracefulShutdown() }
        }
        do { try await group.run() } catch { failure = error }
        // A clean stop leaves every committed block in agora.sqlite itself, none only in the WAL
        // (also when a service failed: whatever committed is kept whole in the main file).
        let frames = try store.checkpointAndClose()
        if let failure { throw failure }
        if let halt = chain.haltedUpgrade { throw NodeError.upgradeHalt(halt) }
        logger.info("node stopped", metadata: ["height": .stringConvertible(chain.snapshot.head.height),
                                               "wal_frames_checkpointed": .stringConvertible(frames)])
    }

    /// The upgrades this binary knows, less those named in the test-only environment variable
    /// `AGORA_TEST_LACK_UPGRADES` (comma-separated): how the end-to-end tests get a binary that
    /// lacks an upgrade without building a second one (docs/governance.md).
    static func knownUpgrades(logger: Logger) -> UpgradeRegistry {
        guard let raw = ProcessInfo.processInfo.environment["AGORA_TEST_LACK_UPGRADES"], !raw.isEmpty else { return .builtIn }
        let lacking = Set(raw.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) })
        logger.warning("TEST ONLY: this binary acts as if it lacked upgrades", metadata: ["lacking": .string(lacking.sorted().joined(separator: ","))])
        return UpgradeRegistry.builtIn.without(lacking)
    }

    /// Opens `agora.sqlite` and runs its start-up check (`storage.startupCheck`); a damaged file
    /// stops the node here, before anything serves or signs (exit code 2, the file named).
    static func openCheckedStore(dataDir: DataDirectory, mode: StartupCheckMode, logger: Logger) throws -> BlockStore {
        let store = try BlockStore(path: dataDir.databaseFile)
        let started = ContinuousClock.now
        let report: BlockStore.CheckReport
        do { report = try store.checkIntegrity(mode) } catch {
            try? store.close()
            throw error
        }
        logger.info("database start-up check passed", metadata: [
            "file": .string(store.path), "mode": .string(mode.rawValue), "blocks": .stringConvertible(report.blocks),
            "transactions": .stringConvertible(report.transactions), "seconds": .string("\(ContinuousClock.now - started)"),
        ])
        return store
    }
}

extension Node {
    /// At the shutdown signal, before anything else stops: consensus proposes, votes and starts
    /// nothing more, and the chain lets only a commit already running finish. The log line is
    /// what docs/operations.md promises (and the shutdown test reads).
    static func stopProducing(_ consensus: ConsensusService, _ chain: Chain, _ logger: Logger) {
        consensus.stop()
        let report = chain.stopCommitting()
        logger.notice("shutdown signal: stopped proposing, voting and committing", metadata: [
            "height_at_signal": .stringConvertible(report.headAtSignal), "finished_commit": .stringConvertible(report.commitInProgress),
            "height": .stringConvertible(report.finalHead),
        ])
    }

    /// Closes the MCP sessions and listen streams when the node stops.
    struct MCPShutdown: Service {
        let router: MCPSessionRouter
        func run() async throws {
            try? await gracefulShutdown()
            await router.closeAll()
        }
    }

    /// `/mcp`: sessions act as agents whose key files are in `mcp.keysDir` (re-read when a session
    /// names an agent not yet known, so keys added while the node runs are served), and reach the chain
    /// through this node's own API on loopback, so every MCP call passes the same validation,
    /// limits and metrics as any other client (docs/mcp.md says why).
    static func mcpEndpoint(dataDir: DataDirectory, config: NodeConfig, excluding validatorKeys: Set<PublicKey>, events: EventBus,
                            logger: Logger, port: @escaping @Sendable () -> Int?) -> MCPSessionRouter {
        let directory = config.mcp.keysDir ?? dataDir.keysDirectory
        let keys = AgentKeyDirectory(path: directory, password: config.keyPassword, validatorKeys: validatorKeys)
        let keyring = keys.scan()
        logger.info("MCP endpoint at /mcp", metadata: [
            "keys": .string(directory), "agents": .string(keyring.agents.keys.sorted().joined(separator: ",")),
            "unavailable": .string(keyring.unavailable.keys.sorted().joined(separator: ",")),
        ])
        var settings = MCPSessionRouter.Configuration()
        settings.maxSessions = config.mcp.maxSessions
        settings.maxListenStreams = config.mcp.maxSessions
        settings.idleTimeout = .seconds(config.mcp.idleTimeoutSeconds)
        settings.bearerToken = config.mcp.token
        settings.allowedOrigins = config.corsOrigins
        settings.keysDirectory = directory
        settings.agentTokens = MCPAgentTokens(dataDirectory: dataDir.path)
        // Resource subscriptions follow the bus `/api/v1/events` serves: pushed as blocks commit.
        settings.changes = EventBusChanges(bus: events)
        let host = config.http.host
        let loopback = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "[::1]" : host.contains(":") ? "[\(host)]" : host
        return MCPSessionRouter(directory: keys, configuration: settings, version: version, logger: logger) {
            port().map { NodeGateway(base: "http://\(loopback):\($0)") }
        }
    }

    /// The artifact store under `<data-dir>/artifacts`, its upload registry and metrics, and the
    /// janitor service that scans it at start and expires abandoned uploads.
    static func openArtifacts(dataDir: DataDirectory, config: NodeConfig, chain: Chain, metrics: NodeMetrics,
                              logger: Logger) throws -> (deps: ArtifactDependencies, janitor: ArtifactJanitor) {
        let artifactMetrics = ArtifactMetrics(factory: metrics.factory)
        var limits = ArtifactStore.Limits()
        limits.maxArtifactBytes = config.artifacts.maxBytes
        limits.quotaBytes = config.artifacts.quotaBytes
        let holder = StoreHolder()
        let store = try ArtifactStore(root: dataDir.artifactsDirectory, limits: limits,
                                      observer: artifactMetrics.observer(logger: logger) { holder.store?.totals })
        holder.store = store
        artifactMetrics.record(store.totals)
        var uploadConfig = ArtifactUploads.Config()
        uploadConfig.chunkBytes = config.artifacts.chunkBytes
        uploadConfig.ttl = .seconds(config.artifacts.uploadTTLSeconds)
        uploadConfig.maxUploads = config.artifacts.maxUploads
        let uploads = ArtifactUploads(store: store, config: uploadConfig) { artifactMetrics.uploadsInProgress.record($0) }
        let access = GroupArtifactAccess(chain: chain)
        return (ArtifactDependencies(store: store, uploads: uploads, access: access, chainID: config.chainID),
                ArtifactJanitor(store: store, uploads: uploads, metrics: artifactMetrics, logger: logger))
    }

    /// Lets the store's observer read the store's totals once it exists (set right after init).
    final class StoreHolder: @unchecked Sendable {
        private let lock = NSLock()
        private var _store: ArtifactStore?
        var store: ArtifactStore? {
            get { lock.withLock { _store } }
            set { lock.withLock { _store = newValue } }
        }
    }
}

/// Marks a service running/stopped for health and the shutdown watchdog, without restarting
/// it (a failed HTTP server, e.g. a port in use, should stop the node). A bind failure becomes
/// a `ListenError` naming `what` and `address`.
struct Tracked<Inner: Service>: Service {
    let name: String
    let inner: Inner
    let states: ServiceStates
    let what: String
    let address: String
    init(_ name: String, _ inner: Inner, states: ServiceStates, what: String, address: String) {
        self.name = name
        self.inner = inner
        self.states = states
        self.what = what
        self.address = address
    }

    func run() async throws {
        states.set(name, .running)
        defer { states.set(name, .stopped) }
        do { try await inner.run() } catch { throw ListenError.naming(error, what: what, address: address) }
    }
}

/// Unhealthy while a supervised service is restarting after a failure.
struct ServicesHealth: HealthCheck {
    let component = "services"
    let states: ServiceStates

    func check() async -> HealthStatus {
        let snapshot = states.snapshot
        let failing = snapshot.filter { $0.value.state == .restarting }
        if !failing.isEmpty {
            return .failing(failing.map { "\($0.key) restarting after: \($0.value.lastError ?? "?")" }.sorted().joined(separator: "; "))
        }
        let restarts = snapshot.filter { $0.value.restarts > 0 }
        let detail = snapshot.keys.sorted().joined(separator: ", ") + " running"
        return .ok(restarts.isEmpty ? detail : detail + "; restarts: " + restarts.map { "\($0.key)=\($0.value.restarts)" }.sorted().joined(separator: ", "))
    }
}

/// With bootstrap peers configured, the node is ready only while connected to at least one.
struct NetworkHealth: HealthCheck {
    let component = "network"
    let network: PeerService

    func check() async -> HealthStatus {
        let n = network.connected.count
        return n > 0 ? .ok("\(n) peers") : .failing("no peer connected")
    }
}
