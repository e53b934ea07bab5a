import AgoraCore
import DequeModule

/// The classes inbound P2P work is queued by, in the order they are served.
///
/// Consensus is first because a vote that waits past a timeout costs the whole network a round;
/// sync next because a node that is behind cannot vote at all; transaction gossip last because
/// it is the one class an outsider can make arbitrarily large, and its signature checks are the
/// node's most expensive inbound work. See docs/performance.md ("Consensus first under load").
public enum InboundClass: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Proposals, votes, decisions and round statuses.
    case consensus = 0
    /// Heights and blocks: status, range requests and answers, committed blocks.
    case sync = 1
    /// Link upkeep and side services: peer exchange, ping, artifacts.
    case other = 2
    /// Gossip: transactions (admission), presence heartbeats and the mesh control messages.
    case gossip = 3

    public static func < (a: InboundClass, b: InboundClass) -> Bool { a.rawValue < b.rawValue }

    /// A stable name for metrics.
    public var description: String {
        switch self {
        case .consensus: return "consensus"
        case .sync: return "sync"
        case .other: return "other"
        case .gossip: return "gossip"
        }
    }

    /// The class of a wire message.
    public static func of(_ message: WireMessage) -> InboundClass {
        switch message {
        case .consensus: return .consensus
        case .status, .getBlocks, .blocks, .block, .blocksPruned: return .sync
        case .transactions, .presence, .ihave, .iwant, .graft, .prune: return .gossip
        case .peers, .ping, .pong, .rekey, .getArtifact, .artifactPiece, .artifactMissing, .mempoolBusy: return .other
        case .getSnapshots, .snapshots, .getSnapshotChunk, .snapshotPiece, .snapshotMissing, .getLightBlock, .lightBlock, .lightBlockMissing:
            return .other
        }
    }
}

/// One unit of inbound work as the queues see it: its class, its size in units (transactions in
/// a batch, 1 otherwise), where it came from, and how to cut a large batch into pieces.
public protocol InboundWork: Sendable {
    associatedtype Source: Hashable & Sendable
    var inboundClass: InboundClass { get }
    var units: Int { get }
    var source: Source { get }
    /// Removes the first `count` units from `self` and returns them as an item of their own.
    mutating func split(first count: Int) -> Self
}

/// The node's inbound work queues: one bounded FIFO per `InboundClass`, served consensus first.
///
/// `next()` hands out the next item to process: consensus whenever any waits; otherwise sync,
/// then other, then gossip, except that a class passed over `maxPassOver` times in a row while
/// it waited is served next (so a syncing node still admits a few transactions). Gossip work
/// leaves in pieces of at most `admissionChunk` transactions, so a 1,000-transaction batch is
/// never checked in one go while a vote waits; and each class has a limit of items in flight, so
/// admission never takes every worker (`maxInFlight[.gossip]` is one less than the workers).
/// A class whose queue is full refuses what arrives (counted in `drops`).
///
/// It owns no tasks and no clock: the peer service's workers (and the consensus simulator)
/// call `enqueue`, `next` and `finished`, so every decision is tested deterministically.
public struct InboundQueues<Item: InboundWork>: Sendable {
    public struct Params: Sendable, Equatable {
        /// Units each class may hold (transactions for gossip, messages otherwise).
        public var capacity: [InboundClass: Int]
        /// Items of each class processed at once (absent: unlimited).
        public var maxInFlight: [InboundClass: Int]
        /// Largest piece of a transaction batch handed out as one item.
        public var admissionChunk: Int
        /// A waiting class passed over this many times is served next (consensus excepted).
        public var maxPassOver: Int

        /// Defaults for a node with `workers` workers: admission may use all but one.
        public init(workers: Int) {
            capacity = [.consensus: 4_096, .sync: 1_024, .other: 1_024, .gossip: 16_384]
            maxInFlight = [.sync: 1, .other: 2, .gossip: max(1, workers - 1)]
            admissionChunk = 64
            maxPassOver = 8
        }
    }

