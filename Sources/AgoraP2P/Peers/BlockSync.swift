import AgoraCore
import AgoraLedger
import AgoraNetwork
import AgoraStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Catching up, the I/O side of `RangeSync`: learns peers' heights from `status`, serves block
/// ranges to peers that ask, buffers the ranges this node asked for, and on every wake-up hands
/// windows to peers that are ahead and applies buffered blocks in height order. It is also the
/// one place blocks from peers are applied (gossip goes through `apply` too), one at a time.
final class BlockSync: Sendable {
    let chain: Chain
    let registry: PeerRegistry
    let standing: PeerStanding
    let logger: Logger
    private let sync = Mutex(RangeSync())
    /// Serialises block application (links are served concurrently).
    private let applying = Mutex(())
    /// Wakes the sync loop when a status or a range arrives (coalesced).
    private let wakes: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation

    init(chain: Chain, registry: PeerRegistry, standing: PeerStanding, logger: Logger) {
        self.chain = chain
        self.registry = registry
        self.standing = standing
        self.logger = logger
        (wakes, wakeContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    var status: WireMessage {
        let head = chain.snapshot.head
        return .status(.init(chainID: chain.identity.chainID, genesisHash: chain.identity.genesisHash, height: head.height, headHash: head.hash))
    }

    func wake() { wakeContinuation.yield() }

    func finish() { wakeContinuation.finish() }

    /// A peer left: its windows go back to the pool.
    func disconnected(_ peer: Hash) {
        sync.withLock { $0.release(peer) }
        wake()
    }

    // MARK: Messages

    func status(_ s: WireMessage.Status, from peer: Hash) throws -> TrustEvent? {
        guard s.genesisHash == chain.identity.genesisHash else { throw PeerFault.otherGenesis }
        registry.withSet { $0.announce(peer, height: s.height) }
        if s.height > chain.snapshot.head.height { wake() }
        return .validStatus
    }

    /// Answers a range request with as many stored blocks as fit one frame.
    func serveRange(from: UInt64, count: UInt32, to link: PeerLink) throws -> TrustEvent? {
        var out: [WireMessage.SealedBlock] = []
        var bytes = 0
        var h = max(1, from)
        // Pruned bodies (or, on a state-synced node, never stored): a typed answer, so the asker goes to another peer at once.
        let earliest = try chain.queries.earliestHeight()
        if h < earliest {
            try link.send(.blocksPruned(earliest: earliest))
            return nil
        }
        while out.count < Int(count), let stored = try storedBlock(h) {
            let size = stored.block.canonicalBytes.count
            if bytes + size > SecureSession.maxFrameBytes - 64 * 1024, !out.isEmpty { break }
            out.append(.init(block: stored.block, seal: stored.seal))
            bytes += size
            h += 1
        }
        // An empty answer tells the asker at once that we lack the range.
        try link.send(.blocks(out))
        return nil
    }

    /// A block to serve; nil past the head, and past a pruning step that raced this answer.
    private func storedBlock(_ height: UInt64) throws -> BlockStore.StoredBlock? {
        do { return try chain.queries.block(height: height) } catch StorageError.pruned { return nil }
    }

    /// A peer said it pruned what this node asked it for: ask others (`RangeSync.pruned`).
    func pruned(earliest: UInt64, from peer: Hash) throws -> TrustEvent? {
        guard sync.withLock({ $0.pruned(peer, earliest: earliest) }) != .unrequested else { throw PeerFault.unrequested }
        logger.debug("peer pruned the heights asked for", metadata: ["peer": .string(peer.hex), "earliest": .stringConvertible(earliest)])
        wake()
        return nil
    }

    func receive(_ list: [WireMessage.SealedBlock], from peer: Hash) throws -> TrustEvent? {
        switch sync.withLock({ $0.receive(list, from: peer) }) {
        case .unrequested: throw PeerFault.unrequested
        case .malformed: throw PeerFault.malformedRange
        case let .accepted(useful):
            wake()
            return useful > 0 ? nil : (list.isEmpty ? nil : .duplicate)
        }
    }

    // MARK: The loop

    /// The catch-up loop: on every wake-up (a status or range arrived, a peer left) and at least
    /// every 250 ms, take windows back from slow peers, hand free windows to peers that are
    /// ahead (best trust first), and apply buffered blocks in height order.
    func run() async {
        let ticker = Task { [wakeContinuation] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                wakeContinuation.yield()
            }
        }
        defer { ticker.cancel() }
        for await _ in wakes {
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            step()
        }
    }

    func step() {
        let now = PeerRegistry.now()
        for slow in sync.withLock({ $0.expire(now: now) }) {
            registry.metrics.syncTimeout()
            if let link = registry.link(slow) { standing.penalize(link, .slowResponse) }
        }
        // Ask first so peers work while this node applies; ask again for what applying freed.
        requestWindows(now: now)
        while let (sealed, source) = sync.withLock({ $0.next(head: chain.snapshot.head.height) }) {
            let link = registry.link(source)
            do {
                if try apply(sealed.block, sealed.seal), let link { standing.penalize(link, .usefulBlock) }
            } catch {
                logger.info("peer misbehaved", metadata: ["peer": .string(source.hex), "fault": .string("\(error)")])
                sync.withLock { $0.release(source) }
                if let link { standing.penalize(link, .invalidBlock) }
                break
            }
        }
        requestWindows(now: now)
    }

    /// Hands free windows above the head to peers that are ahead, best trust first.
    func requestWindows(now: UInt64) {
        let head = chain.snapshot.head.height
        let candidates = registry.withSet { $0.ahead(of: head) }
        let requests = sync.withLock { $0.plan(head: head, peers: candidates, now: now) }
        for r in requests {
            try? registry.link(r.peer)?.send(.getBlocks(from: r.from, count: r.count))
        }
        registry.metrics.syncWindows(sync.withLock { $0.inFlight })
    }

    /// Applies a block if it is the next one; true if it moved the head.
    func apply(_ block: Block, _ seal: Commit) throws -> Bool {
        try applying.withLock { _ in
            guard block.header.height == chain.snapshot.head.height + 1 else { return false }
            do {
                try chain.applyBlock(block, seal: seal)
                return true
            } catch is Chain.Stopping {
                return false  // this node is shutting down: not the peer's fault
            } catch let e as Chain.BlockError {
                if case .notNext = e { return false }
                throw PeerFault.invalidBlock("\(e)")
            }
        }
    }
}
