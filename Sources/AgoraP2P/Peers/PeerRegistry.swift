import AgoraCore
import AgoraLedger
import AgoraNetwork
import Dispatch
import Synchronization

/// What every P2P shell shares: the live links next to the pure `PeerSet` under one lock (so a
/// link and its peer's standing come and go together), the gossip router, and sending to
/// peers by ID. It decides nothing itself.
final class PeerRegistry: Sendable {
    struct State: Sendable {
        var set: PeerSet
        var links: [Hash: PeerLink] = [:]
    }

    private let state: Mutex<State>
    let router = Mutex(GossipRouter())
    let metrics: NetworkMetrics

    init(set: PeerSet, metrics: NetworkMetrics) {
        state = Mutex(State(set: set))
        self.metrics = metrics
    }

    /// Monotonic nanoseconds: the clock every `PeerSet` and `RangeSync` decision is given.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func withState<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    func withSet<T>(_ body: (inout PeerSet) -> T) -> T { state.withLock { body(&$0.set) } }

    func link(_ peer: Hash) -> PeerLink? { state.withLock { $0.links[peer] } }

    /// True while `link` is the one registered for its peer.
    func isRegistered(_ link: PeerLink) -> Bool { state.withLock { $0.links[link.peerID] === link } }

    var links: [PeerLink] { state.withLock { Array($0.links.values) } }

    /// Where a validated message goes on through the mesh. `originate` marks a local message
    /// seen first (and routes nowhere if it was already seen, i.e. it came from a peer).
    func targets(_ message: WireMessage, id: Hash, topic: GossipRouter.Topic, from source: Hash?, originate: Bool) -> Set<Hash> {
        router.withLock { r -> Set<Hash> in
            if originate && !r.originate(id) { return [] }
            return Set(r.route(id, message, topic: topic, from: source))
        }
    }

    func send(_ message: WireMessage, to targets: Set<Hash>) {
        guard !targets.isEmpty else { return }
        let links = state.withLock { s in targets.compactMap { s.links[$0] } }
        for link in links {
            try? link.send(message)
            metrics.message(message.kind, direction: "out")
        }
    }

    /// Sends `message` to every connected peer but `except`.
    func broadcast(_ message: WireMessage, except: Hash? = nil) {
        let links = state.withLock { s in s.links.filter { $0.key != except }.map(\.value) }
        for link in links {
            try? link.send(message)
            metrics.message(message.kind, direction: "out")
        }
    }

    func recordPeerCounts() { metrics.peersChanged(withSet { $0.counts }) }
}
