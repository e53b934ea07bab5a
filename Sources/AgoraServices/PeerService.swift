import AgoraCore
import AgoraCrypto
import AgoraNetwork
import AgoraStorage
import Dispatch
import Foundation
import Logging
import NIOCore
import Metrics
import ServiceLifecycle
import Synchronization

/// The node on the P2P network: listens, dials its bootstrap peers and addresses learned by
/// peer exchange (reconnecting with backoff and jitter), tells each peer its status, scores and
/// bans peers, spreads transactions and blocks through the gossip mesh (`GossipRouter`), serves
/// block ranges, and catches up by asking several peers for ranges at once (`RangeSync`),
/// verifying every block before applying it. See docs/network.md.
public final class PeerService: Service, Sendable {
    public struct Config: Sendable {
        public var listenHost: String?
        public var listenPort: Int
        public var peers: [(host: String, port: Int)]
        public var handshakeTimeout: Duration
        public var statusInterval: Duration
        public var maxInbound: Int
        public var maxPerIP: Int
        public var banDuration: Duration
        public var rekeyInterval: Duration = .seconds(600)
        /// Outbound links the node tries to keep, dialing addresses learned by peer exchange.
        public var targetOutbound: Int = 8
        /// Gossip mesh upkeep and lazy `ihave` period (gossipsub's heartbeat is 1 s).
        public var heartbeatInterval: Duration = .seconds(1)

