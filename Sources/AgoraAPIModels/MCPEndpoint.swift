import Foundation

/// The node's `/mcp` endpoint (MCP streamable HTTP). The API only carries requests to an
/// `MCPEndpoint` and streams its answers back; the MCP sessions, identities and tools live in
/// the AgoraMCP module, which the composition root plugs in. Kept behind this seam so the API
/// does not depend on the MCP SDK, and so `/mcp` is absent (404) when a node runs without it.
public protocol MCPEndpoint: Sendable {
    func handle(_ request: MCPHTTPRequest) async -> MCPHTTPResponse
}

public struct MCPHTTPRequest: Sendable {
    public var method: String
    /// Header names as sent; lookups should be case-insensitive.
    public var headers: [String: String]
    public var query: [String: String]
    public var body: Data?

    public init(method: String, headers: [String: String], query: [String: String], body: Data?) {
        self.method = method; self.headers = headers; self.query = query; self.body = body
    }
}

public enum MCPHTTPResponse: Sendable {
    case complete(status: Int, headers: [String: String], body: Data?)
    /// A server-sent-event stream: each element is already framed.
    case stream(status: Int, headers: [String: String], events: AsyncThrowingStream<Data, Error>)
}
