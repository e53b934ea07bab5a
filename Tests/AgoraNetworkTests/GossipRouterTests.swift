import AgoraCore
import Testing
@testable import AgoraNetwork

/// A deterministic in-memory network of routers: each node is a `GossipRouter`, links are an
/// adjacency list, and messages are delivered in FIFO rounds. Used to check mesh bounds,
/// delivery and duplicate counts without sockets.
struct GossipNet {
    var routers: [GossipRouter]
    let ids: [Hash]
    var links: [Set<Int>]
    var rng: SplitMix64
    /// (to, from, message)
    var queue: [(Int, Int, WireMessage)] = []
    var delivered: [Set<Hash>]

    init(nodes: Int, degree: Int, seed: UInt64) {
        rng = SplitMix64(seed: seed)
        ids = (0..<nodes).map { Hash.sha256([UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)]) }
        routers = Array(repeating: GossipRouter(), count: nodes)
        links = Array(repeating: [], count: nodes)
        delivered = Array(repeating: [], count: nodes)
        // A ring (so the graph is connected) plus random chords up to `degree`.
        for i in 0..<nodes { connect(i, (i + 1) % nodes) }
        for i in 0..<nodes {
            while links[i].count < degree {
                let j = Int(rng.next() % UInt64(nodes))
                if j != i { connect(i, j) }
            }
        }
    }

    mutating func connect(_ a: Int, _ b: Int) {
        links[a].insert(b); links[b].insert(a)
        routers[a].addPeer(ids[b]); routers[b].addPeer(ids[a])
    }

    func index(_ id: Hash) -> Int { ids.firstIndex(of: id)! }

    mutating func heartbeat() {
        for i in routers.indices {
            for (peer, control) in routers[i].heartbeat(score: { _ in 0 }, using: &rng) {
                queue.append((index(peer), i, control.message))
            }
        }
        drain()
    }

    mutating func publish(from node: Int, id: Hash) {
        let m = WireMessage.ping(id.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
        _ = routers[node].originate(id)
        delivered[node].insert(id)
        for p in routers[node].route(id, m, topic: .blocks, from: nil) { queue.append((index(p), node, m)) }
        drain(id: id)
    }

    mutating func drain(id: Hash? = nil) {
        while !queue.isEmpty {
            let (to, from, m) = queue.removeFirst()
            let source = ids[from]
            switch m {
            case .graft(let t):
                if !routers[to].graft(source, topic: t, score: 0) { queue.append((from, to, .prune(t))) }
            case .prune(let t): routers[to].prune(source, topic: t)
            case .ihave(let list):
                let want = routers[to].wanted(list)
                if !want.isEmpty { queue.append((from, to, .iwant(want))) }
            case .iwant(let list):
                for answer in routers[from].answer(list, to: ids[to]) { queue.append((from, to, answer)) }
            case .ping:
                // The payload stands for a gossiped message whose ID the test knows.
                guard let id else { continue }
                if routers[to].receive(id) == .new {
                    delivered[to].insert(id)
                    for p in routers[to].route(id, m, topic: .blocks, from: source) { queue.append((index(p), to, m)) }
                }
            default: break
            }
        }
    }
}

@Suite("Gossip router")
struct GossipRouterTests {
    @Test("after a few heartbeats every mesh holds between D_low and D_high peers")
    func meshBounds() {
        var net = GossipNet(nodes: 40, degree: 14, seed: 7)
        for _ in 0..<5 { net.heartbeat() }
        for r in net.routers {
            for t in GossipRouter.Topic.allCases {
                let size = r.mesh[t]!.count
                #expect(size >= r.params.dLow && size <= r.params.dHigh, "mesh of \(size)")
            }
        }
    }

    @Test("a message published on any node reaches all 32 nodes through the mesh with few duplicates")
    func delivery() {
        for seed in UInt64(1)...5 {
            var net = GossipNet(nodes: 32, degree: 8, seed: seed)
            for _ in 0..<3 { net.heartbeat() }
            let id = Hash.sha256(Array("m\(seed)".utf8))
            net.publish(from: Int(seed) % 32, id: id)
            net.heartbeat()  // lazy gossip fills any node the mesh missed
            #expect(net.delivered.allSatisfy { $0.contains(id) }, "seed \(seed): every node has it")
            let received = net.routers.reduce(0) { $0 + $1.received }
            let dups = net.routers.reduce(0) { $0 + $1.duplicates }
            // Flooding over this graph would cost ~degree receptions per node; the mesh ~D.
            #expect(Double(dups) / Double(received) < 0.9)
            #expect(received <= 32 * 12, "seed \(seed): \(received) receptions")
        }
    }

