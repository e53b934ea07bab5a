import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/api/v1/artifacts`: chunked uploads into the artifact store and verified, streamed
/// downloads (with single `Range` support). The protocol, limits and the reasons for each
/// choice are in docs/artifacts.md; error codes in docs/api.md.
public struct ArtifactDependencies: Sendable {
    public var store: ArtifactStore
    public var uploads: ArtifactUploads
    public var access: any ArtifactAccess
    /// Signed requests name the chain, so a signature made for one network is refused on another.
    public var chainID: String

    public init(store: ArtifactStore, uploads: ArtifactUploads, access: any ArtifactAccess = AuthenticatedUploads(), chainID: String) {
        self.store = store
        self.uploads = uploads
        self.access = access
        self.chainID = chainID
    }
}

extension APIRoutes {
    static let artifactRouteTable: [(method: String, path: String)] = [
        ("POST", "/api/v1/artifacts/uploads"), ("GET", "/api/v1/artifacts/uploads/{id}"), ("DELETE", "/api/v1/artifacts/uploads/{id}"),
        ("PUT", "/api/v1/artifacts/uploads/{id}/chunks/{index}"), ("POST", "/api/v1/artifacts/uploads/{id}/complete"),
        ("GET", "/api/v1/artifacts/{sha256}"), ("HEAD", "/api/v1/artifacts/{sha256}"),
    ]

    static func addArtifactRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        addArtifactUploadRoutes(router, deps)
        addArtifactDownloadRoutes(router, deps)
    }

    /// The artifact store of a node that has one; 503 `artifacts_unavailable` otherwise.
    static func artifacts(_ deps: APIDependencies) throws -> ArtifactDependencies {
        guard let a = deps.artifacts else { throw APIError(.serviceUnavailable, "artifacts_unavailable", "this node has no artifact store") }
        return a
    }

    /// `/api/v1/artifacts/uploads…`: begin, progress, abort, put a chunk, complete.
    static func addArtifactUploadRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        router.post("/api/v1/artifacts/uploads") { request, _ in
            try await beginUpload(request, deps)
        }

        router.get("/api/v1/artifacts/uploads/{id}") { _, context in
            let a = try artifacts(deps)
            let id = try uploadID(context)
            do { return try json(view(try a.uploads.progress(id))) } catch { throw uploadError(error) }
        }

        router.delete("/api/v1/artifacts/uploads/{id}") { _, context in
            let a = try artifacts(deps)
            let id = try uploadID(context)
            do { try a.uploads.abort(id) } catch { throw uploadError(error) }
            return Response(status: .noContent)
        }

        router.put("/api/v1/artifacts/uploads/{id}/chunks/{index}") { request, context in
            try await putChunk(request, context, deps)
        }

        router.post("/api/v1/artifacts/uploads/{id}/complete") { _, context in
            let a = try artifacts(deps)
            let id = try uploadID(context)
            do {
                let done = try a.uploads.complete(id)
                context.logger.info("artifact upload completed", metadata: ["sha256": .string(done.sha256.hex), "upload": .string(id.text)])
                return try json(API.ArtifactView(sha256: done.sha256.hex, size: done.size), status: .created)
            } catch { throw uploadError(error) }
        }
    }

    /// `POST /api/v1/artifacts/uploads`: declares (sha256, size); answers at once when the
    /// artifact is already stored.
    static func beginUpload(_ request: Request, _ deps: APIDependencies) async throws -> Response {
        let a = try artifacts(deps)
        let body = try await decodeBody(API.UploadRequest.self, request, limit: 4096, timeout: deps.limits.requestTimeout,
                                        allowedKeys: ["sha256", "size"], hint: "body must be {\"sha256\": \"<64 hex>\", \"size\": <bytes>}")
        guard body.sha256.utf8.count == 64, let sha = Hash(hex: body.sha256) else {
            throw APIError.badRequest("invalid_artifact_id", "sha256 \"\(body.sha256.prefix(80))\" is not 64 hex digits")
        }
        // An empty artifact is nothing a claim, task or offer can reference (sizes are 1…2^40).
        guard body.size >= 1 else { throw APIError.badRequest("invalid_size", "size \(body.size) must be at least 1 byte") }
        let declaration = ArtifactDeclaration(sha256: sha, size: body.size)
        let principal = try authenticate(request, deps, a, action: .upload, sha256: sha, size: body.size)
        if case let .deny(why) = await a.access.mayUpload(principal, declaration) {
            throw accessDenied(principal, why)
        }
        if let stored = a.store.size(of: sha) {
            return try json(API.UploadView(sha256: sha.hex, size: stored, alreadyStored: true))
        }
        do { return try json(view(try a.uploads.begin(declaration)), status: .created) } catch { throw uploadError(error) }
    }

    /// `PUT /api/v1/artifacts/uploads/{id}/chunks/{index}`: one raw chunk of an upload.
    static func putChunk(_ request: Request, _ context: AgoraRequestContext, _ deps: APIDependencies) async throws -> Response {
        let a = try artifacts(deps)
        let id = try uploadID(context)
        let indexText = try context.parameters.require("index")
        guard indexText.utf8.count <= 9, indexText.utf8.allSatisfy({ (48...57).contains($0) }), let index = Int(indexText) else {
            throw APIError.badRequest("invalid_chunk_index", "chunk index \"\(indexText.prefix(32))\" is not an integer 0…999999999")
        }
        let limit: Int
        do { limit = try a.uploads.chunkLimit(id) } catch { throw uploadError(error) }
        // The chunk limit, not http.maxBodyBytes: chunk bodies are raw bytes of a known
        // maximum size, read once into one buffer; JSON bodies keep their own small limit.
        let chunk = try await collectBody(request, limit: limit, timeout: deps.limits.requestTimeout) {
            APIError(.contentTooLarge, "chunk_too_large", "upload \(id): chunk \(index) exceeds the chunk size of \(limit) bytes")
        }
        do {
            let progress = try chunk.withUnsafeReadableBytes { raw in try a.uploads.put(id, index: index, bytes: raw) }
            return try json(view(progress))
        } catch let e as ArtifactUploads.UploadError { throw uploadError(e) }
    }

    /// `HEAD` and `GET /api/v1/artifacts/{sha256}`: the size, or the verified bytes.
    static func addArtifactDownloadRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        router.head("/api/v1/artifacts/{sha256}") { request, context in
            let a = try artifacts(deps)
            let sha = try artifactID(context)
            try await authorizeRead(request, deps, a, sha)
            guard let size = a.store.size(of: sha) else { throw APIError.notFound("artifact_not_found", "artifact \(sha.hex) is not stored here") }
            var headers = downloadHeaders(sha)
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }

        router.get("/api/v1/artifacts/{sha256}") { request, context in
            let a = try artifacts(deps)
            let sha = try artifactID(context)
            try await authorizeRead(request, deps, a, sha)
            let reader: ArtifactReader
            do { reader = try a.store.open(sha) } catch { throw storeError(error) }
            let range: ClosedRange<Int64>?
            switch ByteRange.parse(request.headers[.range], size: reader.size) {
            case .whole: range = nil
            case let .range(r): range = r
            case .unsatisfiable:
                var e = APIError(.rangeNotSatisfiable, "range_not_satisfiable", "range \(request.headers[.range] ?? "") is outside 0…\(reader.size - 1)")
                e.headers[.contentRange] = "bytes */\(reader.size)"
                throw e
            }
            return try await VerifiedDownload(reader: reader, range: range).response(headers: downloadHeaders(sha), logger: context.logger)
        }
    }

    static func downloadHeaders(_ sha: Hash) -> HTTPFields {
        var h: HTTPFields = [:]
        h[.contentType] = "application/octet-stream"
        h[.acceptRanges] = "bytes"
        h[.eTag] = "\"\(sha.hex)\""
        h[.cacheControl] = "public, max-age=31536000, immutable"
        h[HTTPField.Name("X-Agora-SHA256")!] = sha.hex
        return h
    }

    // MARK: Parsing and authentication

    static func uploadID(_ context: AgoraRequestContext) throws -> ArtifactUploads.UploadID {
        let text = try context.parameters.require("id")
        guard let id = ArtifactUploads.UploadID(text) else {
            throw APIError.badRequest("invalid_upload_id", "upload ID \"\(text.prefix(64))\" is not 32 lowercase hex digits")
        }
        return id
    }

    static func artifactID(_ context: AgoraRequestContext) throws -> Hash {
        let text = try context.parameters.require("sha256")
        guard text.utf8.count == 64, let h = Hash(hex: text) else {
            throw APIError.badRequest("invalid_artifact_id", "artifact ID \"\(text.prefix(80))\" is not a SHA-256 (64 hex digits)")
        }
        return h
    }

    /// Admin bearer token, a signed request, or nobody. A credential that is present but wrong
    /// is an error (401), never a silent downgrade to anonymous.
    static func authenticate(_ request: Request, _ deps: APIDependencies, _ a: ArtifactDependencies, action: ArtifactRequestSignature.Action,
                             sha256: Hash, size: Int64) throws -> ArtifactPrincipal {
        guard let header = request.headers[.authorization] else { return .anonymous }
        if header.hasPrefix("Bearer ") {
            guard let name = deps.tokens.authenticate(String(header.dropFirst("Bearer ".count))) else {
                throw APIError(.unauthorized, "invalid_admin_token", "the admin token is unknown or revoked")
            }
            return .admin(name)
        }
        let prefix = ArtifactRequestSignature.scheme + " "
        guard header.hasPrefix(prefix) else {
            throw APIError(.unauthorized, "unsupported_authorization", "use Authorization: Bearer <admin token> or \(ArtifactRequestSignature.scheme) …")
        }
        do {
            return .key(try ArtifactRequestSignature.verify(String(header.dropFirst(prefix.count)), action: action, chainID: a.chainID,
                                                            sha256: sha256, size: size))
        } catch {
            throw APIError(.unauthorized, "invalid_request_signature", error.description)
        }
    }

    static func authorizeRead(_ request: Request, _ deps: APIDependencies, _ a: ArtifactDependencies, _ sha: Hash) async throws {
        // Reads sign size 0: a reader does not know the size before asking.
        let principal = try authenticate(request, deps, a, action: .read, sha256: sha, size: 0)
        if case let .deny(why) = await a.access.mayRead(principal, artifact: sha) { throw accessDenied(principal, why) }
    }

    static func accessDenied(_ principal: ArtifactPrincipal, _ why: String) -> APIError {
        if principal == .anonymous {
            var e = APIError(.unauthorized, "artifact_auth_required", why)
            e.headers[.wwwAuthenticate] = "Bearer, \(ArtifactRequestSignature.scheme)"
            return e
        }
        return APIError(.forbidden, "artifact_access_denied", "\(principal): \(why)")
    }

    /// Reads a raw body of at most `limit` bytes within `timeout`.
    static func collectBody(_ request: Request, limit: Int, timeout: Duration, tooLarge: @Sendable () -> APIError) async throws -> ByteBuffer {
        let requestBody = request.body
        let outcome = await withTaskGroup(of: BodyOutcome.self) { group in
            group.addTask {
                do { return .body(try await requestBody.collect(upTo: limit)) } catch { return .tooLarge }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
        switch outcome {
        case let .body(b): return b
        case .tooLarge: throw tooLarge()
        case .timedOut: throw APIError(.requestTimeout, "request_timeout", "request body not received within \(timeout)")
        }
    }

    // MARK: Error mapping

    static func view(_ p: ArtifactUploads.Progress) -> API.UploadView {
        API.UploadView(sha256: p.declaration.sha256.hex, size: p.declaration.size, alreadyStored: false, uploadID: p.id.text,
                       chunkBytes: p.chunkBytes, chunkCount: p.chunkCount, nextIndex: p.nextIndex, received: p.received,
                       expiresInMs: Int64(p.expiresIn.components.seconds * 1000) + Int64(p.expiresIn.components.attoseconds / 1_000_000_000_000_000))
    }

    static func uploadError(_ error: any Error) -> any Error {
        guard let error = error as? ArtifactUploads.UploadError else { return error }
        let m = error.description
        switch error {
        case .unknownUpload: return APIError.notFound("upload_not_found", m)
        case .outOfOrder: return APIError(.conflict, "chunk_out_of_order", m)
        case .wrongChunkSize: return APIError.badRequest("wrong_chunk_size", m)
        case .pastDeclaredSize: return APIError.badRequest("chunk_past_declared_size", m)
        case .incomplete: return APIError(.conflict, "upload_incomplete", m)
        case .tooManyUploads:
            var e = APIError(.tooManyRequests, "too_many_uploads", m)
            e.headers[.retryAfter] = "5"
            return e
        case let .store(s): return storeError(s)
        }
    }

    static func storeError(_ error: any Error) -> any Error {
        guard let error = error as? ArtifactError else { return error }
        let m = error.description
        switch error {
        case .hashMismatch: return APIError(.unprocessableContent, "artifact_hash_mismatch", m)
        case .sizeMismatch: return APIError(.unprocessableContent, "artifact_size_mismatch", m)
        case .tooLarge: return APIError(.contentTooLarge, "artifact_too_large", m)
        case .quotaExceeded: return APIError(APIError.insufficientStorageStatus, "artifact_quota_exceeded", m)
        case .notFound: return APIError.notFound("artifact_not_found", m)
        case .corrupted, .truncated: return APIError(.internalServerError, "artifact_corrupted", m)
        case .io where error.isOutOfSpace:
            return APIError(APIError.insufficientStorageStatus, "insufficient_storage", "this node's disk is full: \(m); retry later")
        case .io, .writerClosed: return error
        }
    }
}
