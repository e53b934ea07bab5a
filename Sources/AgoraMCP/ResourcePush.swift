import Foundation

/// Pushes `notifications/resources/updated` to one subscriber — a handshake-revision session or a
/// 2026-07-28 listen stream — as the blocks that change its resources commit, from a
/// `LedgerChangeSource` (the node's event bus), with no polling.
///
/// Memory is bounded whatever the client does: changes are kept as the set of watched URIs that
/// changed since their last notification (at most `ResourceWatch.maxURIs`), so a slow client is
/// *coalesced* — ten claims in a group while a notification is being written become one more
/// notification, not ten (counted in `stats.merged`). The source's own queue is bounded too; if it
/// cuts this subscriber off (`LedgerChangeEnd.overflowed`), changes were lost, so every watched
/// URI is notified once and the subscription starts again (`stats.resyncs`). A subscriber ends when
/// its client is gone (`deliver` answers false), when its task is cancelled (session closed,
/// stream ended) or when the source closes.
actor ResourcePush {
    enum End: Sendable, Equatable {
        case clientGone
        case cancelled
        case sourceClosed
    }

    struct Stats: Sendable, Equatable {
        var notified = 0
        /// Changes folded into a notification already pending for the same URI.
        var merged = 0
        /// Times the source lost changes and every watched URI was notified.
        var resyncs = 0
    }

    private let source: any LedgerChangeSource
    private var watched: [(uri: String, target: LedgerResources.Target)] = []
    /// Watched URIs changed since their last notification, in the order they changed.
    private var dirty: [String] = []
    private var ready: AsyncStream<Void>.Continuation?
    private(set) var stats = Stats()

    init(source: any LedgerChangeSource) { self.source = source }

    var uris: [String] { watched.map(\.uri) }
    /// URIs waiting for their notification (never more than the watched ones).
    var pending: [String] { dirty }

    /// Starts watching; false past `ResourceWatch.maxURIs`.
    func watch(_ uri: String, _ target: LedgerResources.Target) -> Bool {
        if watched.contains(where: { $0.uri == uri }) { return true }
        guard watched.count < ResourceWatch.maxURIs else { return false }
        watched.append((uri, target))
        return true
    }

    func unwatch(_ uri: String) {
        watched.removeAll { $0.uri == uri }
        dirty.removeAll { $0 == uri }
    }

    /// Subscribes to the source now (so nothing committed after this call is missed), runs
    /// `before` (a listen stream's acknowledgement, which must precede any notification), then
    /// delivers until the subscriber ends.
    func start(before: @escaping @Sendable () async -> Void = {}, deliver: @escaping @Sendable (String) async -> Bool) -> Task<End, Never> {
        let (wake, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        ready = continuation
        let first = source.subscribe()
        return Task {
            await before()
            let follower = Task { await self.follow(first) }
            let end = await self.deliverLoop(wake, deliver: deliver)
            follower.cancel()
            return end
        }
    }

    private func deliverLoop(_ wake: AsyncStream<Void>, deliver: @Sendable (String) async -> Bool) async -> End {
        for await _ in wake {
            while !Task.isCancelled, let uri = dirty.first {
                dirty.removeFirst()
                guard await deliver(uri) else { return .clientGone }
                stats.notified += 1
            }
        }
        return Task.isCancelled ? .cancelled : .sourceClosed
    }

    /// Reads the source, re-subscribing after an overflow; finishes `ready` when the source closes.
    private func follow(_ first: LedgerChangeSubscription) async {
        var sub = first
        while !Task.isCancelled {
            for await _ in sub.wake { mark(sub.take()) }
            guard !Task.isCancelled, sub.end() == .overflowed else { break }
            stats.resyncs += 1
            sub = source.subscribe()
            mark([.everything])
        }
        ready?.finish()
    }

    private func mark(_ changes: [LedgerChange]) {
        var any = false
        for (uri, target) in watched where changes.contains(where: { $0.touches(target) }) {
            if dirty.contains(uri) { stats.merged += 1 } else { dirty.append(uri) }
            any = true
        }
        if any { ready?.yield() }
    }
}
