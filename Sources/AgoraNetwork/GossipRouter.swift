import AgoraCore
import DequeModule

/// Gossipsub-style routing for one node: per topic, a mesh of D peers that get every new message
/// eagerly; the other peers hear about recent message IDs lazily (`ihave`) and ask for what they
/// lack (`iwant`); a bounded seen-cache drops duplicates so a message crosses each link at most
/// about once. It owns no sockets and no clock: the peer service feeds it events and heartbeats
/// and sends what it returns, so it is tested deterministically with a seeded generator.
///
/// Parameters follow the gossipsub v1.1 defaults (D=6, D_low=4, D_high=12, D_lazy=6, history 5
/// heartbeats, gossip from the last 3). Peers with a negative trust score are neither grafted
/// nor gossiped to, and are pruned from meshes (gossipsub's score threshold).
public struct GossipRouter: Sendable {
    public enum Topic: UInt8, Sendable, CaseIterable, Hashable {
        case transactions = 1, blocks = 2, presence = 3

        /// A stable name for metrics.
        public var name: String {
            switch self {
            case .transactions: return "transactions"
            case .blocks: return "blocks"
            case .presence: return "presence"
            }
        }
    }

    public struct Params: Sendable {
        public var d = 6, dLow = 4, dHigh = 12, dLazy = 6
        /// Heartbeats a message stays answerable to `iwant`; the last `gossipWindows` are advertised.
        public var historyLength = 5, gossipWindows = 3
        /// Seen-cache bounds: entries and age in heartbeats.
        public var seenCapacity = 100_000, seenHeartbeats = 120
        /// At most this many IDs per `ihave` and per `iwant` (also the wire limit).
        public var maxIDsPerMessage = 5_000
        /// How many times one peer may ask for one message (gossipsub's gossip_retransmission).
        public var maxRetransmissions = 3
        public init() {}
    }

    /// What one heartbeat asks the caller to send.
    public enum Control: Sendable, Equatable {
        case graft(Topic), prune(Topic), ihave([Hash])

        public var message: WireMessage {
            switch self {
            case let .graft(t): return .graft(t)
            case let .prune(t): return .prune(t)
            case let .ihave(ids): return .ihave(ids)
            }
        }
    }

    public let params: Params
    public private(set) var peers: Set<Hash> = []
    public private(set) var mesh: [Topic: Set<Hash>] = [:]
    private var seen: Set<Hash> = []
    private var seenOrder: Deque<(id: Hash, beat: UInt64)> = []
    /// Recent messages by ID (answers to `iwant`), and their IDs by heartbeat window, newest first.
    private var cache: [Hash: WireMessage] = [:]
    private var windows: Deque<[Hash]> = [[]]
    private var retransmissions: [Hash: [Hash: Int]] = [:]
    /// IDs we asked for and have not received, so one `ihave` storm yields one request each.
    private var requested: Set<Hash> = []
    /// Seen IDs that failed validation (a subset of `seen`, evicted with it).
    private var invalid: Set<Hash> = []
    /// Peers that sent each recent message, oldest message first (bounded by `maxSenderEntries`).
    private var senders: [Hash: Set<Hash>] = [:]
    private var senderOrder: Deque<Hash> = []
    static let maxSenderEntries = 20_000

    /// Peers known to have a message already (they sent it to us).
    public func holders(of id: Hash) -> Set<Hash> { senders[id] ?? [] }

    private mutating func noteSender(_ id: Hash, _ peer: Hash) {
        if senders[id] == nil {
            senderOrder.append(id)
            if senderOrder.count > GossipRouter.maxSenderEntries { senders[senderOrder.removeFirst()] = nil }
        }
        senders[id, default: []].insert(peer)
    }
    private var beat: UInt64 = 0

    public private(set) var received: UInt64 = 0
    public private(set) var duplicates: UInt64 = 0

    public init(params: Params = Params()) {
        self.params = params
        for t in Topic.allCases { mesh[t] = [] }
    }

    public mutating func addPeer(_ id: Hash) { peers.insert(id) }

    public mutating func removePeer(_ id: Hash) {
        peers.remove(id)
        // `senders` may still name it; harmless, as `route` only returns current mesh peers.
        for t in Topic.allCases { mesh[t]?.remove(id) }
        retransmissions[id] = nil
    }

    public func hasSeen(_ id: Hash) -> Bool { seen.contains(id) }

    public enum Arrival: Sendable, Equatable {
        /// First sight: the caller validates it, then routes it or calls `reject`.
        case new
        /// Seen before and valid (or not yet judged): drop it.
        case duplicate
        /// Seen before and found invalid: the sender relays a known-bad message, which costs
        /// it as much as the first copy did.
        case knownInvalid
    }

    /// Records a message that arrived from a peer. The peer is remembered for a while so the
    /// message is not sent back to it, nor to any other peer that already sent it (copies that
    /// arrive while this node validates would otherwise cross the same links both ways).
    public mutating func receive(_ id: Hash, from peer: Hash? = nil) -> Arrival {
        received += 1
        requested.remove(id)
        if let peer { noteSender(id, peer) }
        guard markSeen(id) else {
            duplicates += 1
            return invalid.contains(id) ? .knownInvalid : .duplicate
        }
        return .new
    }

    /// The caller found a message invalid; copies that arrive later are `knownInvalid`.
    public mutating func reject(_ id: Hash) { if seen.contains(id) { invalid.insert(id) } }

