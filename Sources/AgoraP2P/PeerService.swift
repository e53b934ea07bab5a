// AgoraP2P: the node's side of the P2P network. `PeerService` drives the encrypted transport and
// composes the shells in Peers/ that dial, keep peer standing, sync block ranges and relay each
// gossip topic (transactions, blocks, consensus, presence, artifact pieces) into the ledger.

import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraNetwork
import AgoraStorage
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The node on the P2P network: listens, serves every link and composes the shells that do the
/// work. Decisions about peers (admission, caps, trust, bans, backoff) are the pure `PeerSet`
/// and `DialBackoff` in AgoraNetwork; the I/O around them lives one concern per file in
/// `Peers/`: dialing and peer exchange (`PeerDialer`), one link's life (`PeerConnection`), trust
/// and its persistence (`PeerStanding`), catching up (`BlockSync`), and a relay per gossip topic
/// (`BlockRelay`, `TransactionRelay`, `ConsensusRelay`, `PresenceRelay`, `ArtifactRelay`, with
/// mesh upkeep in `GossipControl`). Inbound messages wait in per-class queues, consensus
/// served first (`InboundDispatch`); `handle` is the table from wire message to shell.
/// See docs/network.md.
public final class PeerService: Service, Sendable {
    public struct Config: Sendable {
        public var listenHost: String?
        public var listenPort: Int
        public var peers: [(host: String, port: Int)]
        public var handshakeTimeout: Duration
        public var statusInterval: Duration
        public var maxInbound: Int
        public var maxPerIP: Int
        /// Before the handshake (`AcceptGate`): pending inbound handshakes in total and per IP,
        /// and the share (percent) of the descriptor limit all P2P sockets may hold.
        public var maxPendingHandshakes = 64
        public var maxPendingPerIP = 8
        public var socketSharePercent = 25
        public var banDuration: Duration
        public var rekeyInterval: Duration = .seconds(600)
        /// Outbound links the node tries to keep, dialing addresses learned by peer exchange.
        public var targetOutbound: Int = 8
        /// Gossip mesh upkeep and lazy `ihave` period (gossipsub's heartbeat is 1 s).
        public var heartbeatInterval: Duration = .seconds(1)

        public init(listenHost: String?, listenPort: Int, peers: [(host: String, port: Int)],
                    handshakeTimeout: Duration = .seconds(5), statusInterval: Duration = .seconds(2),
                    maxInbound: Int = 32, maxPerIP: Int = 4, banDuration: Duration = .seconds(600)) {
            self.maxInbound = maxInbound
            self.maxPerIP = maxPerIP
            self.banDuration = banDuration
            self.listenHost = listenHost
            self.listenPort = listenPort
            self.peers = peers
            self.handshakeTimeout = handshakeTimeout
            self.statusInterval = statusInterval
        }
    }

    public struct PeerInfo: Sendable, Codable {
        public var peerID: String
        public var identity: String
        public var address: String
        public var height: UInt64
        public var outbound: Bool
        public var score: Double
    }

    let chain: Chain
    let config: Config
    let metrics: NetworkMetrics
    let identity: SigningKey
    let logger: Logger
    let onListening: @Sendable (String) -> Void
    let registry: PeerRegistry
    let standing: PeerStanding
    let blockSync: BlockSync
    let blocks: BlockRelay
    let transactions: TransactionRelay
    let control: GossipControl
    let consensus: ConsensusRelay
    let presence: PresenceRelay
    let artifactRelay: ArtifactRelay
    /// Snapshots and light blocks for nodes that state-sync from this one.
    let snapshotRelay: SnapshotRelay
    let dialer: PeerDialer
    /// Caps on sockets before their handshake; refusals counted in `agora_p2p_accept_refused_total`.
    let gate: AcceptGate
    /// Inbound work by class, consensus first (docs/performance.md, "Consensus first under load").
    let inbound: InboundDispatch
    /// Where the chain announces admitted transactions and committed blocks.
    let feed: LedgerFeed
    /// Artifact pieces served to peers and fetched from them (ArtifactFetcher drives fetching).
    public var artifacts: ArtifactExchange { artifactRelay.exchange }
    private let newLinks: AsyncStream<(PeerLink, Bool)>
    private let newLinkContinuation: AsyncStream<(PeerLink, Bool)>.Continuation

