import AgoraNetwork
import DequeModule

/// A flood of transaction gossip competing with consensus for each simulated node's CPU: the
/// scenario of issue 13 ("consensus first"). Every node receives `batchesPerSecond` batches of
/// `transactionsPerBatch` transactions, each costing `microsPerTransaction` of one of its
/// `cores` to admit (the signature check), and every consensus message costs
/// `consensusCostMs`. Messages wait for a core in the node's inbound dispatch:
///
/// - `consensusFirst` is the node's: the real `InboundQueues`, votes first, admission in pieces
///   on at most `cores - 1` cores;
/// - `arrivalOrder` is the dispatch before it: one queue in arrival order, each batch admitted
///   whole, at most `arrivalOrderCapacity` messages waiting (a link's stream buffer) and the
///   rest dropped, votes included.
///
/// With a load the network is fault-free (no loss, partition or crash): the run isolates CPU
/// contention. See docs/performance.md ("Consensus first under load").
public struct InboundLoad: Hashable, Sendable {
    public enum Dispatch: String, Hashable, Sendable, CaseIterable {
        case consensusFirst, arrivalOrder
    }

    public var dispatch: Dispatch
    public var cores: Int
    public var batchesPerSecond: UInt64
    public var transactionsPerBatch: Int
    public var microsPerTransaction: UInt64
    public var consensusCostMs: UInt64 = 1
    public var arrivalOrderCapacity = 4_096

    /// Defaults: 30 batches of 1,000 transactions a second at 100 µs each is 3 core-seconds of
    /// admission a second offered to 2 cores — 1.5 times what the node can admit.
    public init(dispatch: Dispatch, cores: Int = 2, batchesPerSecond: UInt64 = 30, transactionsPerBatch: Int = 1_000,
                microsPerTransaction: UInt64 = 100) {
        self.dispatch = dispatch
        self.cores = max(1, cores)
        self.batchesPerSecond = max(1, batchesPerSecond)
        self.transactionsPerBatch = max(1, transactionsPerBatch)
        self.microsPerTransaction = microsPerTransaction
    }

    /// Admission work offered per second, in cores.
    public var offeredCores: Double {
        Double(batchesPerSecond) * Double(transactionsPerBatch) * Double(microsPerTransaction) / 1e6
    }
}

/// One piece of inbound work at a simulated node: a consensus message (its bytes and sender)
/// or a batch of transactions (only their count matters: blocks in the simulator are empty).
struct SimInbound: InboundWork {
    enum Kind: Sendable {
        case consensus(bytes: [UInt8], from: Int)
        case transactions(Int)
    }

    var kind: Kind
    let source: Int
    /// Virtual time it arrived, for the longest wait.
    let arrived: UInt64

    var inboundClass: InboundClass {
        if case .consensus = kind { return .consensus }
        return .gossip
    }

    var units: Int {
        if case let .transactions(n) = kind { return max(1, n) }
        return 1
    }

    mutating func split(first count: Int) -> SimInbound {
        guard case let .transactions(n) = kind, count < n else { return self }
        kind = .transactions(n - count)
        return SimInbound(kind: .transactions(count), source: source, arrived: arrived)
    }
}

/// One node's cores and inbound queue under an `InboundLoad`: which work starts when, and
/// what it costs in virtual milliseconds.
struct NodeCPU: Sendable {
    let load: InboundLoad
    private var queues: InboundQueues<SimInbound>
    private var arrivals: Deque<SimInbound> = []
    private var running = 0
    /// Messages (consensus) and transactions refused because the queue was full.
    private(set) var droppedConsensus = 0
    private(set) var droppedTransactions = 0

    init(_ load: InboundLoad) {
        self.load = load
        queues = InboundQueues(params: .init(workers: load.cores))
    }

    mutating func enqueue(_ work: SimInbound) {
        let accepted: Bool
        switch load.dispatch {
        case .consensusFirst:
            accepted = queues.enqueue(work)
        case .arrivalOrder:
            accepted = arrivals.count < load.arrivalOrderCapacity
            if accepted { arrivals.append(work) }
        }
        guard !accepted else { return }
        if case .consensus = work.kind { droppedConsensus += 1 } else { droppedTransactions += work.units }
    }

    /// The next work a free core takes, with its cost; nil if no core is free or nothing may run.
    mutating func start() -> (work: SimInbound, cost: UInt64)? {
        guard running < load.cores else { return nil }
        let next: SimInbound?
        switch load.dispatch {
        case .consensusFirst: next = queues.next()
        case .arrivalOrder: next = arrivals.popFirst()
        }
        guard let work = next else { return nil }
        running += 1
        return (work, cost(work))
    }

    mutating func finished(_ work: SimInbound) {
        running -= 1
        if load.dispatch == .consensusFirst { queues.finished(work.inboundClass) }
    }

    func cost(_ work: SimInbound) -> UInt64 {
        switch work.kind {
        case .consensus: return max(1, load.consensusCostMs)
        case let .transactions(n): return max(1, UInt64(n) * load.microsPerTransaction / 1_000)
        }
    }
}
