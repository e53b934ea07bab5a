import AgoraLedger
import Dispatch
import Foundation
import HTTPTypes
import Hummingbird

/// Takes `X-Request-ID` (or makes one), puts it on the logger so every line of the request
/// carries it, and returns it on the response.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    static let header = HTTPField.Name("X-Request-ID")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let given = request.headers[RequestIDMiddleware.header]
        let id = given.flatMap { $0.utf8.count <= 128 && $0.allSatisfy { $0.isASCII && !$0.isWhitespace } ? $0 : nil } ?? context.id
        context.requestID = id
        context.logger[metadataKey: "correlation_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[RequestIDMiddleware.header] = id
        return response
    }
}

/// Requests by method, route template and status, and latency by route. Unknown paths share
/// one route label so a scan cannot create unbounded series.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    let metrics: NodeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        metrics.apiRequest(method: request.method.rawValue, route: route, status: response.status.code,
                           seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return response
    }
}

/// CORS with an explicit allowlist, exact match only (no wildcard). Requests from other origins
/// get no CORS headers, so browsers block them; preflights from them get 403.
struct CORSAllowlistMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    let origins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = origins.contains(origin)
        if request.method == .options {
            guard allowed else { throw APIError(.forbidden, "origin_not_allowed", "origin \(origin) is not allowed") }
            var r = Response(status: .noContent)
            r.headers[.accessControlAllowOrigin] = origin
            r.headers[.accessControlAllowMethods] = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
            r.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Range, X-Request-ID"
            r.headers[.accessControlMaxAge] = "600"
            r.headers[.vary] = "Origin"
            return r
        }
        var response = try await next(request, context)
        if allowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "X-Request-ID, Retry-After"
            response.headers[.vary] = "Origin"
        }
        return response
    }
}

/// Per-IP token bucket; over the limit a client gets 429 with Retry-After. Health and metrics
/// are exempt so that monitoring keeps working while a client is throttled.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    let limiter: RateLimiter
    let metrics: NodeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/health") || path == "/metrics" { return try await next(request, context) }
        if case let .limited(retryAfter) = limiter.check(context.clientIP) {
            metrics.apiLimited("rate")
            var e = APIError(.tooManyRequests, "rate_limited", "too many requests from \(context.clientIP); retry after \(Int(retryAfter.rounded(.up))) s")
            e.headers[.retryAfter] = String(max(1, Int(retryAfter.rounded(.up))))
            throw e
        }
        return try await next(request, context)
    }
}

/// Admin routes need `Authorization: Bearer <token>` naming a live token. Every attempt,
/// allowed or denied, goes to the audit log.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    let tokens: AdminTokens
    let audit: AuditLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let action = "\(request.method) \(request.uri.path)"
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            audit.record(action: action, token: nil, remote: context.clientIP, result: "denied", detail: "no token")
            var e = APIError(.unauthorized, "admin_token_required", "admin endpoints need Authorization: Bearer <token>")
            e.headers[.wwwAuthenticate] = "Bearer"
            throw e
        }
        guard let name = tokens.authenticate(String(header.dropFirst("Bearer ".count))) else {
            audit.record(action: action, token: nil, remote: context.clientIP, result: "denied", detail: "unknown or revoked token")
            var e = APIError(.unauthorized, "invalid_admin_token", "the admin token is unknown or revoked")
            e.headers[.wwwAuthenticate] = "Bearer"
            throw e
        }
        var context = context
        context.adminName = name
        do {
            let response = try await next(request, context)
            audit.record(action: action, token: name, remote: context.clientIP, result: response.status.code < 400 ? "ok" : "failed",
                         detail: "status \(response.status.code)")
            return response
        } catch let error as APIError {
            audit.record(action: action, token: name, remote: context.clientIP, result: "failed", detail: "\(error.status.code) \(error.code)")
            throw error
        } catch {
            audit.record(action: action, token: name, remote: context.clientIP, result: "failed", detail: "internal error")
            throw error
        }
    }
}