    /// `feed` (the chain's by default) brings the transactions and own blocks to gossip;
    /// `consensus` judges inbound consensus messages and `presence` inbound heartbeats (a node
    /// without them drops those).
    public init(chain: Chain, identity: SigningKey, config: Config, feed: LedgerFeed? = nil, consensus: ConsensusInbox? = nil,
                presence: Presence? = nil, logger: Logger, onListening: @escaping @Sendable (String) -> Void = { _ in }) {
        self.chain = chain
        self.feed = feed ?? chain.feed
        self.identity = identity
        self.config = config
        self.logger = logger
        self.onListening = onListening
        metrics = NetworkMetrics(chain.metrics.factory)
        let params = PeerSet.Params(maxInbound: config.maxInbound, maxPerIP: config.maxPerIP, banDuration: config.banDuration)
        registry = PeerRegistry(set: PeerSet(selfID: Hash.sha256(identity.publicKey.bytes), params: params), metrics: metrics)
        standing = PeerStanding(registry: registry, book: chain.peerBook, metrics: metrics, logger: logger)
        blockSync = BlockSync(chain: chain, registry: registry, standing: standing, logger: logger)
        blocks = BlockRelay(chain: chain, registry: registry, sync: blockSync)
        transactions = TransactionRelay(chain: chain, registry: registry, pauses: RelayPauses())
        control = GossipControl(registry: registry, interval: config.heartbeatInterval)
        self.consensus = ConsensusRelay(registry: registry, standing: standing, logger: logger)
        self.presence = PresenceRelay(registry: registry)
        artifactRelay = ArtifactRelay(registry: registry)
        snapshotRelay = SnapshotRelay(chain: chain)
        inbound = InboundDispatch(factory: chain.metrics.factory)
        gate = AcceptGate(limits: .init(maxPending: config.maxPendingHandshakes, maxPendingPerIP: config.maxPendingPerIP,
                                        maxSockets: AcceptGate.Limits.socketBudget(sharePercent: config.socketSharePercent)),
                          onRefused: { [metrics] reason in metrics.acceptRefused(reason) })
        let (newLinks, newLinkContinuation) = AsyncStream<(PeerLink, Bool)>.makeStream(bufferingPolicy: .unbounded)
        (self.newLinks, self.newLinkContinuation) = (newLinks, newLinkContinuation)
        dialer = PeerDialer(registry: registry, bootstrap: config.peers, targetOutbound: config.targetOutbound,
                            interval: config.statusInterval, logger: logger,
                            onLink: { link in newLinkContinuation.yield((link, true)) })
        if let consensus { self.consensus.setJudge(consensus.receive) }
        if let presence { self.presence.attach(presence) }
        // Blocks this node made and transactions submitted to it enter the gossip here. Wired
        // once, at construction: `run` is restarted by the supervisor and must not add listeners.
        self.feed.onCommit { [weak self] block, seal in self?.blocks.committed(block, seal) }
        self.feed.onAdmit { [weak self] tx in self?.transactions.admitted(tx) }
    }

    public var connected: [PeerInfo] {
        registry.withState { s in
            s.links.compactMap { id, link -> PeerInfo? in
                guard let p = s.set.members[id] else { return nil }
                return PeerInfo(peerID: id.hex, identity: link.identity.identity.address.description,
                                address: link.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?",
                                height: p.height, outbound: p.outbound, score: p.trust.value)
            }.sorted { $0.peerID < $1.peerID }
        }
    }

    func isBanned(_ key: String) -> Bool { registry.withSet { $0.isBanned(key, now: PeerRegistry.now()) } }

    public var bannedCount: Int { registry.withSet { $0.bannedCount(now: PeerRegistry.now()) } }

    /// Scores and bans from earlier runs: bans still in force are restored, scores seed new links.
    func loadRemembered() { standing.restore() }

    public func run() async throws {
        let transport = Transport(
            config: .init(chainID: chain.identity.chainID, identity: identity, handshakeTimeout: config.handshakeTimeout), gate: gate,
            onLink: { [newLinkContinuation] link in newLinkContinuation.yield((link, false)) },
            onFailure: { [logger, metrics] error, address in
                metrics.handshakeFailed(error)
                logger.info("peer link failed", metadata: ["reason": .string("\(error)"), "remote": .string(address.map { "\($0)" } ?? "?")])
            })
        loadRemembered()

        try await withThrowingTaskGroup(of: Void.self) { group in
            let server = try await listen(transport)
            group.addTask { [dialer] in await dialer.run(transport) }
            // Inbound and outbound links are served as they come.
            group.addTask { [self] in
                await withDiscardingTaskGroup { links in
                    for await (link, outbound) in newLinks {
                        links.addTask { await self.serve(link, outbound: outbound) }
                    }
                }
            }
            for id in 0..<inbound.workers {
                group.addTask { [self] in await inbound.work(id: id) { process($0) } }
            }
            group.addTask { [blockSync] in await blockSync.run() }
            group.addTask { [transactions] in await transactions.run() }
            group.addTask { [control] in await control.run() }
            group.addTask { [self] in await upkeep() }
            try? await gracefulShutdown()
            newLinkContinuation.finish()
            blockSync.finish()
            try? await server?.close()
            for link in registry.links { link.close() }
            group.cancelAll()
        }
    }

