import AgoraAPIModels
import Foundation
import MCP

/// Who may use `/mcp`, request by request. Without tokens (no `mcp.token`, no per-agent token in
/// `mcp-tokens.json`) anyone who reaches the port may act as any agent of the key directory —
/// a loopback-only node, `agora dev` among them. Once either exists, every request needs
/// `Authorization: Bearer …`: missing or unknown → 401 with `WWW-Authenticate: Bearer` (RFC 6750);
/// an agent's token acts as that agent only, and naming another (`?agent=`, `Agora-Agent`, or
/// a session opened as another) → 403 `insufficient_scope`, as MCP's authorization spec asks.
extension MCPSessionRouter {
    /// What the request's credentials allow.
    enum Grant: Equatable {
        /// No tokens are configured, or the node-wide `mcp.token` was given: any agent.
        case anyAgent
        /// An agent's own token.
        case agent(String)
    }

    enum AuthRefusal: Error {
        case missing, invalid
        case foreignAgent(token: String, asked: String)

        func response(id: Any? = nil) -> MCPHTTPResponse {
            let challenge: String
            let status: Int
            let message: String
            switch self {
            case .missing:
                status = 401
                challenge = #"Bearer realm="agora-mcp""#
                message = "Unauthorized: /mcp needs Authorization: Bearer <token> (agora mcp token create --agent NAME)"
            case .invalid:
                status = 401
                challenge = #"Bearer realm="agora-mcp", error="invalid_token", error_description="unknown or revoked token""#
                message = "Unauthorized: the bearer token is unknown or revoked"
            case let .foreignAgent(token, asked):
                status = 403
                challenge = #"Bearer realm="agora-mcp", error="insufficient_scope", error_description="the token acts as another agent""#
                message = "Forbidden: this token acts as agent \"\(token)\", not \"\(asked.prefix(64))\""
            }
            guard case let .complete(_, headers, body) = MCPSessionRouter.jsonRPCError(status: status, id: id, code: -32600, message: message) else {
                return .complete(status: status, headers: ["WWW-Authenticate": challenge], body: nil)
            }
            var h = headers
            h["WWW-Authenticate"] = challenge
            return .complete(status: status, headers: h, body: body)
        }
    }

    func authorize(_ headers: [String: String]) -> Result<Grant, AuthRefusal> {
        let shared = configuration.bearerToken
        let agentTokens = configuration.agentTokens
        guard shared != nil || agentTokens?.isEmpty == false else { return .success(.anyAgent) }
        guard let value = headers["authorization"], value.hasPrefix("Bearer ") else { return .failure(.missing) }
        let token = String(value.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        if let shared, token.utf8.count == shared.utf8.count, Array(token.utf8) == Array(shared.utf8) { return .success(.anyAgent) }
        if let entry = agentTokens?.authenticate(token) { return .success(.agent(entry.agent)) }
        return .failure(.invalid)
    }

    /// The agent a new session or a session-less request acts as: the one it names (the
    /// token's, when the token is an agent's), or nobody.
    func resolveAgent(query: [String: String], headers: [String: String], grant: Grant) -> Result<AgentKeyring.Agent?, AgentRefusal> {
        var name = query["agent"] ?? headers["agora-agent"]
        if name?.isEmpty == true { name = nil }
        if case let .agent(own) = grant {
            if let name, name != own { return .failure(.auth(.foreignAgent(token: own, asked: name))) }
            name = own
        }
        guard let name else { return .success(nil) }
        do { return .success(try select(name)) } catch { return .failure(.agent("\(error)")) }
    }

    enum AgentRefusal: Error {
        case auth(AuthRefusal)
        case agent(String)

        func response(id: Any? = nil) -> MCPHTTPResponse {
            switch self {
            case let .auth(a): return a.response(id: id)
            case let .agent(why): return MCPSessionRouter.jsonRPCError(status: 400, id: id, code: -32602, message: "Invalid agent: \(why)")
            }
        }

        var response: MCPHTTPResponse { response(id: nil) }
    }
}

extension MCPSessionRouter.AuthRefusal {
    var response: MCPHTTPResponse { response(id: nil) }
}
