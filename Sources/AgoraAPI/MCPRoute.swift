import AgoraAPIModels
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// Mounts the `/mcp` seam (`MCPEndpoint`, in AgoraAPIModels) on the router.
extension APIRoutes {
    /// At most this much JSON-RPC per request: an inline artifact (4 MiB as base64) plus envelope.
    public static let mcpMaxBodyBytes = 6 * 1024 * 1024

    static func addMCPRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        guard let endpoint = deps.mcp else { return }
        @Sendable func forward(_ request: Request) async throws -> Response {
            var body: Data?
            if request.method == .post {
                let buffer = try await collectBody(request, limit: mcpMaxBodyBytes, timeout: deps.limits.requestTimeout) {
                    APIError(.contentTooLarge, "body_too_large", "MCP request body exceeds \(mcpMaxBodyBytes) bytes")
                }
                body = Data(buffer.readableBytesView)
            }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            var query: [String: String] = [:]
            for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
            let answer = await endpoint.handle(MCPHTTPRequest(method: request.method.rawValue, headers: headers, query: query, body: body))
            switch answer {
            case let .complete(status, h, data):
                var response = Response(status: .init(code: status), headers: fields(h),
                                        body: data.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody())
                if data == nil { response.headers[.contentLength] = "0" }
                return response
            case let .stream(status, h, events):
                let body = ResponseBody(asyncSequence: events.map { ByteBuffer(bytes: $0) })
                return Response(status: .init(code: status), headers: fields(h), body: body)
            }
        }
        router.post("/mcp") { request, _ in try await forward(request) }
        router.get("/mcp") { request, _ in try await forward(request) }
        router.delete("/mcp") { request, _ in try await forward(request) }
    }

    private static func fields(_ h: [String: String]) -> HTTPFields {
        var f = HTTPFields()
        for (k, v) in h { if let name = HTTPField.Name(k) { f[name] = v } }
        return f
    }
}
