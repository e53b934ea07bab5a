import AgoraClient
import Foundation
import MCP

/// Serves MCP 2026-07-28 requests: each one stands alone (no session), so each is answered
/// from its own envelope and the identity the transport resolved for it. Tools and resources
/// are the same `ToolCatalog` and `LedgerResources` the handshake revisions use; what differs
/// is the frame: `server/discover` instead of `initialize`, `resultType` on every result,
/// caching hints on lists, and `subscriptions/listen` instead of `resources/subscribe`.
public struct ModernDispatcher: Sendable {
    let version: String
    /// How often a listen stream without a change source (stdio) checks its resources.
    var pollInterval: Duration = ResourceWatch.pollInterval

    public init(version: String) { self.version = version }

    /// Sends one notification on the request's own stream (a listen stream's frames).
    public typealias Emit = @Sendable (Value) async -> Void

    /// The JSON-RPC response to `request`; `emit` carries notifications sent before it.
    func respond(to request: EnvelopeRequest, session: AgentSession, emit: @escaping Emit) async -> Value {
        do {
            let result = try await result(of: request, session: session, emit: emit)
            return ["jsonrpc": "2.0", "id": request.id, "result": stamped(result)]
        } catch let e as RPCError {
            return e.response(id: request.id)
        } catch let e as MCPError {
            return RPCError(e).response(id: request.id)
        } catch {
            return RPCError(code: RPCError.internalError, message: "\(error)").response(id: request.id)
        }
    }

    private func result(of request: EnvelopeRequest, session: AgentSession, emit: @escaping Emit) async throws -> Value {
        let p = request.params
        switch request.method {
        case "server/discover":
            return ["supportedVersions": .array(MCPRevision.all.map { .string($0) }), "capabilities": Self.capabilities,
                    "instructions": .string(AgoraMCPServer.instructions), "cacheScope": "public", "ttlMs": 300_000]
        case "ping":
            return [:]
        case "tools/list":
            return try merge(ListTools.Result(tools: ToolCatalog.definitions), ["cacheScope": "public", "ttlMs": 300_000])
        case "tools/call":
            guard case let .string(name)? = p["name"] else { throw RPCError(code: RPCError.invalidParams, message: "params.name is required") }
            var arguments: [String: Value]?
            switch p["arguments"] {
            case let .object(o)?: arguments = o
            case nil, .null?: arguments = nil
            default: throw RPCError(code: RPCError.invalidParams, message: "params.arguments must be an object")
            }
            return try Value(try await ToolCatalog.call(name, arguments: arguments, session: session))
        case "resources/list":
            return try merge(ListResources.Result(resources: try await LedgerResources.list(session)), ["cacheScope": "public", "ttlMs": 0])
        case "resources/templates/list":
            return try merge(ListResourceTemplates.Result(templates: LedgerResources.templates), ["cacheScope": "public", "ttlMs": 300_000])
        case "resources/read":
            guard case let .string(uri)? = p["uri"] else { throw RPCError(code: RPCError.invalidParams, message: "params.uri is required") }
            return try merge(ReadResource.Result(contents: try await LedgerResources.read(uri, session)), ["cacheScope": "private", "ttlMs": 0])
        case "subscriptions/listen":
            return try await listen(request, session: session, emit: emit)
        default:
            throw RPCError(code: RPCError.methodNotFound, message: "Method not found: \(request.method.prefix(100))")
        }
    }

    static let capabilities: Value = [
        "tools": ["listChanged": false],
        "resources": ["subscribe": true, "listChanged": false],
    ]

    /// `resultType` (the revision requires it) and who answered, on every result.
    private func stamped(_ result: Value) -> Value {
        guard case var .object(o) = result else { return result }
        o["resultType"] = "complete"
        var meta: [String: Value] = [:]
        if case let .object(m)? = o["_meta"] { meta = m }
        meta[MCPRevision.serverInfoKey] = ["name": .string(AgoraMCPServer.name), "version": .string(version), "title": "Agora ledger"]
        o["_meta"] = .object(meta)
        return .object(o)
    }

    private func merge<T: Codable>(_ result: T, _ extra: [String: Value]) throws -> Value {
        guard case var .object(o) = try Value(result) else { return try Value(result) }
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    /// `subscriptions/listen`: acknowledges the resource URIs it can watch, then sends
    /// `notifications/resources/updated` for each change until the client goes away — pushed
    /// from the session's change source as blocks commit, or polled without one (stdio).
    private func listen(_ request: EnvelopeRequest, session: AgentSession, emit: @escaping Emit) async throws -> Value {
        guard case let .object(filter)? = request.params["notifications"] else {
            throw RPCError(code: RPCError.invalidParams, message: "params.notifications is required")
        }
        var uris: [String] = []
        if case let .array(items)? = filter["resourceSubscriptions"] {
            guard items.count <= ResourceWatch.maxURIs else {
                throw RPCError(code: RPCError.invalidParams, message: "at most \(ResourceWatch.maxURIs) resource subscriptions per stream")
            }
            for case let .string(uri) in items { uris.append(uri) }
        }
        let stamp: Value = [MCPRevision.subscriptionIDKey: request.id]
        let updated: @Sendable (String) -> Value = { uri in
            ["jsonrpc": "2.0", "method": "notifications/resources/updated", "params": ["uri": .string(uri), "_meta": stamp]]
        }
        if let changes = session.changes {
            // Subscribed before the acknowledgement is sent, so no block committed after it is missed.
            let push = ResourcePush(source: changes)
            for uri in uris {
                if let target = await ResourceWatch.watchable(uri, session: session) { _ = await push.watch(uri, target) }
            }
            let honoured = await push.uris
            let pushing = await push.start(before: { await acknowledge(honoured, stamp: stamp, emit: emit) }) { uri in
                await emit(updated(uri))
                return true
            }
            // Ends when this request's task is cancelled: the client closed the stream, the router
            // dropped it as too slow, or the node is shutting down.
            await withTaskCancellationHandler { _ = await pushing.value } onCancel: { pushing.cancel() }
            return ["_meta": stamp]
        }
        var watch = try await ResourceWatch(uris: uris, session: session)
        await acknowledge(watch.uris, stamp: stamp, emit: emit)
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            for uri in await watch.changed() { await emit(updated(uri)) }
        }
        return ["_meta": stamp]
    }

    /// The first frame of a listen stream: the URIs honoured (the others are left out).
    private func acknowledge(_ uris: [String], stamp: Value, emit: Emit) async {
        await emit(["jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
                    "params": ["notifications": ["resourceSubscriptions": .array(uris.map { .string($0) })], "_meta": stamp]])
    }
}