    /// A locally originated message (an API submission, a block this node made). Returns false
    /// if it was already seen.
    public mutating func originate(_ id: Hash) -> Bool { markSeen(id) }

    /// Where to send a validated message: the topic's mesh without its source. A local message
    /// with no mesh yet (a node just started) goes to every peer instead, so it is not lost.
    public mutating func route(_ id: Hash, _ message: WireMessage, topic: Topic, from source: Hash?) -> [Hash] {
        if cache[id] == nil {
            cache[id] = message
            windows[0].append(id)
        }
        let meshPeers = mesh[topic] ?? []
        if source == nil && meshPeers.isEmpty { return Array(peers) }
        let had = senders[id] ?? []
        return meshPeers.filter { $0 != source && !had.contains($0) }
    }

    /// IDs from an `ihave` that we lack and have not asked for yet.
    public mutating func wanted(_ ids: [Hash]) -> [Hash] {
        var out: [Hash] = []
        for id in ids.prefix(params.maxIDsPerMessage) where !seen.contains(id) && !requested.contains(id) {
            requested.insert(id)
            out.append(id)
        }
        return out
    }

    /// Cached messages for an `iwant`, each at most `maxRetransmissions` times per peer.
    public mutating func answer(_ ids: [Hash], to peer: Hash) -> [WireMessage] {
        var out: [WireMessage] = []
        for id in ids.prefix(params.maxIDsPerMessage) {
            guard let m = cache[id] else { continue }
            let n = retransmissions[peer, default: [:]][id, default: 0]
            guard n < params.maxRetransmissions else { continue }
            retransmissions[peer, default: [:]][id] = n + 1
            out.append(m)
        }
        return out
    }

    /// A peer grafted us into its mesh. Returns false if we refuse (an unknown peer or one
    /// with a negative score); the caller answers with a prune. As in gossipsub, a graft is
    /// accepted even above D_high: the next heartbeat trims the mesh, keeping the best scorers,
    /// so grafting many identities cannot push good peers out.
    public mutating func graft(_ peer: Hash, topic: Topic, score: Double) -> Bool {
        guard peers.contains(peer), score >= 0 else { return false }
        mesh[topic]!.insert(peer)
        return true
    }

    public mutating func prune(_ peer: Hash, topic: Topic) { mesh[topic]?.remove(peer) }

    /// Mesh upkeep and lazy gossip, once per heartbeat interval: fill meshes below D_low up to
    /// D, trim meshes above D_high down to D, drop peers with a negative score, then advertise
    /// recent IDs to D_lazy non-mesh peers per topic; then age the caches.
    public mutating func heartbeat<R: RandomNumberGenerator>(score: (Hash) -> Double, using rng: inout R) -> [(Hash, Control)] {
        var out: [(Hash, Control)] = []
        for topic in Topic.allCases {
            var m = mesh[topic]!
            for p in m where score(p) < 0 {
                m.remove(p)
                out.append((p, .prune(topic)))
            }
            if m.count < params.dLow {
                let candidates = peers.subtracting(m).filter { score($0) >= 0 }.sorted().shuffled(using: &rng)
                for p in candidates.prefix(params.d - m.count) {
                    m.insert(p)
                    out.append((p, .graft(topic)))
                }
            } else if m.count > params.dHigh {
                // Keep the best-scored half of D, fill the rest at random (gossipsub v1.1 keeps
                // the top scorers so an attacker cannot crowd out good peers by grafting).
                let ranked = m.sorted { (score($0), $0) > (score($1), $1) }
                let keepTop = Array(ranked.prefix(params.d / 2))
                let rest = Array(ranked.dropFirst(params.d / 2)).shuffled(using: &rng)
                let keep = Set(keepTop + rest.prefix(params.d - keepTop.count))
                for p in m where !keep.contains(p) { out.append((p, .prune(topic))) }
                m = keep
            }
            mesh[topic] = m
        }
        let recent = Array(windows.prefix(params.gossipWindows).joined().suffix(params.maxIDsPerMessage))
        if !recent.isEmpty {
            let inAnyMesh = Topic.allCases.reduce(into: Set<Hash>()) { $0.formUnion(mesh[$1]!) }
            let lazy = peers.subtracting(inAnyMesh).filter { score($0) >= 0 }.sorted().shuffled(using: &rng)
            for p in lazy.prefix(params.dLazy) { out.append((p, .ihave(recent))) }
        }
        age()
        return out
    }

    private mutating func age() {
        beat += 1
        windows.prepend([])
        while windows.count > params.historyLength {
            for id in windows.removeLast() { cache[id] = nil }
        }
        if beat % UInt64(params.historyLength) == 0 { retransmissions.removeAll(keepingCapacity: true) }
        // Requests older than the history cannot be answered any more; let a later ihave retry.
        if beat % UInt64(params.historyLength) == 0 { requested.removeAll(keepingCapacity: true) }
        while let first = seenOrder.first, beat - first.beat > UInt64(params.seenHeartbeats) {
            seen.remove(first.id)
            invalid.remove(first.id)
            seenOrder.removeFirst()
        }
    }

    private mutating func markSeen(_ id: Hash) -> Bool {
        guard seen.insert(id).inserted else { return false }
        seenOrder.append((id, beat))
        if seenOrder.count > params.seenCapacity {
            let evicted = seenOrder.removeFirst().id
            seen.remove(evicted)
            invalid.remove(evicted)
        }
        return true
    }

    public var seenCount: Int { seen.count }
    public var cachedCount: Int { cache.count }
}
