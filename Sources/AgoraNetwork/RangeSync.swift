import AgoraCore

/// Catch-up planning for a node that is behind: splits the heights it lacks into windows,
/// asks several peers for different windows at once, buffers what arrives out of order, hands
/// blocks to the applier strictly in height order, and moves a window to another peer when its
/// peer is too slow or turns out to lie. It owns no sockets and no clock (time is passed in), so
/// its decisions are tested deterministically; `BlockSync` (in AgoraP2P) sends the requests and applies.
///
/// Bounds: at most `maxWindows` windows in flight and `maxPerPeer` per peer, so the buffer holds
/// at most `maxWindows × windowSize` blocks. A peer is only asked for heights it has announced.
public struct RangeSync: Sendable {
    public struct Params: Sendable {
        public var windowSize: UInt32 = 64
        public var maxWindows = 8
        public var maxPerPeer = 2
        /// A window not answered within this many nanoseconds is taken from its peer.
        public var timeout: UInt64 = 5_000_000_000
        public init() {}
    }

    public struct Request: Sendable, Equatable {
        public let peer: Hash
        public let from: UInt64
        public let count: UInt32
    }

    struct Window: Sendable {
        var peer: Hash?
        var from: UInt64
        var count: UInt32
        var deadline: UInt64
    }

    public enum Verdict: Sendable, Equatable {
        /// Blocks stored for application; `useful` counts the new ones.
        case accepted(useful: Int)
        /// Nobody asked this peer for blocks (or for these heights).
        case unrequested
        /// The peer answered with heights it was not asked for or out of order.
        case malformed
    }

    public let params: Params
    /// Windows by first height; a window with no peer waits for one.
    var windows: [UInt64: Window] = [:]
    /// Received blocks awaiting application, with the peer that sent them.
    var buffered: [UInt64: (block: WireMessage.SealedBlock, peer: Hash)] = [:]
    /// Highest height requested or planned so far.
    var planned: UInt64 = 0
    /// Peers that said they pruned: the lowest height each still serves (`blocksPruned`).
    var floors: [Hash: UInt64] = [:]

    public init(params: Params = Params()) { self.params = params }

    public var inFlight: Int { windows.values.filter { $0.peer != nil }.count }
    public var bufferedCount: Int { buffered.count }

    /// Assigns windows above `head` to peers that have them. `peers` are (id, announced height),
    /// best first; the caller orders them (by trust). Returns the requests to send.
    public mutating func plan(head: UInt64, peers: [(id: Hash, height: UInt64)], now: UInt64) -> [Request] {
        // Forget what the head has passed.
        for (from, w) in windows where from + UInt64(w.count) - 1 <= head { windows[from] = nil }
        for h in buffered.keys where h <= head { buffered[h] = nil }
        planned = max(planned, head)
        let best = peers.map(\.height).max() ?? 0
        // New windows up to the best announced height, within the in-flight bound.
        while windows.count < params.maxWindows, planned < best {
            let count = UInt32(min(UInt64(params.windowSize), best - planned))
            windows[planned + 1] = Window(peer: nil, from: planned + 1, count: count, deadline: 0)
            planned += UInt64(count)
        }
        var load: [Hash: Int] = [:]
        for w in windows.values { if let p = w.peer { load[p, default: 0] += 1 } }
        var out: [Request] = []
        for from in windows.keys.sorted() where windows[from]!.peer == nil {
            let w = windows[from]!
            let last = w.from + UInt64(w.count) - 1
            // The least-loaded peer that has the whole window, ties to the caller's order.
            let choice = peers.enumerated()
                .filter { $0.element.height >= last && load[$0.element.id, default: 0] < params.maxPerPeer
                    && floors[$0.element.id, default: 0] <= w.from }
                .min { (load[$0.element.id, default: 0], $0.offset) < (load[$1.element.id, default: 0], $1.offset) }
            guard let peer = choice?.element.id else { continue }
            load[peer, default: 0] += 1
            windows[from]!.peer = peer
            windows[from]!.deadline = now + params.timeout
            out.append(Request(peer: peer, from: w.from, count: w.count))
        }
        return out
    }

    /// A `blocks` answer from `peer`. Blocks must be consecutive from the start of a window the
    /// peer was asked for; a short answer leaves the rest of the window for any peer.
    public mutating func receive(_ blocks: [WireMessage.SealedBlock], from peer: Hash) -> Verdict {
        guard let first = blocks.first?.block.header.height else {
            // An empty answer: the peer does not have what it announced; free its windows.
            let had = windows.values.contains { $0.peer == peer }
            release(peer)
            return had ? .accepted(useful: 0) : .unrequested
        }
        guard var w = windows[first], w.peer == peer else { return .unrequested }
        guard blocks.count <= Int(w.count),
              blocks.enumerated().allSatisfy({ $0.element.block.header.height == first + UInt64($0.offset) })
        else { return .malformed }
        var useful = 0
        for b in blocks where buffered[b.block.header.height] == nil {
            buffered[b.block.header.height] = (b, peer)
            useful += 1
        }
        windows[first] = nil
        if blocks.count < Int(w.count) {
            w.from = first + UInt64(blocks.count)
            w.count -= UInt32(blocks.count)
            w.peer = nil
            windows[w.from] = w
        }
        return .accepted(useful: useful)
    }

    /// `peer` answered that it keeps block bodies from `earliest` on only: its windows below that
    /// go back to the pool (blocks it already delivered stay), and it is not asked for lower
    /// heights again. `unrequested` if nothing was asked of it.
    public mutating func pruned(_ peer: Hash, earliest: UInt64) -> Verdict {
        let asked = windows.filter { $0.value.peer == peer }
        guard !asked.isEmpty else { return .unrequested }
        floors[peer] = max(floors[peer, default: 0], earliest)
        for (from, _) in asked where from < earliest { windows[from]!.peer = nil }
        return .accepted(useful: 0)
    }

    /// Whether `peer` said it pruned the heights from `height` (for tests and status).
    public func hasPruned(_ peer: Hash, height: UInt64) -> Bool { floors[peer, default: 0] > height }

    /// The next block to apply, if it has arrived.
    public mutating func next(head: UInt64) -> (block: WireMessage.SealedBlock, peer: Hash)? {
        buffered.removeValue(forKey: head + 1)
    }

    /// Windows past their deadline go back to the pool; returns the peers that were too slow.
    public mutating func expire(now: UInt64) -> [Hash] {
        var slow: [Hash] = []
        for (from, w) in windows {
            guard let p = w.peer, w.deadline <= now else { continue }
            windows[from]!.peer = nil
            slow.append(p)
        }
        return slow
    }

    /// A peer lied (a block failed verification) or left: drop everything it sent and free its
    /// windows so other peers are asked; heights it delivered are planned again.
    public mutating func release(_ peer: Hash) {
        for (from, w) in windows where w.peer == peer { windows[from]!.peer = nil }
        let dropped = buffered.filter { $0.value.peer == peer }.map(\.key).sorted()
        for h in dropped { buffered[h] = nil }
        // Re-plan dropped heights as one-block windows merged into ranges.
        var i = 0
        while i < dropped.count {
            var j = i
            while j + 1 < dropped.count, dropped[j + 1] == dropped[j] + 1, j - i + 1 < Int(params.windowSize) { j += 1 }
            windows[dropped[i]] = Window(peer: nil, from: dropped[i], count: UInt32(j - i + 1), deadline: 0)
            i = j + 1
        }
    }
}
