import AgoraCore
import AgoraLedger
import Foundation
import Synchronization

/// What a resource subscription learns from: the changes of the two subscribable resources as
/// their blocks commit, taken from the node's event bus (the one `/api/v1/events` serves) rather
/// than found by polling. `LedgerChangeSource` is the seam: the node's `/mcp` hands its sessions
/// an `EventBusChanges`; the stdio bridge, which has no bus in its process, a `WebSocketChanges`
/// reading the node's `/api/v1/events`; a session without a source (a bridge to a node it cannot
/// reach that way) falls back to `ResourceWatch`'s height polling.
public enum LedgerChange: Sendable, Equatable, Hashable {
    /// A claim was published in the group (its `agora://groups/{id}/claims` changed).
    case claimPublished(group: Hash)
    /// A claim of the group was retracted (it left what `agora://groups/{id}/claims` lists).
    case claimRetracted(group: Hash)
    /// A settlement naming these parties entered or left `proposed` (their
    /// `agora://agents/{address}/proposals` changed).
    case proposalsChanged(parties: [Address])
    /// Changes were merged past a bound: every watched resource may have changed.
    case everything

    /// Whether this change changes the resource `target` names.
    func touches(_ target: LedgerResources.Target) -> Bool {
        switch (self, target) {
        case (.everything, _): return true
        case let (.claimPublished(g), .groupClaims(id, nil)), let (.claimRetracted(g), .groupClaims(id, nil)): return g == id
        case let (.proposalsChanged(parties), .proposals(party)): return parties.contains(party)
        default: return false
        }
    }
}

/// Why a change stream finished.
public enum LedgerChangeEnd: Sendable, Equatable {
    /// The source cut the subscriber off for falling behind (its queue is bounded): changes
    /// were lost, so a subscriber must treat every watched resource as changed.
    case overflowed
    /// The source closed (node shutdown) or the subscriber cancelled.
    case closed
}

/// A subscriber's end of a change source: `wake` yields when changes are waiting (repeated
/// wake-ups merge), `take` hands over every change since the last take, merged, so a consumer
/// that falls behind sees fewer, larger batches instead of a growing queue.
public struct LedgerChangeSubscription: Sendable {
    public let wake: AsyncStream<Void>
    public let take: @Sendable () -> [LedgerChange]
    /// Why `wake` finished; nil while it runs.
    public let end: @Sendable () -> LedgerChangeEnd?

    public init(wake: AsyncStream<Void>, take: @escaping @Sendable () -> [LedgerChange], end: @escaping @Sendable () -> LedgerChangeEnd?) {
        self.wake = wake
        self.take = take
        self.end = end
    }
}

public protocol LedgerChangeSource: Sendable {
    func subscribe() -> LedgerChangeSubscription
}

/// The node's event bus as a change source: a bus subscription to the `claims` and `intents`
/// modules (bounded by the bus's per-subscriber queue), each event read for the group of a
/// published or retracted claim or the parties of a settlement whose `proposed` list changed.
public struct EventBusChanges: LedgerChangeSource {
    let bus: EventBus

    public init(bus: EventBus) { self.bus = bus }

    /// Settlement events that move a settlement into or out of `proposed`; the others
    /// (challenged, finalised, refunded) follow `accepted` and leave the proposals list alone.
    static let proposalTypes: Set<String> = ["intents.settlement_proposed", "intents.settlement_accepted", "intents.settlement_expired"]

    public func subscribe() -> LedgerChangeSubscription {
        let sub = bus.subscribe(EventBus.Filter(modules: ["claims", "intents"]))
        let (wake, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let pending = PendingChanges()
        // Read the bus as fast as events come, freeing its queue at once; what they mean is
        // merged into `pending` until the consumer takes it.
        let pump = Task {
            for await batch in sub.events {
                let found = batch.flatMap(Self.changes(in:))
                sub.consumed(batch.count)
                guard !found.isEmpty else { continue }
                pending.add(found)
                continuation.yield()
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in pump.cancel() }
        return LedgerChangeSubscription(wake: wake, take: pending.take, end: {
            switch sub.end() {
            case .overflowed?: return .overflowed
            case .closed?: return .closed
            case nil: return pump.isCancelled ? .closed : nil
            }
        })
    }

    /// The resource changes one bus event means (none for events of other types).
    static func changes(in event: EventBus.Event) -> [LedgerChange] {
        guard event.kind == .module, event.module == "claims" || event.module == "intents",
              let data = event.json.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return changes(inEvent: object)
    }

    /// The same for an event as JSON (the bus's encoding, also what `/api/v1/events` sends).
    static func changes(inEvent object: [String: Any]) -> [LedgerChange] {
        guard let type = object["type"] as? String else { return [] }
        if type == "claims.published", let group = (object["group"] as? String).flatMap(Hash.init(hex:)) {
            return [.claimPublished(group: group)]
        }
        if type == "claims.retracted", let group = (object["group"] as? String).flatMap(Hash.init(hex:)) {
            return [.claimRetracted(group: group)]
        }
        if proposalTypes.contains(type), let parties = object["parties"] as? [String] {
            return [.proposalsChanged(parties: parties.compactMap { try? Address.parse($0) })]
        }
        return []
    }
}

/// Changes read from the bus and not yet taken by the consumer: a set, so repeats merge. Capped:
/// past `limit` distinct changes (a consumer stuck while many groups and parties changed) it
/// keeps none and answers `.everything`, which touches every resource — the consumer re-notifies
/// all it watches rather than the buffer growing.
final class PendingChanges: Sendable {
    static let limit = 4_096
    private let state = Mutex<(changes: Set<LedgerChange>, lost: Bool)>(([], false))

    func add(_ changes: [LedgerChange]) {
        state.withLock { s in
            guard !s.lost else { return }
            s.changes.formUnion(changes)
            if s.changes.count > Self.limit { s.changes = []; s.lost = true }
        }
    }

    @Sendable func take() -> [LedgerChange] {
        state.withLock { s in
            defer { s = ([], false) }
            return s.lost ? [.everything] : Array(s.changes)
        }
    }

}
