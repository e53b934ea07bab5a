import AgoraCore
import AgoraCrypto
import AgoraNetwork
import AgoraStorage
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The node on the P2P network: listens, dials its bootstrap peers (reconnecting with backoff
/// and jitter), tells each peer its status, serves block ranges, catches up by requesting ranges
/// from peers that are ahead (verifying every block before applying it), and floods new blocks
/// and admitted transactions to its peers.
///
/// This is the first cut of issue 4: links are flooded, not a gossipsub mesh, and there is no
/// peer exchange, trust scoring or ban list yet (see the issue note).
public final class PeerService: Service, Sendable {
    public struct Config: Sendable {
        public var listenHost: String?
        public var listenPort: Int
        public var peers: [(host: String, port: Int)]
        public var handshakeTimeout: Duration
        public var statusInterval: Duration

        public init(listenHost: String?, listenPort: Int, peers: [(host: String, port: Int)],
                    handshakeTimeout: Duration = .seconds(10), statusInterval: Duration = .seconds(2)) {
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
    }

    struct Peer: Sendable {
        let link: PeerLink
        let outbound: Bool
        var height: UInt64
    }

    let chain: Chain
    let config: Config
    let identity: SigningKey
    let logger: Logger
    let onListening: @Sendable (String) -> Void
    private let peers = Mutex<[Hash: Peer]>([:])
    /// Serialises block application (links are served concurrently).
    private let applying = Mutex(())
    private let newLinks: AsyncStream<(PeerLink, Bool)>
    private let newLinkContinuation: AsyncStream<(PeerLink, Bool)>.Continuation

    public init(chain: Chain, identity: SigningKey, config: Config, logger: Logger,
                onListening: @escaping @Sendable (String) -> Void = { _ in }) {
        self.chain = chain
        self.identity = identity
        self.config = config
        self.logger = logger
        self.onListening = onListening
        (newLinks, newLinkContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    public var connected: [PeerInfo] {
        peers.withLock { map in
            map.map { id, p in
                PeerInfo(peerID: id.hex, identity: p.link.identity.identity.address.description,
                         address: p.link.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?",
                         height: p.height, outbound: p.outbound)
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
            onFailure: { [logger] error, address in
                logger.info("peer link failed", metadata: ["reason": .string("\(error)"), "remote": .string(address.map { "\($0)" } ?? "?")])
            })
        chain.setOnCommit { [weak self] block, seal in self?.broadcast(.block(block, seal)) }
        chain.setOnAdmit { [weak self] tx in self?.broadcast(.transactions([tx])) }

        try await withThrowingTaskGroup(of: Void.self) { group in
            var server: (any Channel)?
            if let host = config.listenHost {
                let channel = try await transport.listen(host: host, port: config.listenPort)
                server = channel
                onListening("\(host):\(channel.localAddress?.port ?? config.listenPort)")
            }
            // Outbound: one task per bootstrap peer, reconnecting with backoff and jitter.
            for peer in config.peers {
                group.addTask { [self] in await self.keepDialing(transport, host: peer.host, port: peer.port) }
            }
            // Inbound and outbound links are served as they come.
            group.addTask { [self] in
                await withDiscardingTaskGroup { links in
                    for await (link, outbound) in newLinks {
                        links.addTask { await self.serve(link, outbound: outbound) }
                    }
                }
            }
            // Periodic status so peers learn heights even if they missed a push.
            group.addTask { [self] in
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: config.statusInterval)
                    broadcast(status)
                }
            }
            try? await gracefulShutdown()
            newLinkContinuation.finish()
            try? await server?.close()
            for p in peers.withLock({ Array($0.values) }) { p.link.close() }
            group.cancelAll()
        }
    }

    func keepDialing(_ transport: Transport, host: String, port: Int) async {
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let link = try await transport.dial(host: host, port: port)
                backoff = .milliseconds(200)
                newLinkContinuation.yield((link, true))
                // Wait until this link drops before dialing again.
                while !Task.isCancelled, peers.withLock({ $0[link.peerID]?.link === link }) || link.isActive {
                    try? await Task.sleep(for: .milliseconds(200))
                }
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
        let accepted = peers.withLock { map -> Bool in
            if map[id] != nil || id == Hash.sha256(identity.publicKey.bytes) { return false }
            map[id] = Peer(link: link, outbound: outbound, height: 0)
            return true
        }
        guard accepted else { link.close(); return }
        logger.info("peer connected", metadata: ["peer": .string(link.identity.identity.address.description), "outbound": .stringConvertible(outbound)])
        defer {
            peers.withLock { if $0[id]?.link === link { $0[id] = nil } }
            logger.info("peer disconnected", metadata: ["peer": .string(link.identity.identity.address.description)])
        }
        try? link.send(status)
        do {
            for try await message in link.messages {
                try handle(message, from: link)
            }
        } catch {
            logger.info("dropping peer", metadata: ["peer": .string(link.identity.identity.address.description), "reason": .string("\(error)")])
            link.close()
        }
    }

    enum PeerFault: Error, CustomStringConvertible {
        case otherGenesis, invalidBlock(String)
        var description: String {
            switch self {
            case .otherGenesis: return "peer has another genesis"
            case let .invalidBlock(why): return "peer sent an invalid block: \(why)"
            }
        }
    }

    func handle(_ message: WireMessage, from link: PeerLink) throws {
        switch message {
        case let .status(s):
            guard s.genesisHash == chain.identity.genesisHash else { throw PeerFault.otherGenesis }
            peers.withLock { $0[link.peerID]?.height = s.height }
            requestIfBehind(link, peerHeight: s.height)
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
            if !out.isEmpty { try link.send(.blocks(out)) }
        case let .blocks(list):
            for sealed in list { try apply(sealed.block, sealed.seal) }
            let peerHeight = peers.withLock { $0[link.peerID]?.height ?? 0 }
            requestIfBehind(link, peerHeight: peerHeight)
        case let .block(block, seal):
            peers.withLock { p in if let h = p[link.peerID]?.height, h < block.header.height { p[link.peerID]?.height = block.header.height } }
            let head = chain.snapshot.head.height
            if block.header.height == head + 1 {
                try apply(block, seal)
            } else if block.header.height > head + 1 {
                requestIfBehind(link, peerHeight: block.header.height)
            }
        case let .transactions(txs):
            for tx in txs { _ = try? chain.submit(tx) }
        case let .ping(n):
            try link.send(.pong(n))
        case .pong, .peers, .ihave, .iwant, .rekey:
            break
        }
    }

    func apply(_ block: Block, _ seal: Commit) throws {
        try applying.withLock { _ in
            guard block.header.height == chain.snapshot.head.height + 1 else { return }
            do {
                try chain.applyBlock(block, seal: seal)
            } catch let e as Chain.BlockError {
                if case .notNext = e { return }
                throw PeerFault.invalidBlock("\(e)")
            }
        }
    }

    func requestIfBehind(_ link: PeerLink, peerHeight: UInt64) {
        let head = chain.snapshot.head.height
        guard peerHeight > head else { return }
        let count = UInt32(min(UInt64(WireMessage.maxBlocksPerRange), peerHeight - head))
        try? link.send(.getBlocks(from: head + 1, count: count))
    }

    func broadcast(_ message: WireMessage) {
        for p in peers.withLock({ Array($0.values) }) { try? p.link.send(message) }
    }
}