    @Test("a node outside every mesh gets the message by ihave/iwant")
    func lazyGossip() {
        var a = GossipRouter(), b = GossipRouter()
        let ida = Hash.sha256([1]), idb = Hash.sha256([2])
        a.addPeer(idb); b.addPeer(ida)
        let id = Hash.sha256([9])
        _ = a.originate(id)
        _ = a.route(id, .ping(1), topic: .transactions, from: nil)
        var rng = SplitMix64(seed: 1)
        // Force b out of a's meshes so only lazy gossip can reach it.
        let controls = a.heartbeat(score: { _ in -1 }, using: &rng)
        #expect(controls.isEmpty, "negative-score peers get neither grafts nor ihave")
        let gossip = a.heartbeat(score: { _ in 0 }, using: &rng).compactMap { c -> [Hash]? in
            if case let .ihave(ids) = c.1 { return ids } else { return nil }
        }
        // b is now grafted (mesh was empty), so ihave goes only to non-mesh peers: none.
        #expect(gossip.isEmpty)
        a.prune(idb, topic: .transactions); a.prune(idb, topic: .blocks)
        var c = GossipRouter(params: { var p = GossipRouter.Params(); p.dLow = 0; p.d = 0; return p }())
        c.addPeer(idb)
        _ = c.originate(id)
        _ = c.route(id, .ping(1), topic: .transactions, from: nil)
        let lazy = c.heartbeat(score: { _ in 0 }, using: &rng)
        #expect(lazy.count == 1 && lazy[0].1 == .ihave([id]))
        let firstAsk = b.wanted([id])
        #expect(firstAsk == [id])
        let secondAsk = b.wanted([id]).isEmpty
        #expect(secondAsk, "asked once per ihave storm")
        let answered = c.answer([id], to: idb)
        #expect(answered == [.ping(1)])
    }

    @Test("a message is not routed back to any peer that already sent it")
    func noEcho() {
        var r = GossipRouter()
        let peers = (0..<6).map { Hash.sha256([UInt8($0)]) }
        for p in peers {
            r.addPeer(p)
            _ = r.graft(p, topic: .transactions, score: 0)
        }
        let id = Hash.sha256([42])
        let first = r.receive(id, from: peers[0])
        let copy = r.receive(id, from: peers[1])
        #expect(first == .new && copy == .duplicate)
        let targets = Set(r.route(id, .ping(1), topic: .transactions, from: peers[0]))
        #expect(targets == Set(peers[2...]), "neither the source nor a peer that sent a copy")
        #expect(r.holders(of: id) == [peers[0], peers[1]])
    }

    @Test("iwant is answered at most three times per peer and only from recent history")
    func retransmissionCap() {
        var r = GossipRouter()
        let peer = Hash.sha256([1]), id = Hash.sha256([2])
        r.addPeer(peer)
        _ = r.originate(id)
        _ = r.route(id, .ping(5), topic: .blocks, from: nil)
        let answers = (0..<5).map { _ in r.answer([id], to: peer).count }
        #expect(answers == [1, 1, 1, 0, 0])
        var rng = SplitMix64(seed: 2)
        for _ in 0..<r.params.historyLength { _ = r.heartbeat(score: { _ in 0 }, using: &rng) }
        #expect(r.cachedCount == 0, "history expired")
        let expired = r.answer([id], to: Hash.sha256([3])).isEmpty
        #expect(expired)
    }

    @Test("the seen-cache is bounded by count and by age, and counts duplicates")
    func seenCacheBounds() {
        var p = GossipRouter.Params()
        p.seenCapacity = 100
        p.seenHeartbeats = 3
        var r = GossipRouter(params: p)
        for i in 0..<1_000 { _ = r.receive(Hash.sha256([UInt8(i & 0xff), UInt8(i >> 8)])) }
        #expect(r.seenCount == 100)
        let recent = r.receive(Hash.sha256([UInt8(999 & 0xff), UInt8(999 >> 8)]))
        #expect(recent == .duplicate)
        #expect(r.duplicates == 1)
        let oldest = r.receive(Hash.sha256([0, 0]))
        #expect(oldest == .new, "the oldest was evicted")
        r.reject(Hash.sha256([0, 0]))
        let again = r.receive(Hash.sha256([0, 0]))
        #expect(again == .knownInvalid, "a copy of a message found invalid costs its sender again")
        var rng = SplitMix64(seed: 3)
        for _ in 0..<5 { _ = r.heartbeat(score: { _ in 0 }, using: &rng) }
        #expect(r.seenCount == 0, "aged out after seenHeartbeats")
    }

    @Test("a heartbeat trims a mesh above D_high to D, keeping the best scorers; unwelcome grafts are refused")
    func graftAndTrim() {
        var r = GossipRouter()
        let peers = (0..<20).map { Hash.sha256([UInt8($0)]) }
        for p in peers { r.addPeer(p) }
        for p in peers {
            let accepted = r.graft(p, topic: .blocks, score: 1)
            #expect(accepted)
        }
        let unknownPeer = r.graft(Hash.sha256([99]), topic: .blocks, score: 1)
        #expect(!unknownPeer, "unknown peer")
        let negativeScore = r.graft(peers[19], topic: .transactions, score: -1)
        #expect(!negativeScore, "negative score")
        #expect(r.mesh[.blocks]!.count == 20)
        var rng = SplitMix64(seed: 4)
        let best = Set(peers.suffix(3))
        let controls = r.heartbeat(score: { best.contains($0) ? 10 : 0 }, using: &rng)
        #expect(r.mesh[.blocks]!.count == r.params.d)
        #expect(best.isSubset(of: r.mesh[.blocks]!), "the top scorers survive the trim")
        let prunes = controls.filter { $0.1 == .prune(.blocks) }.count
        #expect(prunes == 20 - r.params.d)
    }
}
