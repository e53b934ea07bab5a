import MCP

/// `resources/subscribe` for the handshake revisions (2025-06-18, 2025-11-25): one per server
/// (session). It watches the subscribed resources (`ResourceWatch`) while any are subscribed
/// and sends `notifications/resources/updated` on the session's stream when one changes; the
/// loop ends when the last is unsubscribed or the session's transport is gone.
actor ResourceSubscriptions {
    private var watch: ResourceWatch?
    private var loop: Task<Void, Never>?
    private let session: AgentSession
    private let pollInterval: Duration
    private weak var server: Server?

    init(session: AgentSession, pollInterval: Duration = ResourceWatch.pollInterval) {
        self.session = session
        self.pollInterval = pollInterval
    }

    func attach(_ server: Server) { self.server = server }

    func subscribe(_ uri: String) async throws {
        var w: ResourceWatch
        if let watch { w = watch } else { w = try await ResourceWatch(uris: [], session: session) }
        guard await w.add(uri) else {
            throw MCPError.invalidParams("cannot subscribe to \(uri.prefix(200)): only agora://groups/{id}/claims and agora://agents/{address}/proposals of existing groups and valid addresses can be watched, at most \(ResourceWatch.maxURIs)")
        }
        watch = w
        if loop == nil { loop = Task { await self.run() } }
    }

    func unsubscribe(_ uri: String) {
        watch?.remove(uri)
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