        public init(listenHost: String?, listenPort: Int, peers: [(host: String, port: Int)],
                    handshakeTimeout: Duration = .seconds(10), statusInterval: Duration = .seconds(2),
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

    struct Peer: Sendable {
        let link: PeerLink
        let outbound: Bool
        var height: UInt64
        var trust: TrustScore
        var limits: MessageLimits
        var listen: WireMessage.PeerAddress?
    }

    /// Our listen address first (if we listen), then the listen addresses of connected peers.
    func exchangeList() -> [WireMessage.PeerAddress] {
        var list: [WireMessage.PeerAddress] = []
        if let own = advertised.withLock({ $0 }) { list.append(own) }
        let others = peers.withLock { $0.values.compactMap(\.listen) }
        for a in others where list.count < WireMessage.maxPeers && !list.contains(a) { list.append(a) }
        return list
    }

    /// Banned peer IDs and addresses, with expiry (monotonic nanoseconds).
    private let bans = Mutex<[String: UInt64]>([:])
    /// Last known score per peer, from this run or the store.
    private let remembered = Mutex<[Hash: Double]>([:])
    /// Listen addresses learned from peers (bounded), and our own advertised one.
    private let known = Mutex<Set<WireMessage.PeerAddress>>([])
    private let advertised = Mutex<WireMessage.PeerAddress?>(nil)
    /// Addresses being dialed or connected, so exchange does not dial them twice.
    private let dialing = Mutex<Set<String>>([])
    static let maxKnown = 1_000

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func isBanned(_ key: String) -> Bool {
        bans.withLock { b in
            guard let until = b[key] else { return false }
            if until <= PeerService.now() { b[key] = nil; return false }
            return true
        }
    }

    public var bannedCount: Int { bans.withLock { b in b.values.filter { $0 > PeerService.now() }.count } }

    let chain: Chain
    let config: Config
    let metrics: NetworkMetrics
    let identity: SigningKey
    let logger: Logger
    let onListening: @Sendable (String) -> Void
    private let peers = Mutex<[Hash: Peer]>([:])
    /// Serialises block application (links are served concurrently).
    private let applying = Mutex(())
    let router = Mutex(GossipRouter())
    let outbox = TransactionOutbox(batchLimit: WireMessage.maxTransactions)
    let sync = Mutex(RangeSync())
    /// Wakes the sync loop when a status or a range arrives (coalesced).
    private let syncWake: AsyncStream<Void>
    private let syncWakeContinuation: AsyncStream<Void>.Continuation
    /// Consensus, when the node runs it: judges each inbound consensus message.
    private let consensusJudge = Mutex<ConsensusJudge?>(nil)
    let feed: LedgerFeed
    struct ConsensusJudge: Sendable { let judge: @Sendable ([UInt8], Hash) -> ConsensusVerdict }
    /// Artifact pieces served to peers and fetched from them (ArtifactFetcher drives fetching).
    public let artifacts = ArtifactExchange()
    /// Presence, when the node runs it: checks inbound heartbeats; its accepted local ones are gossiped.
    private let presence = Mutex<Presence?>(nil)
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
        (newLinks, newLinkContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (syncWake, syncWakeContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        if let consensus { consensusJudge.withLock { $0 = ConsensusJudge(judge: consensus.receive) } }
        if let presence { relayPresence(presence) }
    }

    public var connected: [PeerInfo] {
        peers.withLock { map in
            map.map { id, p in
                PeerInfo(peerID: id.hex, identity: p.link.identity.identity.address.description,
                         address: p.link.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?",
                         height: p.height, outbound: p.outbound, score: p.trust.value)
            }.sorted { $0.peerID < $1.peerID }
        }
    }

    var status: WireMessage {
        let head = chain.snapshot.head
        return .status(.init(chainID: chain.identity.chainID, genesisHash: chain.identity.genesisHash, height: head.height, headHash: head.hash))
    }

    public func run() async throws {
        let transport = Transport(
            config: .init(chainID: chain.identity.chainID, identity: identity, handshakeTimeout: config.handshakeTimeout),
            onLink: { [newLinkContinuation] link in newLinkContinuation.yield((link, false)) },
            onFailure: { [logger, metrics] error, address in
                metrics.handshakeFailed(error)
                logger.info("peer link failed", metadata: ["reason": .string("\(error)"), "remote": .string(address.map { "\($0)" } ?? "?")])
            })
        loadRemembered()
        // Blocks this node made and transactions submitted to it enter the gossip here; those
        // from peers were marked seen on arrival, so `originate` refuses them and they are
        // forwarded by `handle` instead (to the mesh minus their source).
        feed.onCommit { [weak self] block, seal in
            guard let self, block.header.proposer == chain.nodeKey.publicKey else { return }
            let message = WireMessage.block(block, seal)
            send(message, to: targets(message, id: block.hash, topic: .blocks, from: nil, originate: true))
        }
        feed.onAdmit { [weak self] tx in
            guard let self else { return }
            flush(outbox.enqueue([tx], to: targets(.transactions([tx]), id: tx.id, topic: .transactions, from: nil, originate: true)))
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            var server: (any Channel)?
            if let host = config.listenHost {
                let channel = try await transport.listen(host: host, port: config.listenPort)
                server = channel
                let port = channel.localAddress?.port ?? config.listenPort
                advertised.withLock { $0 = WireMessage.PeerAddress(host: host, port: UInt16(clamping: port)) }
                onListening("\(host):\(port)")
            }
            // Outbound: one task per bootstrap peer, reconnecting with backoff and jitter.
            for peer in config.peers {
                dialing.withLock { _ = $0.insert("\(peer.host):\(peer.port)") }
                group.addTask { [self] in await self.keepDialing(transport, host: peer.host, port: peer.port) }
            }
            // Peer exchange: keep up to `targetOutbound` links by dialing learned addresses
            // (from peers and from the store), each with its own reconnect loop.
            group.addTask { [self] in
                await withDiscardingTaskGroup { dialers in
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        let outbound = peers.withLock { $0.values.filter(\.outbound).count }
                        let own = advertised.withLock { $0 }
                        let connected = Set(peers.withLock { $0.values.compactMap(\.listen) })
                        let candidates = known.withLock { Array($0) }.filter { $0 != own && !connected.contains($0) }.shuffled()
                        var started = 0
                        for a in candidates where outbound + started < config.targetOutbound {
                            let key = "\(a.host):\(a.port)"
                            guard dialing.withLock({ $0.insert(key).inserted }) else { continue }
                            started += 1
                            dialers.addTask { [self] in
                                await self.keepDialing(transport, host: a.host, port: Int(a.port), persistent: false)
                                _ = dialing.withLock { $0.remove(key) }
                            }
                        }
                        try? await Task.sleep(for: config.statusInterval)
                    }
                }
            }
            // Inbound and outbound links are served as they come.
            group.addTask { [self] in
                await withDiscardingTaskGroup { links in
                    for await (link, outbound) in newLinks {
                        links.addTask { await self.serve(link, outbound: outbound) }
                    }
                }
            }
            group.addTask { [self] in await self.runSync() }
            group.addTask { [self] in
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: .milliseconds(10))
                    flush(outbox.drain())
                }
            }
            group.addTask { [self] in
                var rng = SystemRandomNumberGenerator()
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: config.heartbeatInterval)
                    heartbeat(using: &rng)
                }
            }
            // Periodic status so peers learn heights even if they missed a push (and links never
            // look idle), and a periodic rekey of every link's sending key.
            group.addTask { [self] in
                var lastRekey = ContinuousClock.now
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: config.statusInterval)
                    broadcast(status)
                    broadcast(.peers(exchangeList()))
                    if ContinuousClock.now - lastRekey >= config.rekeyInterval {
                        for p in peers.withLock({ Array($0.values) }) { try? p.link.rekey() }
                        lastRekey = ContinuousClock.now
                    }
                }
            }
            try? await gracefulShutdown()
            newLinkContinuation.finish()
            syncWakeContinuation.finish()
            try? await server?.close()
            for p in peers.withLock({ Array($0.values) }) { p.link.close() }
            group.cancelAll()
        }
    }

    /// Wall-clock milliseconds, for what is persisted (monotonic time does not survive restarts).
    static func wallMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Scores and bans from earlier runs: bans still in force are restored, scores seed new links.
    func loadRemembered() {
        guard let records = try? chain.store.peerRecords() else { return }
        let wall = PeerService.wallMillis(), mono = PeerService.now()
        bans.withLock { b in
            for r in records where r.bannedUntil > wall {
                b[r.peerID.hex] = mono + UInt64(r.bannedUntil - wall) * 1_000_000
            }
        }
        remembered.withLock { m in for r in records { m[r.peerID] = r.score } }
        known.withLock { k in
            for r in records where r.bannedUntil <= wall {
                let parts = r.address.split(separator: ":")
                if parts.count == 2, let port = UInt16(parts[1]), port != 0, k.count < PeerService.maxKnown {
                    k.insert(.init(host: String(parts[0]), port: port))
                }
            }
        }
    }

    /// Persists a peer's score, ban and address (on disconnect and on ban).
    func remember(_ link: PeerLink, score: Double, bannedFor: Duration?) {
        let listen = peers.withLock { $0[link.peerID]?.listen }
        let address = listen.map { "\($0.host):\($0.port)" } ?? link.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        let until = bannedFor.map { PeerService.wallMillis() + $0.components.seconds * 1000 } ?? 0
        let record = BlockStore.PeerRecord(peerID: link.peerID, identity: link.identity.identity, address: address, score: score,
                                           bannedUntil: until, lastSeen: PeerService.wallMillis())
        do { try chain.store.savePeer(record) } catch {
            logger.warning("cannot persist peer", metadata: ["error": .string("\(error)")])
        }
        remembered.withLock { $0[link.peerID] = score }
    }

    /// Dials and redials a bootstrap peer (`persistent`), or dials a learned address until its
    /// first link ends (the exchange loop decides whether to try it again).
    func keepDialing(_ transport: Transport, host: String, port: Int, persistent: Bool = true) async {
        var backoff = Duration.milliseconds(200)
        var attempts = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            attempts += 1
            if !persistent && attempts > 3 { return }
            do {
                let link = try await transport.dial(host: host, port: port)
                backoff = .milliseconds(200)
                newLinkContinuation.yield((link, true))
                // Wait until this link drops before dialing again.
                while !Task.isCancelled, peers.withLock({ $0[link.peerID]?.link === link }) || link.isActive {
                    try? await Task.sleep(for: .milliseconds(200))
                }
                if !persistent { return }
            } catch {
                logger.debug("dial failed", metadata: ["peer": .string("\(host):\(port)"), "error": .string("\(error)")])
            }
            let jitter = Double.random(in: 0.8...1.2)
            try? await Task.sleep(for: backoff * jitter)
            backoff = min(backoff * 2, .seconds(10))
        }
    }

    func serve(_ link: PeerLink, outbound: Bool) async {
        let id = link.peerID
        let ip = link.remoteAddress?.ipAddress ?? "?"
        if isBanned(id.hex) || isBanned(ip) {
            metrics.refused("banned")
            link.close()
            return
        }
        let now = PeerService.now()
        let accepted = peers.withLock { map -> String? in
            if map[id] != nil || id == Hash.sha256(identity.publicKey.bytes) { return "duplicate" }
            if !outbound {
                let inbound = map.values.filter { !$0.outbound }
                if inbound.count >= config.maxInbound { return "inbound_cap" }
                if inbound.filter({ $0.link.remoteAddress?.ipAddress == ip }).count >= config.maxPerIP { return "per_ip_cap" }
            }
            let start = remembered.withLock { $0[id] } ?? 0
            map[id] = Peer(link: link, outbound: outbound, height: 0, trust: TrustScore(now: now, value: start), limits: MessageLimits(now: now))
            return nil
        }
        if let reason = accepted {
            metrics.refused(reason)
            link.close()
            return
        }
        router.withLock { $0.addPeer(id) }
        metrics.peersChanged(peers.withLock { m in (m.values.filter { !$0.outbound }.count, m.values.filter(\.outbound).count) })
        logger.info("peer connected", metadata: ["peer": .string(link.identity.identity.address.description), "outbound": .stringConvertible(outbound)])
        defer {
            let last = peers.withLock { p -> Peer? in
                guard p[id]?.link === link else { return nil }
                return p.removeValue(forKey: id)
            }
            if let last, !isBanned(id.hex) { remember(link, score: last.trust.value, bannedFor: nil) }
            if last != nil {
                router.withLock { $0.removePeer(id) }
                outbox.forget(id)
                artifacts.disconnected(id)
                sync.withLock { $0.release(id) }
                syncWakeContinuation.yield()
            }
            metrics.peersChanged(peers.withLock { m in (m.values.filter { !$0.outbound }.count, m.values.filter(\.outbound).count) })
            logger.info("peer disconnected", metadata: ["peer": .string(link.identity.identity.address.description)])
        }
        try? link.send(status)
        try? link.send(.peers(exchangeList()))
        do {
            for try await message in link.messages {
                metrics.message(message.kind, direction: "in")
                let allowed = peers.withLock { $0[id]?.limits.allow(message, now: PeerService.now()) ?? false }
                guard allowed else {
                    if penalize(link, .overLimit) { break }
                    continue
                }
                do {
                    if let reward = try handle(message, from: link) { _ = penalize(link, reward) }
                } catch let fault as PeerFault {
                    logger.info("peer misbehaved", metadata: ["peer": .string(link.identity.identity.address.description), "fault": .string("\(fault)")])
                    if penalize(link, fault.event) { break }
                }
            }
        } catch {
            // The link itself failed: a frame that does not decrypt or decode.
            logger.info("dropping peer", metadata: ["peer": .string(link.identity.identity.address.description), "reason": .string("\(error)")])
            _ = penalize(link, .invalidMessage)
            link.close()
        }
    }

    enum PeerFault: Error, CustomStringConvertible {
        case otherGenesis, invalidBlock(String), unrequested, malformedRange, forgedTransaction, invalidConsensus(String), forgedHeartbeat
        var description: String {
            switch self {
            case .forgedHeartbeat: return "peer relayed a presence heartbeat with a bad signature"
            case let .invalidConsensus(why): return "peer sent an invalid consensus message: \(why)"
            case .otherGenesis: return "peer has another genesis"
            case let .invalidBlock(why): return "peer sent an invalid block: \(why)"
            case .unrequested: return "peer sent blocks nobody asked for"
            case .malformedRange: return "peer answered a range request with other heights"
            case .forgedTransaction: return "peer relayed a transaction with a bad signature"
            }
        }
        var event: TrustEvent {
            switch self {
            case .otherGenesis, .malformedRange, .forgedTransaction, .invalidConsensus, .forgedHeartbeat: return .invalidMessage
            case .invalidBlock: return .invalidBlock
            case .unrequested: return .unrequested
            }
        }
    }

    /// Applies a trust event; below the threshold the peer is disconnected and banned (by ID and
    /// address). Returns true if the peer was banned.
    func penalize(_ link: PeerLink, _ event: TrustEvent) -> Bool {
        let id = link.peerID
        guard let score = peers.withLock({ $0[id]?.trust.record(event, now: PeerService.now()) }) else { return false }
        guard score <= TrustScore.banThreshold else { return false }
        let until = PeerService.now() + UInt64(config.banDuration.components.seconds) * 1_000_000_000
        bans.withLock { b in
            b[id.hex] = until
            if let ip = link.remoteAddress?.ipAddress, ip != "127.0.0.1", ip != "::1" { b[ip] = until }
        }
        metrics.banned()
        remember(link, score: score, bannedFor: config.banDuration)
        logger.notice("peer banned", metadata: ["peer": .string(link.identity.identity.address.description), "score": .stringConvertible(score)])
        link.close()
        return true
    }

    /// Handles one message; returns the trust reward it earned, if any.
    func handle(_ message: WireMessage, from link: PeerLink) throws -> TrustEvent? {
        let peer = link.peerID
        switch message {
        case let .status(s):
            guard s.genesisHash == chain.identity.genesisHash else { throw PeerFault.otherGenesis }
            peers.withLock { $0[peer]?.height = s.height }
            if s.height > chain.snapshot.head.height { syncWakeContinuation.yield() }
            return .validStatus
        case let .getBlocks(from, count):
            var out: [WireMessage.SealedBlock] = []
            var bytes = 0
            var h = max(1, from)
            while out.count < Int(count), let stored = try chain.store.block(height: h) {
                let size = stored.block.canonicalBytes.count
                if bytes + size > SecureSession.maxFrameBytes - 64 * 1024, !out.isEmpty { break }
                out.append(.init(block: stored.block, seal: stored.seal))
                bytes += size
                h += 1
            }
            // An empty answer tells the asker at once that we lack the range.
            try link.send(.blocks(out))
            return nil
        case let .blocks(list):
            switch sync.withLock({ $0.receive(list, from: peer) }) {
            case .unrequested: throw PeerFault.unrequested
            case .malformed: throw PeerFault.malformedRange
            case let .accepted(useful):
                syncWakeContinuation.yield()
                return useful > 0 ? nil : (list.isEmpty ? nil : .duplicate)
            }
        case let .block(block, seal):
            let id = block.hash
            let height = block.header.height
            peers.withLock { p in if let h = p[peer]?.height, h < height { p[peer]?.height = height } }
            switch router.withLock({ $0.receive(id, from: peer) }) {
            case .duplicate:
                metrics.gossip(.blocks, duplicate: true)
                return nil
            case .knownInvalid:
                metrics.gossip(.blocks, duplicate: true)
                throw PeerFault.invalidBlock("block \(height) was already found invalid")
            case .new:
                metrics.gossip(.blocks, duplicate: false)
            }
            let head = chain.snapshot.head.height
            if height == head + 1 {
                let applied: Bool
                do { applied = try apply(block, seal) } catch {
                    router.withLock { $0.reject(id) }
                    throw error
                }
                guard applied else { return nil }
                send(message, to: targets(message, id: id, topic: .blocks, from: peer, originate: false))
                return .usefulBlock
            }
            // Already committed here (consensus often decides before the block's gossip
            // arrives): it is verified, so it goes on through the mesh for peers that rely on it.
            if height <= head, (try? chain.store.blockHash(height: height)) == id {
                send(message, to: targets(message, id: id, topic: .blocks, from: peer, originate: false))
                return nil
            }
            // Too far ahead to verify now: range sync fetches the gap and this block with it.
            if height > head + 1 { syncWakeContinuation.yield() }
            return nil
        case let .transactions(txs):
            var admitted: [Transaction] = []
            for tx in txs {
                switch router.withLock({ $0.receive(tx.id, from: peer) }) {
                case .duplicate:
                    metrics.gossip(.transactions, duplicate: true)
                    // It has this one: drop it from what still waits to go to it.
                    outbox.cancel(tx.id, for: peer)
                    continue
                case .knownInvalid:
                    metrics.gossip(.transactions, duplicate: true)
                    throw PeerFault.forgedTransaction
                case .new:
                    metrics.gossip(.transactions, duplicate: false)
                }
                do {
                    try chain.submit(tx)
                    admitted.append(tx)
                } catch {
                    // Only a forged signature marks the ID invalid: other refusals (nonce,
                    // balance, full mempool) depend on this node's state, not on the sender.
                    if case .rejected(.invalidSignature) = error {
                        router.withLock { $0.reject(tx.id) }
                        throw PeerFault.forgedTransaction
                    }
                }
            }
            guard !admitted.isEmpty else { return nil }
            // Every admitted transaction goes to the same mesh minus the sender: one batch.
            let targets = router.withLock { r in
                Set(admitted.flatMap { r.route($0.id, .transactions([$0]), topic: .transactions, from: peer) })
            }
            flush(outbox.enqueue(admitted, to: targets))
            return .usefulTransaction
        case let .ihave(ids):
            let wanted = router.withLock { $0.wanted(ids) }
            if !wanted.isEmpty { try link.send(.iwant(wanted)) }
            return nil
        case let .iwant(ids):
            let answers = router.withLock { $0.answer(ids, to: peer) }
            var txs: [Transaction] = []
            for m in answers {
                if case let .transactions(list) = m { txs += list } else { try link.send(m) }
                if txs.count >= WireMessage.maxTransactions { try link.send(.transactions(txs)); txs = [] }
            }
            if !txs.isEmpty { try link.send(.transactions(txs)) }
            return nil
        case let .graft(topic):
            let score = peers.withLock { $0[peer]?.trust.value ?? 0 }
            if !router.withLock({ $0.graft(peer, topic: topic, score: score) }) { try link.send(.prune(topic)) }
            return nil
        case let .prune(topic):
            router.withLock { $0.prune(peer, topic: topic) }
            return nil
        case let .ping(n):
            try link.send(.pong(n))
            return nil
        case let .peers(list):
            // The first entry, if any, is the sender's own listen address.
            if let own = list.first {
                peers.withLock { $0[peer]?.listen = own }
            }
            known.withLock { k in
                for a in list where k.count < PeerService.maxKnown { k.insert(a) }
            }
            return nil
        case let .consensus(bytes):
            guard let judge = consensusJudge.withLock({ $0 }) else { return nil }
            switch judge.judge(bytes, peer) {
            case .accepted:
                broadcastConsensus(bytes, except: peer)
                return nil
            case .duplicate, .ignored:
                return nil
            case let .invalid(reason):
                throw PeerFault.invalidConsensus(reason)
            }
        case let .getArtifact(sha, offset, length):
            try link.send(artifacts.answer(sha256: sha, offset: offset, length: length))
            return nil
        case .artifactPiece, .artifactMissing:
            guard artifacts.receive(message, from: peer) else { throw PeerFault.unrequested }
            return nil
        case let .presence(signed):
            guard let presence = presence.withLock({ $0 }) else { return nil }
            let id = signed.id
            switch router.withLock({ $0.receive(id, from: peer) }) {
            case .duplicate:
                metrics.gossip(.presence, duplicate: true)
                return nil
            case .knownInvalid:
                metrics.gossip(.presence, duplicate: true)
                throw PeerFault.forgedHeartbeat
            case .new:
                metrics.gossip(.presence, duplicate: false)
            }
            switch presence.receive(signed, local: false) {
            case .success(.accepted):
                send(message, to: targets(message, id: id, topic: .presence, from: peer, originate: false))
                // No trust reward: heartbeats cost nothing to make, so they must not buy standing.
                return nil
            case .success(.duplicate):
                return nil
            case .failure(.badSignature):
                router.withLock { $0.reject(id) }
                throw PeerFault.forgedHeartbeat
            case .failure:
                // Membership, time and rate depend on this node's state and clock, not on the
                // relaying peer's honesty: drop it without blame and without relaying.
                return nil
            }
        case .pong, .rekey:
            return nil
        }
    }

    /// Gossips the heartbeats `presence` accepts from this node's API and checks those peers send.
    private func relayPresence(_ service: Presence) {
        presence.withLock { $0 = service }
        service.setGossip { [weak self] signed in
            guard let self else { return }
            let message = WireMessage.presence(signed)
            send(message, to: targets(message, id: signed.id, topic: .presence, from: nil, originate: true))
        }
    }

    /// Where a validated message goes on through the mesh. `originate` marks a local message
    /// seen first (and routes nowhere if it was already seen, i.e. it came from a peer).
    func targets(_ message: WireMessage, id: Hash, topic: GossipRouter.Topic, from source: Hash?, originate: Bool) -> Set<Hash> {
        router.withLock { r -> Set<Hash> in
            if originate && !r.originate(id) { return [] }
            return Set(r.route(id, message, topic: topic, from: source))
        }
    }

    func flush(_ batches: [(Hash, [Transaction])]) {
        for (peer, txs) in batches { send(.transactions(txs), to: [peer]) }
    }

    func send(_ message: WireMessage, to targets: Set<Hash>) {
        guard !targets.isEmpty else { return }
        let links = peers.withLock { map in targets.compactMap { map[$0]?.link } }
        for link in links {
            try? link.send(message)
            metrics.message(message.kind, direction: "out")
        }
    }

    /// One gossip heartbeat: mesh upkeep and lazy `ihave`s, then the mesh-size gauges.
    func heartbeat<R: RandomNumberGenerator>(using rng: inout R) {
        let scores = peers.withLock { $0.mapValues { $0.trust.value } }
        let (controls, sizes) = router.withLock { r in
            (r.heartbeat(score: { scores[$0] ?? 0 }, using: &rng), GossipRouter.Topic.allCases.map { ($0, r.mesh[$0]?.count ?? 0) })
        }
        for (peer, control) in controls { send(control.message, to: [peer]) }
        for (topic, size) in sizes { metrics.mesh(topic, size: size) }
        metrics.trust(Array(scores.values))
    }

    /// The catch-up loop: on every wake-up (a status or range arrived, a peer left) and at least
    /// every 250 ms, take windows back from slow peers, hand free windows to peers that are
    /// ahead (best trust first), and apply buffered blocks in height order.
    func runSync() async {
        let ticker = Task { [syncWakeContinuation] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                syncWakeContinuation.yield()
            }
        }
        defer { ticker.cancel() }
        for await _ in syncWake {
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            syncStep()
        }
    }

    func syncStep() {
        let now = PeerService.now()
        for slow in sync.withLock({ $0.expire(now: now) }) {
            metrics.syncTimeout()
            if let link = peers.withLock({ $0[slow]?.link }) { _ = penalize(link, .slowResponse) }
        }
        // Ask first so peers work while this node applies; ask again for what applying freed.
        requestWindows(now: now)
        while let (sealed, source) = sync.withLock({ $0.next(head: chain.snapshot.head.height) }) {
            let link = peers.withLock { $0[source]?.link }
            do {
                if try apply(sealed.block, sealed.seal), let link { _ = penalize(link, .usefulBlock) }
            } catch {
                logger.info("peer misbehaved", metadata: ["peer": .string(source.hex), "fault": .string("\(error)")])
                sync.withLock { $0.release(source) }
                if let link { _ = penalize(link, .invalidBlock) }
                break
            }
        }
        requestWindows(now: now)
    }

    /// Hands free windows above the head to peers that are ahead, best trust first.
    func requestWindows(now: UInt64) {
        let head = chain.snapshot.head.height
        let candidates = peers.withLock { map in
            map.filter { $0.value.height > head }.sorted { ($0.value.trust.value, $0.key) > ($1.value.trust.value, $1.key) }
                .map { (id: $0.key, height: $0.value.height) }
        }
        let requests = sync.withLock { $0.plan(head: head, peers: candidates, now: now) }
        for r in requests {
            let link = peers.withLock { $0[r.peer]?.link }
            try? link?.send(.getBlocks(from: r.from, count: r.count))
        }
        metrics.syncWindows(sync.withLock { $0.inFlight })
    }

    /// Applies a block if it is the next one; true if it moved the head.
    func apply(_ block: Block, _ seal: Commit) throws -> Bool {
        try applying.withLock { _ in
            guard block.header.height == chain.snapshot.head.height + 1 else { return false }
            do {
                try chain.applyBlock(block, seal: seal)
                return true
            } catch let e as Chain.BlockError {
                if case .notNext = e { return false }
                throw PeerFault.invalidBlock("\(e)")
            }
        }
    }

    /// Sends `message` to every connected peer but `except`.
    func broadcast(_ message: WireMessage, except: Hash? = nil) {
        let links = peers.withLock { map in map.filter { $0.key != except }.map(\.value.link) }
        for link in links {
            try? link.send(message)
            metrics.message(message.kind, direction: "out")
        }
    }
}


