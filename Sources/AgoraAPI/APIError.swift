import Foundation
import Hummingbird
import AgoraCore
import AgoraStorage

/// Every error the API returns: an HTTP status, a stable machine-readable `code`, and a message
/// that names what was wrong (the offending ID or field) and never leaks internals.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields = [:]
    /// On a 410 `pruned`: the lowest height whose blocks this node still serves in full.
    public var earliestHeight: UInt64?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    struct Body: Encodable { let code: String; let message: String; var earliestHeight: UInt64? = nil }

    /// The JSON error body, also written by handlers that answer before the router
    /// (`BodyLimitHandler`).
    static func jsonBody(code: String, message: String, earliestHeight: UInt64? = nil) -> [UInt8] {
        Array((try? JSONEncoder().encode(Body(code: code, message: message, earliestHeight: earliestHeight))) ?? Data())
    }

    /// 410 `pruned`: the data asked for lies below this node's earliest height
    /// (`pruning.keepBlocks`); the body names that height so a client knows what is left here.
    static func pruned(_ message: String, earliest: UInt64) -> APIError {
        var e = APIError(.gone, "pruned", message)
        e.earliestHeight = earliest
        return e
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let data = Self.jsonBody(code: code, message: message, earliestHeight: earliestHeight)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The same error with a `Retry-After` header (whole seconds, at least 1).
    func retrying(after seconds: Int) -> APIError {
        var e = self
        e.headers[.retryAfter] = String(max(1, seconds))
        return e
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }

    /// 507: the node's disk is full. The request may succeed once an operator frees space.
    static let insufficientStorageStatus = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

    /// A storage failure a client should see by name rather than as a 500: damaged data is a
    /// 503 `storage_corrupt` (the node is not ready; another node can answer), a full disk a
    /// 507 `insufficient_storage`. Other storage errors stay internal (nil).
    static func storage(_ error: StorageError) -> APIError? {
        switch error {
        case .corrupt, .malformed, .startupCheck:
            var e = APIError(.serviceUnavailable, "storage_corrupt",
                             "this node's stored data is damaged (\(error)); it is not ready, ask another node")
            e.headers[.retryAfter] = "60"
            return e
        case .diskFull:
            return APIError(insufficientStorageStatus, "insufficient_storage", "this node's disk is full; retry later")
        case let .pruned(_, earliest):
            return pruned(error.description, earliest: earliest)
        default:
            return nil
        }
    }
    static func notFound(_ code: String, _ message: String) -> APIError { APIError(.notFound, code, message) }

    /// Parses an address from a path or query parameter: a bad one is a 400 `invalid_address`
    /// naming the field and what is wrong with it (`AddressError`: bad checksum, old hex form, …).
    static func address(_ text: some StringProtocol, field: String) throws(APIError) -> Address {
        do { return try Address.parse(String(text)) } catch {
            throw badRequest("invalid_address", "\(field) \"\(text.prefix(100))\" \(error)")
        }
    }
}

/// Turns every error into the JSON error shape: Hummingbird's own (unknown route, body too
/// large) get codes too, and anything unexpected becomes a 500 whose detail goes to the log only.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let mapped: APIError
            switch error.status {
            case .notFound:
                let allowed = APIRoutes.allowedMethods(path: request.uri.path)
                if allowed.isEmpty {
                    mapped = APIError(.notFound, "not_found", "no route for \(request.method) \(request.uri.path)")
                } else {
                    var e = APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: ", "))")
                    e.headers[.allow] = allowed.joined(separator: ", ")
                    mapped = e
                }
            case .contentTooLarge: mapped = APIError(.contentTooLarge, "body_too_large", "request body exceeds the limit")
            case .methodNotAllowed: mapped = APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path)")
            default: mapped = APIError(error.status, "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
            }
            return try mapped.response(from: request, context: context)
        } catch let error as StorageError {
            if case .pruned = error {} else {
                context.logger.error("storage failure", metadata: ["error": .string("\(error)"), "path": .string(request.uri.path)])
            }
            let mapped = APIError.storage(error) ?? APIError(.internalServerError, "internal", "internal error; see the node log")
            return try mapped.response(from: request, context: context)
        } catch is CancellationError {
            return try APIError(.serviceUnavailable, "shutting_down", "the node is shutting down").response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": .string("\(error)"), "path": .string(request.uri.path)])
            return try APIError(.internalServerError, "internal", "internal error; see the node log").response(from: request, context: context)
        }
    }
}
