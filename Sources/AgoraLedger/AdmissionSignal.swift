import Synchronization

/// Tells whoever waits for the mempool that it admitted a transaction: the consensus driver,
/// between heights, waits for one (or a full block's worth) instead of polling the pool's size.
///
/// Waiters register a stream continuation and are woken by `yield`, so a burst of admissions
/// costs a waiter one wake, not one per transaction (its stream keeps only the newest). With
/// nobody waiting, admission pays one atomic load.
public final class AdmissionSignal: Sendable {
    private struct Waiters {
        var next: UInt64 = 0
        var continuations: [UInt64: AsyncStream<Void>.Continuation] = [:]
    }

    private let waiters = Mutex(Waiters())
    private let waiting = Atomic<Int>(0)

    public init() {}

    /// Yields to `continuation` after every admission until its stream terminates (the caller
    /// finishes it, or the task iterating it is cancelled). Replaces its `onTermination`.
    public func wake(_ continuation: AsyncStream<Void>.Continuation) {
        let id = waiters.withLock { w in
            let id = w.next
            w.next += 1
            w.continuations[id] = continuation
            return id
        }
        waiting.add(1, ordering: .releasing)
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
    }

    /// Called by the mempool after each admission.
    func notify() {
        guard waiting.load(ordering: .acquiring) > 0 else { return }
        for c in waiters.withLock({ Array($0.continuations.values) }) { c.yield() }
    }

    private func remove(_ id: UInt64) {
        let removed = waiters.withLock { $0.continuations.removeValue(forKey: id) != nil }
        if removed { waiting.subtract(1, ordering: .releasing) }
    }
}
