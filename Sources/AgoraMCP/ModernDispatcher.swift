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
    /// How often a listen stream checks its resources for changes.
    var pollInterval: Duration = ResourceWatch.pollInterval

    public init(version: String) { self.version = version }

    /// Sends one notification on the request's own stream (a listen stream's frames).
    public typealias Emit = @Sendable (Value) async -> Void

    /// The JSON-RPC response to `request`; `emit` carries notifications sent before it.
    func respond(to request: EnvelopeRequest, session: AgentSession, emit: Emit) async -> Value {
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

    private func result(of request: EnvelopeRequest, session: AgentSession, emit: Emit) async throws -> Value {
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
    /// `notifications/resources/updated` for each change until the client goes away.
    private func listen(_ request: EnvelopeRequest, session: AgentSession, emit: Emit) async throws -> Value {
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
        var watch = try await ResourceWatch(uris: uris, session: session)
        let stamp: Value = [MCPRevision.subscriptionIDKey: request.id]
        await emit(["jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
                    "params": ["notifications": ["resourceSubscriptions": .array(watch.uris.map { .string($0) })], "_meta": stamp]])
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            for uri in await watch.changed() {
                await emit(["jsonrpc": "2.0", "method": "notifications/resources/updated", "params": ["uri": .string(uri), "_meta": stamp]])
            }
        }
        return ["_meta": stamp]
    }
}
