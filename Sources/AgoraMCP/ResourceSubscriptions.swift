import MCP

/// `resources/subscribe` for the handshake revisions (2025-06-18, 2025-11-25): one per server
/// (session). With a change source (the node's `/mcp`), a `ResourcePush` sends
/// `notifications/resources/updated` on the session's stream as the changing block commits;
/// without one (the stdio bridge) a loop polls the subscribed resources (`ResourceWatch`).
/// Either ends when the session's transport is gone, when the session closes (`stop`) or when
/// the last URI is unsubscribed.
actor ResourceSubscriptions {
    private var watch: ResourceWatch?
    private var loop: Task<Void, Never>?
    private var push: ResourcePush?
    private var pushing: Task<ResourcePush.End, Never>?
    /// The URIs `push` watches, kept here so that the last unsubscribe is known without a suspension.
    private var pushed: Set<String> = []
    private let session: AgentSession
    private let pollInterval: Duration
    private weak var server: Server?

    init(session: AgentSession, pollInterval: Duration = ResourceWatch.pollInterval) {
        self.session = session
        self.pollInterval = pollInterval
    }

    func attach(_ server: Server) { self.server = server }

    private func refused(_ uri: String) -> MCPError {
        MCPError.invalidParams("cannot subscribe to \(uri.prefix(200)): only agora://groups/{id}/claims and agora://agents/{address}/proposals of existing groups and valid addresses can be watched, at most \(ResourceWatch.maxURIs)")
    }

    func subscribe(_ uri: String) async throws {
        if let changes = session.changes {
            guard let target = await ResourceWatch.watchable(uri, session: session) else { throw refused(uri) }
            let p = push ?? ResourcePush(source: changes)
            push = p
            guard await p.watch(uri, target) else { throw refused(uri) }
            pushed.insert(uri)
            if pushing == nil {
                pushing = await p.start { [weak server] uri in
                    guard let server else { return false }
                    do { try await server.notify(ResourceUpdatedNotification.message(.init(uri: uri))) } catch { return false }
                    return true
                }
            }
            return
        }
        var w: ResourceWatch
        if let watch { w = watch } else { w = try await ResourceWatch(uris: [], session: session) }
        guard await w.add(uri) else { throw refused(uri) }
        watch = w
        if loop == nil { loop = Task { await self.run() } }
    }

    /// Unsubscribing the last URI also ends the push and its source subscription.
    func unsubscribe(_ uri: String) async {
        watch?.remove(uri)
        guard let p = push else { return }
        pushed.remove(uri)
        if pushed.isEmpty {
            pushing?.cancel()
            pushing = nil
            push = nil
        }
        await p.unwatch(uri)
    }

    /// The session closed: stop pushing (the source subscription ends with it) and polling.
    func stop() {
        pushing?.cancel()
        pushing = nil
        loop?.cancel()
        loop = nil
    }

    private func run() async {
        while !Task.isCancelled, var w = watch, !w.uris.isEmpty, let server {
            try? await Task.sleep(for: pollInterval)
            let changed = await w.changed()
            // Keep subscriptions made while this check ran.
            if let current = watch, current.uris != w.uris {
                for uri in current.uris where !w.uris.contains(uri) { _ = await w.add(uri) }
                for uri in w.uris where !current.uris.contains(uri) { w.remove(uri) }
            }
            watch = w
            do {
                for uri in changed where w.uris.contains(uri) {
                    try await server.notify(ResourceUpdatedNotification.message(.init(uri: uri)))
                }
            } catch { break }
        }
        loop = nil
    }
}