    public let params: Params
    private var queues: [Deque<Item>] = InboundClass.allCases.map { _ in [] }
    private var queuedUnits = [Int](repeating: 0, count: InboundClass.allCases.count)
    private var inFlight = [Int](repeating: 0, count: InboundClass.allCases.count)
    private var passedOver = [Int](repeating: 0, count: InboundClass.allCases.count)
    /// Units refused per class because its queue was full (or its source disconnected).
    public private(set) var drops = [Int](repeating: 0, count: InboundClass.allCases.count)

    public init(params: Params) { self.params = params }

    /// Units waiting in `c`'s queue.
    public func depth(_ c: InboundClass) -> Int { queuedUnits[c.rawValue] }
    /// Items of `c` handed out and not yet `finished`.
    public func processing(_ c: InboundClass) -> Int { inFlight[c.rawValue] }
    public func dropped(_ c: InboundClass) -> Int { drops[c.rawValue] }
    public var isEmpty: Bool { queuedUnits.allSatisfy { $0 == 0 } }

    /// Queues `item` at the back of its class; false (and counted) if the class is full.
    @discardableResult
    public mutating func enqueue(_ item: Item) -> Bool {
        let c = item.inboundClass.rawValue
        let capacity = params.capacity[item.inboundClass] ?? Int.max
        guard item.units > 0, queuedUnits[c] + item.units <= capacity else {
            drops[c] += max(item.units, 1)
            return false
        }
        queues[c].append(item)
        queuedUnits[c] += item.units
        return true
    }

    /// The next item to process, or nil if nothing waits that may run now. The caller must call
    /// `finished` with the item's class when it is done.
    public mutating func next() -> Item? {
        guard let c = choose() else { return nil }
        for other in InboundClass.allCases where other != c && other != .consensus && runnable(other) {
            passedOver[other.rawValue] += 1
        }
        passedOver[c.rawValue] = 0
        var item = queues[c.rawValue].removeFirst()
        if c == .gossip, item.units > params.admissionChunk {
            let piece = item.split(first: params.admissionChunk)
            queues[c.rawValue].prepend(item)
            item = piece
        }
        queuedUnits[c.rawValue] -= item.units
        inFlight[c.rawValue] += 1
        return item
    }

    /// An item of class `c` handed out by `next` is done.
    public mutating func finished(_ c: InboundClass) {
        inFlight[c.rawValue] = max(0, inFlight[c.rawValue] - 1)
    }

    /// Drops everything queued from `source` (its link closed); returns the units dropped.
    @discardableResult
    public mutating func forget(_ source: Item.Source) -> Int {
        var total = 0
        for c in InboundClass.allCases.map(\.rawValue) {
            let before = queuedUnits[c]
            queues[c].removeAll { $0.source == source }
            let left = queues[c].reduce(0) { $0 + $1.units }
            queuedUnits[c] = left
            drops[c] += before - left
            total += before - left
        }
        return total
    }

    /// True if `c` has work and a free slot.
    private func runnable(_ c: InboundClass) -> Bool {
        !queues[c.rawValue].isEmpty && inFlight[c.rawValue] < (params.maxInFlight[c] ?? Int.max)
    }

    /// Consensus first; then a starved class; then by priority.
    private func choose() -> InboundClass? {
        if runnable(.consensus) { return .consensus }
        let ready = InboundClass.allCases.filter { $0 != .consensus && runnable($0) }
        let starved = ready.filter { passedOver[$0.rawValue] >= params.maxPassOver }
        if let oldest = starved.max(by: { passedOver[$0.rawValue] < passedOver[$1.rawValue] || (passedOver[$0.rawValue] == passedOver[$1.rawValue] && $0 > $1) }) {
            return oldest
        }
        return ready.first
    }
}