/// Network metrics: peers by direction, messages by type and direction, handshake failures by
/// reason, refused links by reason, bans.
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

extension PeerService: ArtifactPeers {
    public func artifactPeers() -> [Hash] {
        peers.withLock { map in map.sorted { $0.value.trust.value > $1.value.trust.value }.map(\.key) }
    }

    public func requestPiece(_ sha256: Hash, offset: UInt64, length: Int, from peer: Hash, timeout: Duration) async throws -> ArtifactPieceAnswer {
        let n = UInt32(min(length, WireMessage.maxArtifactPiece))
        return try await artifacts.request(sha256, offset: offset, length: Int(n), from: peer, timeout: timeout) { [self] in
            guard let link = peers.withLock({ $0[peer]?.link }) else { throw ArtifactFetchError.peerGone(peer) }
            try link.send(.getArtifact(sha256: sha256, offset: offset, length: n))
            metrics.message("get_artifact", direction: "out")
        }
    }
}

extension PeerService: ConsensusTransport {
    public func broadcastConsensus(_ bytes: [UInt8], except: Hash?) { broadcast(.consensus(bytes), except: except) }

    public func sendConsensus(_ bytes: [UInt8], to peer: Hash) {
        send(.consensus(bytes), to: [peer])
    }

    public func consensusFault(_ peer: Hash, _ reason: String) {
        guard let link = peers.withLock({ $0[peer]?.link }) else { return }
        logger.info("peer misbehaved", metadata: ["peer": .string(link.identity.identity.address.description), "fault": .string(reason)])
        _ = penalize(link, .invalidMessage)
    }
}
