import AgoraCore
import AgoraCrypto
import AgoraNetwork
import Metrics
import Synchronization

/// One inbound message and the link it came on, as the node's inbound queues hold it. A
/// transaction batch splits into pieces so admission can stop between them for a vote.
struct InboundMessage: InboundWork {
    var message: WireMessage
    let link: PeerLink
    /// A later piece of a split batch: the batch already earned its trust reward.
    var isContinuation = false

    var inboundClass: InboundClass { InboundClass.of(message) }
    var units: Int {
        if case let .transactions(txs) = message { return max(1, txs.count) }
        return 1
    }
    var source: ObjectIdentifier { ObjectIdentifier(link) }

    mutating func split(first count: Int) -> InboundMessage {
        guard case let .transactions(txs) = message, count < txs.count else { return self }
        let piece = InboundMessage(message: .transactions(Array(txs[..<count])), link: link, isContinuation: isContinuation)
        message = .transactions(Array(txs[count...]))
        isContinuation = true
        return piece
    }
}

/// The I/O around `InboundQueues`: every link's reader enqueues what passed its rate limits, and
/// a fixed set of worker tasks take work consensus first and hand it to `PeerService.handle`.
/// With `workers` workers admission may use `workers - 1`: the node keeps a worker (and so a
/// thread of the concurrency pool) for votes however many transactions peers send.
/// Idle workers sleep on their own wake stream; every enqueue and every finished item wakes one.
final class InboundDispatch: Sendable {
    private struct State: Sendable {
        var queues: InboundQueues<InboundMessage>
        var idle: [Int: AsyncStream<Void>.Continuation] = [:]
    }

    let workers: Int
    /// How long a worker keeps its thread before it yields (a vote waits at most about this
    /// long for a reader behind a busy admission worker).
    static let slice: Duration = .milliseconds(20)
    private let state: Mutex<State>
    private let metrics: InboundMetrics

    init(workers: Int = max(2, System.coreCount), factory: any MetricsFactory & Sendable) {
        self.workers = workers
        state = Mutex(State(queues: InboundQueues(params: .init(workers: workers))))
        metrics = InboundMetrics(factory)
    }

    /// Queues one message; false if its class was full (the message is dropped and counted).
    @discardableResult
    func enqueue(_ message: WireMessage, from link: PeerLink) -> Bool {
        let item = InboundMessage(message: message, link: link)
        let c = item.inboundClass
        let (accepted, depth) = state.withLock { s in (s.queues.enqueue(item), s.queues.depth(c)) }
        metrics.depth(c, depth)
        if accepted { wakeOne() } else { metrics.dropped(c, item.units) }
        return accepted
    }

    /// The link closed: what it still had queued is dropped (and counted as dropped).
    func forget(_ link: PeerLink) {
        let changes = state.withLock { s in
            let before = InboundClass.allCases.map { s.queues.dropped($0) }
            s.queues.forget(ObjectIdentifier(link))
            return InboundClass.allCases.map { c in (c, s.queues.dropped(c) - before[c.rawValue], s.queues.depth(c)) }
        }
        for (c, dropped, depth) in changes where dropped > 0 {
            metrics.dropped(c, dropped)
            metrics.depth(c, depth)
        }
    }

    /// Runs one worker until its task is cancelled: takes the next item, handles it, repeats;
    /// sleeps while nothing may run.
    func work(id: Int, _ handle: (InboundMessage) -> Void) async {
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        defer {
            _ = state.withLock { $0.idle.removeValue(forKey: id) }
            wake.finish()
        }
        var iterator = wakes.makeAsyncIterator()
        var slice = ContinuousClock.now
        while !Task.isCancelled {
            if let item = take(worker: id, wake: wake) {
                metrics.depth(item.inboundClass, state.withLock { $0.queues.depth(item.inboundClass) })
                handle(item)
                state.withLock { $0.queues.finished(item.inboundClass) }
                wakeOne()
                // Give the thread back after a slice of work: without a suspension point a worker
                // with queued admission never leaves its thread, and on a two-core pool whose
                // other thread is busy the link readers (and so the next vote) would wait for the
                // whole backlog to be checked. Yielding after every item instead would put the
                // worker at the back of a busy pool's queue hundreds of times per batch.
                if ContinuousClock.now - slice > Self.slice {
                    await Task.yield()
                    slice = .now
                }
                continue
            }
            guard await iterator.next() != nil else { return }
            slice = .now
        }
    }

    /// The next item, or nil after marking the worker idle (under the same lock, so a wake
    /// cannot slip between the empty queue and the sleep).
    private func take(worker id: Int, wake: AsyncStream<Void>.Continuation) -> InboundMessage? {
        state.withLock { s in
            if let item = s.queues.next() {
                s.idle[id] = nil
                return item
            }
            s.idle[id] = wake
            return nil
        }
    }

    private func wakeOne() {
        let idle = state.withLock { s -> AsyncStream<Void>.Continuation? in
            guard let id = s.idle.keys.min() else { return nil }
            return s.idle.removeValue(forKey: id)
        }
        idle?.yield()
    }
}

/// Queue depth and drops per inbound class (docs/metrics.md). Made once per class: they are
/// touched per message.
struct InboundMetrics: Sendable {
    private let depths: [Gauge]
    private let drops: [Counter]

    init(_ factory: any MetricsFactory & Sendable) {
        depths = InboundClass.allCases.map {
            Gauge(label: "agora_p2p_inbound_queue_depth", dimensions: [("class", $0.description)], factory: factory)
        }
        drops = InboundClass.allCases.map {
            Counter(label: "agora_p2p_inbound_dropped_total", dimensions: [("class", $0.description)], factory: factory)
        }
    }

    func depth(_ c: InboundClass, _ units: Int) { depths[c.rawValue].record(units) }
    func dropped(_ c: InboundClass, _ units: Int) { drops[c.rawValue].increment(by: units) }
}
