import Foundation
import MCP

/// The MCP revisions Agora speaks and how a message says which one it uses.
///
/// 2025-06-18 and 2025-11-25 (and the two before) negotiate once, with `initialize`, and then
/// live in a session; the swift-sdk's `Server` handles them. 2026-07-28 has no handshake and no
/// session: a client learns the server with `server/discover`, and every request carries the
/// revision, the client's capabilities and (optionally) its info in `params._meta`. The SDK does
/// not know that revision (0.12.1), so `ModernDispatcher` serves it, over stdio
/// (`ModernStdioTransport`) and `/mcp` (`MCPSessionRouter`) alike.
public enum MCPRevision {
    /// Revisions without a handshake.
    public static let modern = ["2026-07-28"]
    /// Revisions negotiated by `initialize` (the SDK's set), newest first.
    public static let handshake = MCP.Version.supported.sorted(by: >)
    /// Everything served, newest first: what `server/discover` and -32022 name.
    public static var all: [String] { modern + handshake }

    static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    static let subscriptionIDKey = "io.modelcontextprotocol/subscriptionId"

    /// Whether a decoded message is a 2026-07-28-style request: `server/discover`, or any
    /// request whose `_meta` names a protocol version (an unknown one included, so that it
    /// gets the revision's error rather than a session error).
    static func isEnvelopeRequest(_ message: [String: Value]) -> Bool {
        guard case let .string(method)? = message["method"], message["id"] != nil else { return false }
        if method == "server/discover" { return true }
        guard case let .object(params)? = message["params"], case let .object(meta)? = params["_meta"] else { return false }
        return meta[protocolVersionKey] != nil
    }
}

/// A JSON-RPC error as MCP defines it, with the HTTP status the 2026-07-28 transport gives it.
struct RPCError: Error, Sendable, Equatable {
    let code: Int
    let message: String
    var data: Value?

    static let parseError = -32700, invalidRequest = -32600, methodNotFound = -32601, invalidParams = -32602
    static let internalError = -32603, headerMismatch = -32020, unsupportedProtocolVersion = -32022

    static func unsupported(_ requested: String) -> RPCError {
        RPCError(code: unsupportedProtocolVersion, message: "Unsupported protocol version \"\(requested.prefix(40))\"",
                 data: ["supported": .array(MCPRevision.all.map { .string($0) }), "requested": .string(String(requested.prefix(100)))])
    }

    init(code: Int, message: String, data: Value? = nil) {
        self.code = code; self.message = message; self.data = data
    }

    init(_ error: MCPError) {
        self.init(code: error.code, message: error.errorDescription ?? "\(error)")
    }

    /// The status the transport spec gives each code; handler errors not listed are 200.
    var httpStatus: Int {
        switch code {
        case Self.parseError, Self.invalidRequest, Self.invalidParams, Self.headerMismatch, -32021, Self.unsupportedProtocolVersion: return 400
        case Self.methodNotFound: return 404
        default: return 200
        }
    }

    func response(id: Value?) -> Value {
        var error: [String: Value] = ["code": .int(code), "message": .string(message)]
        if let data { error["data"] = data }
        return ["jsonrpc": "2.0", "id": id ?? .null, "error": .object(error)]
    }
}

/// One 2026-07-28 request whose envelope passed the checks.
struct EnvelopeRequest: Sendable {
    let id: Value
    let method: String
    let params: [String: Value]
    let version: String

    /// Checks the envelope the way the revision's request ladder does: `_meta` carries the
    /// protocol version and client capabilities; over HTTP the `MCP-Protocol-Version`,
    /// `Mcp-Method` and `Mcp-Name` headers agree with the body (-32020 otherwise); the version
    /// is one served (-32022 naming the served ones otherwise).
    static func parse(_ message: [String: Value], headers: [String: String]?) -> Result<EnvelopeRequest, RPCError> {
        guard let id = message["id"], case let .string(method)? = message["method"] else {
            return .failure(RPCError(code: RPCError.invalidRequest, message: "not a JSON-RPC request"))
        }
        guard case let .object(params)? = message["params"], case let .object(meta)? = params["_meta"],
              let version = meta[MCPRevision.protocolVersionKey], meta[MCPRevision.clientCapabilitiesKey] != nil else {
            return .failure(RPCError(code: RPCError.invalidParams, message:
                "params._meta must carry \"\(MCPRevision.protocolVersionKey)\" and \"\(MCPRevision.clientCapabilitiesKey)\""))
        }
        if let headers {
            guard case let .string(v) = version, headers["mcp-protocol-version"] == v else {
                return .failure(RPCError(code: RPCError.headerMismatch, message: "MCP-Protocol-Version header does not match params._meta"))
            }
            guard headers["mcp-method"] == method else {
                return .failure(RPCError(code: RPCError.headerMismatch, message: "Mcp-Method header does not match the request's method"))
            }
            let nameKey = ["tools/call": "name", "prompts/get": "name", "resources/read": "uri"][method]
            if let nameKey, case let .string(name)? = params[nameKey], headers["mcp-name"].map(Self.decodeHeader) != name {
                return .failure(RPCError(code: RPCError.headerMismatch, message: "Mcp-Name header does not match params.\(nameKey)"))
            }
        }
        guard case let .string(v) = version else {
            return .failure(RPCError(code: RPCError.invalidParams, message: "the protocol version in params._meta must be a string"))
        }
        guard MCPRevision.modern.contains(v) else { return .failure(.unsupported(v)) }
        return .success(EnvelopeRequest(id: id, method: method, params: params, version: v))
    }

    /// Header values that are not plain tokens travel as `=?base64?…?=`.
    static func decodeHeader(_ raw: String) -> String {
        guard raw.hasPrefix("=?base64?"), raw.hasSuffix("?="), raw.count >= 11 else { return raw }
        let payload = raw.dropFirst(9).dropLast(2)
        guard let data = Data(base64Encoded: String(payload)), let s = String(data: data, encoding: .utf8) else { return raw }
        return s
    }
}
