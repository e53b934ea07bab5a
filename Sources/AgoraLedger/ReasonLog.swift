import AgoraCore
import AgoraState
import Synchronization

/// The reasons recent transactions were dropped (refused at block building, or evicted), for
/// status queries. Bounded: the oldest entries go first.
public typealias RejectionLog = ReasonLog<Rejection>

public final class ReasonLog<Reason: Sendable>: Sendable {
    private struct Log: Sendable {
        var reasons: [Hash: Reason] = [:]
        var order: [Hash] = []
        var head = 0
    }
    private let log = Mutex(Log())
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    public func record(_ id: Hash, _ reason: Reason) {
        log.withLock { l in
            if l.reasons[id] == nil {
                if l.order.count < capacity {
                    l.order.append(id)
                } else {
                    l.reasons[l.order[l.head]] = nil
                    l.order[l.head] = id
                    l.head = (l.head + 1) % capacity
                }
            }
            l.reasons[id] = reason
        }
    }

    public func reason(_ id: Hash) -> Reason? { log.withLock { $0.reasons[id] } }
}