    /// Binds the listener, if the node listens, and advertises its address to peers.
    private func listen(_ transport: Transport) async throws -> (any Channel)? {
        guard let host = config.listenHost else { return nil }
        let channel: any Channel
        do { channel = try await transport.listen(host: host, port: config.listenPort) } catch {
            throw ListenError.naming(error, what: "P2P", address: "\(host):\(config.listenPort)")
        }
        let port = channel.localAddress?.port ?? config.listenPort
        registry.withSet { $0.advertised = WireMessage.PeerAddress(host: host, port: UInt16(clamping: port)) }
        onListening("\(host):\(port)")
        return channel
    }

    /// Periodic status so peers learn heights even if they missed a push (and links never look
    /// idle), our peer list, and a periodic rekey of every link's sending key.
    private func upkeep() async {
        var lastRekey = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: config.statusInterval)
            registry.broadcast(blockSync.status)
            registry.broadcast(.peers(registry.withSet { $0.exchangeList }))
            metrics.gate(gate.snapshot)
            if ContinuousClock.now - lastRekey >= config.rekeyInterval {
                for link in registry.links { try? link.rekey() }
                lastRekey = ContinuousClock.now
            }
        }
    }

    /// Hands one message to the shell that owns its kind; returns the trust reward it earned,
    /// if any. A switch rather than a dictionary so the compiler checks every kind has a handler.
    func handle(_ message: WireMessage, from link: PeerLink) throws -> TrustEvent? {
        let peer = link.peerID
        switch message {
        case let .status(s): return try blockSync.status(s, from: peer)
        case let .getBlocks(from, count): return try blockSync.serveRange(from: from, count: count, to: link)
        case let .blocks(list): return try blockSync.receive(list, from: peer)
        case let .blocksPruned(earliest): return try blockSync.pruned(earliest: earliest, from: peer)
        case let .block(block, seal): return try blocks.receive(block, seal, from: peer)
        case let .transactions(txs): return try transactions.receive(txs, from: peer)
        case let .ihave(ids): return try control.ihave(ids, from: link)
        case let .iwant(ids): return try control.iwant(ids, from: link)
        case let .graft(topic): return try control.graft(topic, from: link)
        case let .prune(topic): return control.prune(topic, from: peer)
        case let .peers(list): return dialer.learn(list, from: peer)
        case let .consensus(bytes): return try consensus.receive(bytes, from: peer)
        case let .presence(signed): return try presence.receive(signed, from: peer)
        case let .getArtifact(sha, offset, length): return try artifactRelay.request(sha, offset: offset, length: length, from: link)
        case .artifactPiece, .artifactMissing: return try artifactRelay.answer(message, from: peer)
        case let .ping(n):
            try link.send(.pong(n))
            return nil
        case let .mempoolBusy(ms):
            transactions.peerBusy(peer, retryAfterMs: ms)
            return nil
        case .pong, .rekey: return nil
        case .getSnapshots, .snapshots, .getSnapshotChunk, .snapshotPiece, .snapshotMissing, .getLightBlock, .lightBlock, .lightBlockMissing:
            return try snapshotRelay.handle(message, from: link)
        }
    }

    /// Serves the snapshots in `files` to peers that state-sync (`corrupt`: test only, see
    /// `testing.corruptSnapshotChunks`).
    public func serveSnapshots(from files: SnapshotFiles, corrupt: Bool = false) { snapshotRelay.serve(from: files, corrupt: corrupt) }
}

extension PeerService: ArtifactPeers {
    public func artifactPeers() -> [Hash] { registry.withSet { $0.byTrust } }

    public func requestPiece(_ sha256: Hash, offset: UInt64, length: Int, from peer: Hash, timeout: Duration) async throws -> ArtifactPieceAnswer {
        try await artifactRelay.requestPiece(sha256, offset: offset, length: length, from: peer, timeout: timeout)
    }
}

extension PeerService: ConsensusTransport {
    public func broadcastConsensus(_ bytes: [UInt8], except: Hash?) { consensus.broadcast(bytes, except: except) }

    public func sendConsensus(_ bytes: [UInt8], to peer: Hash) { consensus.send(bytes, to: peer) }

    public func consensusFault(_ peer: Hash, _ reason: String) { consensus.fault(peer, reason) }
}
