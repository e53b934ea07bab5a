import AgoraAPIModels
import AgoraClient
import Foundation
import Logging
import MCP

/// The node's `/mcp` endpoint: MCP streamable HTTP with one MCP server per session. An
/// `initialize` without a session creates one, acting as the agent named by `?agent=NAME` (or
/// the `Agora-Agent` header) from the node's key directory, or as nobody (read-only tools) when
/// none is named; later requests carry `Mcp-Session-Id` and go to that session's transport
/// (the SDK's `StatefulHTTPServerTransport`, which streams answers as SSE). Sessions idle for
/// `idleTimeout` are closed, and at most `maxSessions` live at once.
///
/// A request without a session that is not `initialize` is answered the way MCP clients
/// negotiate by: an unknown method (such as the 2.x client's `server/discover` probe) gets
/// JSON-RPC -32601 so the client falls back to `initialize`; a known one gets "missing session".
public actor MCPSessionRouter: MCPEndpoint {
    public struct Configuration: Sendable {
        public var maxSessions = 64
        /// Open `subscriptions/listen` streams at once (each checks the chain once a second).
        public var maxListenStreams = 64
        public var idleTimeout: Duration = .seconds(1800)
        /// When set, every request must carry `Authorization: Bearer <token>` (this one, which may
        /// act as any agent, or an agent's own token).
        public var bearerToken: String?
        /// Per-agent tokens; once one exists, every request needs a token, and an agent's token
        /// acts as that agent only.
        public var agentTokens: MCPAgentTokens?
        /// Browser origins allowed besides localhost (requests without Origin are not browsers).
        public var allowedOrigins: [String] = []
        public var commitTimeout: Double = 30
        /// How often an idle listen stream sends an SSE comment.
        public var listenPing: Duration = .seconds(15)
        /// The agents' key directory, where market secrets are kept beside their keys.
        public var keysDirectory: String?
        /// What resource subscriptions follow (the node's event bus); nil: they poll.
        public var changes: (any LedgerChangeSource)?
        /// Unread frames a listen stream may hold before its client is dropped as too slow.
        public var listenBuffer = 256
        public init() {}
    }

    private struct Session {
        let server: Server
        /// Stopped with the session, so its event-bus subscription ends with it.
        let subscriptions: ResourceSubscriptions
        let transport: StatefulHTTPServerTransport
        let agent: String?
        var lastUsed: ContinuousClock.Instant
    }

    private var keyring: AgentKeyring
    /// The key directory re-read when a session names an agent `keyring` lacks (nil: fixed keyring).
    private let directory: AgentKeyDirectory?
    /// The node's own API; known once its listener is bound (the port may be chosen by the OS).
    private let locateAPI: @Sendable () -> NodeGateway?
    private var bound: (gateway: NodeGateway, senders: AgentSenders)?
    let configuration: Configuration
    private let version: String
    private let logger: Logger
    private var sessions: [String: Session] = [:]
    /// Open `subscriptions/listen` streams (2026-07-28), ended by `closeAll`.
    private var listeners: [UUID: (task: Task<Void, Never>, continuation: AsyncThrowingStream<Data, Error>.Continuation)] = [:]
    private let clock = ContinuousClock()

    public init(keyring: AgentKeyring, configuration: Configuration, version: String, logger: Logger,
                api: @escaping @Sendable () -> NodeGateway?) {
        self.init(keyring: keyring, directory: nil, configuration: configuration, version: version, logger: logger, api: api)
    }

    /// Serves the agents of `directory`, read now and again whenever a session names one that is
    /// missing or could not be opened (a key added or fixed while the node runs).
    public init(directory: AgentKeyDirectory, configuration: Configuration, version: String, logger: Logger,
                api: @escaping @Sendable () -> NodeGateway?) {
        self.init(keyring: directory.scan(), directory: directory, configuration: configuration, version: version,
                  logger: logger, api: api)
    }

    private init(keyring: AgentKeyring, directory: AgentKeyDirectory?, configuration: Configuration, version: String,
                 logger: Logger, api: @escaping @Sendable () -> NodeGateway?) {
        self.keyring = keyring
        self.directory = directory
        self.locateAPI = api
        self.configuration = configuration
        self.version = version
        self.logger = logger
    }

    public var sessionCount: Int { sessions.count }

    /// JSON-RPC methods that exist but need a session.
    static let sessionMethods: Set<String> = [
        "ping", "tools/list", "tools/call", "resources/list", "resources/read", "resources/templates/list",
        "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get", "completion/complete", "logging/setLevel",
    ]

    public func handle(_ request: MCPHTTPRequest) async -> MCPHTTPResponse {
        var headers: [String: String] = [:]
        for (k, v) in request.headers { headers[k.lowercased()] = v }
        let grant: Grant
        switch authorize(headers) {
        case let .success(g): grant = g
        case let .failure(refusal): return refusal.response
        }
        let httpRequest = HTTPRequest(method: request.method, headers: request.headers, body: request.body, path: "/mcp")
        if let id = headers["mcp-session-id"] {
            guard var session = sessions[id] else {
                return Self.jsonRPCError(status: 404, id: nil, code: -32600, message: "Session not found or expired: initialize a new one")
            }
            if case let .agent(name) = grant, session.agent != name {
                return AuthRefusal.foreignAgent(token: name, asked: session.agent ?? "nobody").response
            }
            session.lastUsed = clock.now
            sessions[id] = session
            let answer = await session.transport.handleRequest(httpRequest)
            if request.method == "DELETE", answer.statusCode == 200 { await close(id, reason: "closed by the client") }
            return Self.convert(answer)
        }
        guard request.method == "POST" else {
            return Self.jsonRPCError(status: 400, id: nil, code: -32600, message: "Bad Request: Mcp-Session-Id header is required")
        }
        guard let body = request.body, let message = try? JSONDecoder().decode([String: Value].self, from: body),
              case let .string(method)? = message["method"] else {
            return Self.jsonRPCError(status: 400, id: nil, code: -32700,
                                     message: "Parse error: the body must be one JSON-RPC request object (batches are not accepted)")
        }
        let id: Any? = message["id"].flatMap(Self.rawID)
        if MCPRevision.isEnvelopeRequest(message) {
            return await serveEnvelope(message, headers: headers, query: request.query, grant: grant)
        }
        if method == "initialize", id != nil {
            return await createSession(httpRequest, query: request.query, headers: headers, grant: grant, id: id)
        }
        if message["id"] == nil {
            // A notification at the session-less revision is acknowledged, as its transport says.
            if let v = headers["mcp-protocol-version"], MCPRevision.modern.contains(v) { return .complete(status: 202, headers: [:], body: nil) }
            return Self.jsonRPCError(status: 400, id: nil, code: -32600, message: "Bad Request: Mcp-Session-Id header is required")
        }
        if Self.sessionMethods.contains(method) {
            return Self.jsonRPCError(status: 400, id: id, code: -32600, message: "Bad Request: \(method) needs a session; send initialize first")
        }
        return Self.jsonRPCError(status: 404, id: id, code: -32601, message: "Method not found: \(method.prefix(100))")
    }

    static func rawID(_ v: Value) -> Any? {
        switch v {
        case let .string(s): return s
        case let .int(n): return NSNumber(value: n)
        default: return nil
        }
    }

    /// A 2026-07-28 request: no session; the identity comes with the request (its token, or
    /// `?agent=` / `Agora-Agent`), and `subscriptions/listen` answers as an SSE stream.
    private func serveEnvelope(_ message: [String: Value], headers: [String: String], query: [String: String], grant: Grant) async -> MCPHTTPResponse {
        let request: EnvelopeRequest
        switch EnvelopeRequest.parse(message, headers: headers) {
        case let .success(r): request = r
        case let .failure(e): return Self.json(e.response(id: message["id"]), status: e.httpStatus)
        }
        let agent: AgentKeyring.Agent?
        switch resolveAgent(query: query, headers: headers, grant: grant) {
        case let .success(a): agent = a
        case let .failure(refusal): return refusal.response
        }
        guard let (gateway, senders) = boundAPI() else {
            return Self.json(RPCError(code: -32000, message: "the node's API is not listening yet; retry").response(id: request.id), status: 503)
        }
        var session = AgentSession(gateway: gateway, agent: agent, sender: agent.map { senders.sender(for: $0) },
                                   commitTimeout: configuration.commitTimeout, secretsDirectory: configuration.keysDirectory)
        session.changes = configuration.changes
        let dispatcher = ModernDispatcher(version: version)
        guard request.method == "subscriptions/listen" else {
            let response = await dispatcher.respond(to: request, session: session) { _ in }
            var status = 200
            if case let .object(o) = response, case let .object(e)? = o["error"], case let .int(code)? = e["code"] {
                status = RPCError(code: code, message: "").httpStatus
            }
            return Self.json(response, status: status)
        }
        guard listeners.count < configuration.maxListenStreams else {
            return Self.json(RPCError(code: -32000, message: "Too many listen streams (\(configuration.maxListenStreams)); close one or retry later")
                .response(id: request.id), status: 503)
        }
        guard headers["accept"]?.contains("text/event-stream") == true else {
            return Self.json(RPCError(code: RPCError.invalidRequest, message: "subscriptions/listen answers with text/event-stream: accept it").response(id: request.id),
                             status: 406)
        }
        return .stream(status: 200, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform"],
                       events: openListenStream(request, session: session, dispatcher: dispatcher))
    }

    /// Why the node ended a listen stream itself (logged; the client sees the stream close).
    enum ListenStreamEnd: String, Sendable {
        /// `listenBuffer` frames were still unread: the client stopped reading. Dropped rather
        /// than buffered without bound (notifications are coalesced per URI before this, so a
        /// client merely slower than the chain never gets here).
        case clientTooSlow = "client_too_slow"
    }

    /// A listen stream: the dispatcher's frames, an SSE comment every `listenPing` (so a client
    /// that went away is noticed at the next write), ended by the client, by `closeAll`, or by
    /// the node when the client reads too slowly (`ListenStreamEnd`).
    private func openListenStream(_ request: EnvelopeRequest, session: AgentSession, dispatcher: ModernDispatcher) -> AsyncThrowingStream<Data, Error> {
        let (events, continuation) = AsyncThrowingStream<Data, Error>.makeStream(bufferingPolicy: .bufferingOldest(configuration.listenBuffer))
        let id = UUID()
        let ping = configuration.listenPing
        let logger = logger
        let send: @Sendable (Data) -> Void = { frame in
            guard case .dropped = continuation.yield(frame) else { return }
            logger.warning("MCP listen stream dropped", metadata: ["reason": .string(ListenStreamEnd.clientTooSlow.rawValue)])
            continuation.finish()
        }
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: ping)
                        if !Task.isCancelled { send(Data(": ping\n\n".utf8)) }
                    }
                }
                let final = await dispatcher.respond(to: request, session: session) { frame in send(Self.sseFrame(frame)) }
                if !Task.isCancelled { send(Self.sseFrame(final)) }
                group.cancelAll()
            }
            continuation.finish()
        }
        listeners[id] = (task, continuation)
        continuation.onTermination = { _ in
            task.cancel()
            Task { await self.forgetListener(id) }
        }
        return events
    }

    private func forgetListener(_ id: UUID) { listeners[id] = nil }

    static func sseFrame(_ message: Value) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = (try? encoder.encode(message)) ?? Data("{}".utf8)
        return Data("event: message\ndata: ".utf8) + json + Data("\n\n".utf8)
    }

    static func json(_ message: Value, status: Int) -> MCPHTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return .complete(status: status, headers: ["Content-Type": "application/json"], body: (try? encoder.encode(message)) ?? Data())
    }

    private func boundAPI() -> (gateway: NodeGateway, senders: AgentSenders)? {
        if bound == nil, let gateway = locateAPI() { bound = (gateway, AgentSenders(gateway: gateway)) }
        return bound
    }

    private func createSession(_ request: HTTPRequest, query: [String: String], headers: [String: String], grant: Grant,
                               id: Any?) async -> MCPHTTPResponse {
        let agent: AgentKeyring.Agent?
        switch resolveAgent(query: query, headers: headers, grant: grant) {
        case let .success(a): agent = a
        case let .failure(refusal): return refusal.response(id: id)
        }
        expireIdle()
        guard sessions.count < configuration.maxSessions else {
            return Self.jsonRPCError(status: 503, id: id, code: -32000,
                                     message: "Too many MCP sessions (\(configuration.maxSessions)); close one with DELETE /mcp or retry later")
        }
        guard let (gateway, senders) = boundAPI() else {
            return Self.jsonRPCError(status: 503, id: id, code: -32000, message: "the node's API is not listening yet; retry")
        }
        let sessionID = UUID().uuidString.lowercased()
        let transport = StatefulHTTPServerTransport(
            sessionIDGenerator: FixedSessionID(value: sessionID),
            validationPipeline: StandardValidationPipeline(validators: [
                BrowserOriginValidator(allowed: configuration.allowedOrigins),
                AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(), ProtocolVersionValidator(), SessionValidator(),
            ]),
            logger: logger)
        var session = AgentSession(gateway: gateway, agent: agent, sender: agent.map { senders.sender(for: $0) },
                                   commitTimeout: configuration.commitTimeout, secretsDirectory: configuration.keysDirectory)
        session.changes = configuration.changes
        let (server, subscriptions) = await AgoraMCPServer.makeSession(session: session, version: version)
        do { try await server.start(transport: transport) } catch {
            return Self.jsonRPCError(status: 500, id: id, code: -32603, message: "cannot start the session: \(error)")
        }
        let answer = await transport.handleRequest(request)
        guard answer.statusCode == 200 else {
            await server.stop()
            return Self.convert(answer)
        }
        sessions[sessionID] = Session(server: server, subscriptions: subscriptions, transport: transport, agent: agent?.name,
                                      lastUsed: clock.now)
        logger.info("MCP session opened", metadata: ["session": .string(sessionID), "agent": .string(agent?.name ?? "-")])
        return Self.convert(answer)
    }

    /// The agent named `name`; on a miss, the key directory is read again first.
    func select(_ name: String) throws(AgentKeyring.Selection) -> AgentKeyring.Agent {
        do { return try keyring.agent(named: name) } catch {
            if case .invalidName = error { throw error }
            guard let directory else { throw error }
            keyring = directory.scan()
            logger.info("MCP agent keys re-read", metadata: ["keys": .string(directory.path),
                                                            "agents": .string(keyring.agents.keys.sorted().joined(separator: ","))])
            return try keyring.agent(named: name)
        }
    }

    private func expireIdle() {
        let now = clock.now
        for (id, s) in sessions where now - s.lastUsed > configuration.idleTimeout {
            sessions[id] = nil
            let server = s.server
            let subscriptions = s.subscriptions
            Task {
                await subscriptions.stop()
                await server.stop()
            }
            logger.info("MCP session expired", metadata: ["session": .string(id)])
        }
    }

    private func close(_ id: String, reason: String) async {
        guard let s = sessions.removeValue(forKey: id) else { return }
        await s.subscriptions.stop()
        await s.server.stop()
        logger.info("MCP session closed", metadata: ["session": .string(id), "reason": .string(reason)])
    }

    /// Closes every session and listen stream (node shutdown: an open stream would hold the
    /// HTTP server's graceful stop until its deadline).
    public func closeAll() async {
        for id in sessions.keys { await close(id, reason: "node shutting down") }
        for (_, listener) in listeners {
            listener.task.cancel()
            listener.continuation.finish()
        }
        listeners = [:]
    }

    public var listenerCount: Int { listeners.count }

    static func convert(_ r: HTTPResponse) -> MCPHTTPResponse {
        switch r {
        case let .stream(events, headers): return .stream(status: r.statusCode, headers: headers, events: events)
        default: return .complete(status: r.statusCode, headers: r.headers, body: r.bodyData)
        }
    }

    static func jsonRPCError(status: Int, id: Any?, code: Int, message: String) -> MCPHTTPResponse {
        var object: [String: Any] = ["jsonrpc": "2.0", "error": ["code": code, "message": message]]
        switch id {
        case let s as String: object["id"] = s
        case let n as NSNumber: object["id"] = n
        default: object["id"] = NSNull()
        }
        let body = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return .complete(status: status, headers: ["Content-Type": "application/json"], body: body)
    }
}

private struct FixedSessionID: SessionIDGenerator {
    let value: String
    func generateSessionID() -> String { value }
}

/// DNS-rebinding protection without pinning the Host: a browser always sends Origin on a
/// cross-site request, so a request with an Origin that is neither localhost nor configured is
/// refused; programs (which send no Origin) may address the node by any name it is reachable as.
struct BrowserOriginValidator: HTTPRequestValidator {
    let allowed: [String]

    func validate(_ request: HTTPRequest, context: HTTPValidationContext) -> HTTPResponse? {
        guard let origin = request.header(HTTPHeaderName.origin) else { return nil }
        if allowed.contains(origin) { return nil }
        if let url = URL(string: origin), let host = url.host, ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) { return nil }
        return .error(statusCode: 403, .invalidRequest("Forbidden: Origin \(origin.prefix(100)) is not allowed"), sessionID: context.sessionID)
    }
}
