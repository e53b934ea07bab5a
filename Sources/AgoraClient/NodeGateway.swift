import AgoraAPIModels
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A typed client of one node's HTTP API: JSON requests decoded into the API's own view types,
/// with failures separated the way a caller acts on them — the node could not be reached, the
/// node refused (its JSON error code and message, kept verbatim), or the node answered
/// something this client does not understand. The MCP server and the market client use it;
/// nothing here retries, because only the caller knows whether a request is idempotent.
///
/// ```swift
/// let gateway = NodeGateway(base: "http://127.0.0.1:8645")
/// let status = try await gateway.get("/api/v1/status", as: API.StatusView.self)
/// ```
public struct NodeGateway: Sendable {
    /// The node's base URL, without a trailing slash (`http://127.0.0.1:8645`).
    public let base: String
    /// Seconds each request may take.
    public var timeout: TimeInterval

    /// - Parameters:
    ///   - base: the node's URL; a trailing slash is dropped.
    ///   - timeout: seconds each request may take (default 30).
    public init(base: String, timeout: TimeInterval = 30) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.timeout = timeout
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidURL(String)
        case unreachable(base: String, reason: String)
        /// The node answered with an error: HTTP status and the API's error code and message.
        case refused(status: Int, code: String, message: String)
        /// The node is at capacity for this request (503/429 with `Retry-After`): come back
        /// after `retryAfter` seconds (docs/mempool.md).
        case busy(status: Int, code: String, message: String, retryAfter: Int)
        case unexpectedResponse(path: String, reason: String)

        public var description: String {
            switch self {
            case let .invalidURL(u): return "invalid node URL \(u)"
            case let .unreachable(b, r): return "cannot reach node at \(b): \(r)"
            case let .refused(s, c, m): return "\(s) \(c): \(m)"
            case let .busy(s, c, m, r): return "\(s) \(c): \(m) (Retry-After: \(r) s)"
            case let .unexpectedResponse(p, r): return "unexpected response from \(p): \(r)"
            }
        }

        public var isNotFound: Bool { if case let .refused(status, _, _) = self { return status == 404 }; return false }
    }

    private struct ErrorBody: Decodable { let code: String; let message: String }

    /// `GET path`, decoded as `T` (one of the views in `AgoraAPIModels`).
    /// - Throws: ``Failure``: `unreachable`, `refused` with the node's code, `unexpectedResponse`.
    public func get<T: Decodable>(_ path: String, as: T.Type) async throws -> T {
        try decode(path, try await send("GET", path, body: nil, contentType: nil, headers: [:]))
    }

    /// nil when the node answers 404.
    public func find<T: Decodable>(_ path: String, as: T.Type) async throws -> T? {
        do { return try await get(path, as: T.self) } catch let f as Failure where f.isNotFound { return nil }
    }

    /// `POST path` with `body` as JSON, the answer decoded as `T`.
    /// - Throws: ``Failure``.
    public func post<B: Encodable, T: Decodable>(_ path: String, _ body: B, as: T.Type) async throws -> T {
        let data: Data
        do { data = try JSONEncoder().encode(body) } catch { throw Failure.unexpectedResponse(path: path, reason: "cannot encode request: \(error)") }
        return try decode(path, try await send("POST", path, body: data, contentType: "application/json", headers: [:]))
    }

    /// A raw request: the body of a 2xx answer, or the node's error as `Failure.refused`.
    public func send(_ method: String, _ path: String, body: Data?, contentType: String?, headers: [String: String]) async throws -> Data {
        guard let url = URL(string: base + path) else { throw Failure.invalidURL(base + path) }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let data: Data, response: URLResponse
        do { (data, response) = try await ShieldedRequest.data(for: request) } catch {
            throw Failure.unreachable(base: base, reason: error.localizedDescription)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            if let e = try? JSONDecoder().decode(ErrorBody.self, from: data) {
                if status == 503 || status == 429,
                   let seconds = ((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After")).flatMap({ Int($0) }) {
                    throw Failure.busy(status: status, code: e.code, message: e.message, retryAfter: seconds)
                }
                throw Failure.refused(status: status, code: e.code, message: e.message)
            }
            throw Failure.refused(status: status, code: "http_\(status)", message: "\(method) \(path) answered \(status)")
        }
        return data
    }

    private func decode<T: Decodable>(_ path: String, _ data: Data) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw Failure.unexpectedResponse(path: path, reason: "\(error)")
        }
    }
}
