import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The artifact routes over a real store: the upload protocol end to end, every bad input the
/// issue lists, authentication, and verified downloads with ranges.
@Suite("Artifact API")
struct ArtifactAPITests {
    struct Harness {
        let base: APIHarness
        let store: ArtifactStore
        let uploads: ArtifactUploads
        let token: String
        var app: some ApplicationProtocol {
            var deps = base.deps
            deps.artifacts = ArtifactDependencies(store: store, uploads: uploads, chainID: "api-test")
            return Application(router: APIRoutes.router(deps))
        }

        init(chunkBytes: Int = 64 * 1024, ttl: Duration = .seconds(600), maxBytes: Int64 = 1 << 30, maxUploads: Int = 64) throws {
            base = try APIHarness()
            var limits = ArtifactStore.Limits()
            limits.maxArtifactBytes = maxBytes
            store = try ArtifactStore(root: NSTemporaryDirectory() + "agora-api-artifacts-\(UUID().uuidString)", limits: limits)
            var config = ArtifactUploads.Config()
            config.chunkBytes = chunkBytes
            config.ttl = ttl
            config.maxUploads = maxUploads
            uploads = ArtifactUploads(store: store, config: config)
            token = try base.tokens.create(name: "ops")
        }
    }

    static func bytes(_ n: Int, seed: Int = 0) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed) } }
    var admin: HTTPFields { [:] }

    func start(_ client: some TestClientProtocol, _ h: Harness, sha: Hash, size: Int, auth: String? = nil,
               expect status: HTTPResponse.Status = .created) async throws -> API.UploadView? {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.authorization] = auth ?? "Bearer \(h.token)"
        return try await client.execute(uri: "/api/v1/artifacts/uploads", method: .post, headers: headers,
                                        body: body(API.UploadRequest(sha256: sha.hex, size: Int64(size)))) { r in
            #expect(r.status == status, "\(String(buffer: r.body))")
            return r.status.code < 300 ? try decode(API.UploadView.self, r.body) : nil
        }
    }

    func put(_ client: some TestClientProtocol, _ id: String, _ index: Int, _ bytes: ArraySlice<UInt8>) async throws -> (HTTPResponse.Status, String?) {
        try await client.execute(uri: "/api/v1/artifacts/uploads/\(id)/chunks/\(index)", method: .put,
                                 headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: bytes)) { r in
            (r.status, r.status.code >= 400 ? try decode(ErrorBody.self, r.body).code : nil)
        }
    }

    @Test("upload in chunks, complete, then HEAD, GET and ranges return the verified bytes")
    func roundTrip() async throws {
        let h = try Harness()
        let data = Self.bytes(200_000)
        let sha = Hash.sha256(data)
        try await h.app.test(.router) { client in
            let u = try #require(try await start(client, h, sha: sha, size: data.count))
            #expect(u.chunkBytes == 65_536 && u.chunkCount == 4 && u.nextIndex == 0 && !u.alreadyStored)
            let id = try #require(u.uploadID)
            for i in 0..<4 {
                let (s, _) = try await put(client, id, i, data[(i * 65_536)..<min((i + 1) * 65_536, data.count)])
                #expect(s == .ok)
            }
            try await client.execute(uri: "/api/v1/artifacts/uploads/\(id)/complete", method: .post) { r in
                #expect(r.status == .created)
                let v = try decode(API.ArtifactView.self, r.body)
                #expect(v.sha256 == sha.hex && v.size == 200_000)
            }
            try await client.execute(uri: "/api/v1/artifacts/\(sha.hex)", method: .head) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentLength] == "200000")
                #expect(r.headers[.eTag] == "\"\(sha.hex)\"")
            }
            try await client.execute(uri: "/api/v1/artifacts/\(sha.hex)", method: .get) { r in
                #expect(r.status == .ok)
                #expect(Array(buffer: r.body) == data)
            }
            try await client.execute(uri: "/api/v1/artifacts/\(sha.hex)", method: .get, headers: [.range: "bytes=100-299999"]) { r in
                #expect(r.status == .partialContent)
                #expect(r.headers[.contentRange] == "bytes 100-199999/200000")
                #expect(Array(buffer: r.body) == Array(data[100...]))
            }
            try await client.execute(uri: "/api/v1/artifacts/\(sha.hex)", method: .get, headers: [.range: "bytes=-10"]) { r in
                #expect(r.status == .partialContent)
                #expect(Array(buffer: r.body) == Array(data.suffix(10)))
            }
            try await client.execute(uri: "/api/v1/artifacts/\(sha.hex)", method: .get, headers: [.range: "bytes=200000-"]) { r in
                #expect(r.status == .rangeNotSatisfiable)
                #expect(r.headers[.contentRange] == "bytes */200000")
            }
            // The same content again: nothing to upload.
            let again = try #require(try await start(client, h, sha: sha, size: data.count, expect: .ok))
            #expect(again.alreadyStored && again.uploadID == nil)
            #expect(h.uploads.inProgress == 0)
        }
    }

    @Test("wrong hash, out-of-order, oversized, short and past-the-end chunks are typed errors; nothing is stored")
    func badChunks() async throws {
        let h = try Harness()
        let data = Self.bytes(150_000)
        try await h.app.test(.router) { client in
            // Declared hash of other content: every chunk is accepted, complete refuses.
            let wrong = Hash.sha256(Self.bytes(150_000, seed: 1))
            let u = try #require(try await start(client, h, sha: wrong, size: data.count))
            let id = try #require(u.uploadID)
            #expect(try await put(client, id, 1, data[65_536..<131_072]) == (.conflict, "chunk_out_of_order"))
            #expect(try await put(client, id, 0, data[0..<65_537]) == (.contentTooLarge, "chunk_too_large"))
            #expect(try await put(client, id, 0, data[0..<1000]) == (.badRequest, "wrong_chunk_size"))
            #expect(try await put(client, id, 3, data[0..<10]) == (.badRequest, "chunk_past_declared_size"))
            #expect(try await put(client, id, 0, data[0..<65_536]) == (.ok, nil))
            try await client.execute(uri: "/api/v1/artifacts/uploads/\(id)/complete", method: .post) { r in
                #expect(r.status == .conflict)
                #expect((try? decode(ErrorBody.self, r.body))?.code == "upload_incomplete")
            }
            #expect(try await put(client, id, 1, data[65_536..<131_072]) == (.ok, nil))
            #expect(try await put(client, id, 2, data[131_072...]) == (.ok, nil))
            try await client.execute(uri: "/api/v1/artifacts/uploads/\(id)/complete", method: .post) { r in
                #expect(r.status == .unprocessableContent)
                #expect((try? decode(ErrorBody.self, r.body))?.code == "artifact_hash_mismatch")
            }
            // The upload is over and left nothing behind.
            #expect(try await put(client, id, 3, data[0..<10]) == (.notFound, "upload_not_found"))
            #expect(!h.store.contains(wrong) && !h.store.contains(Hash.sha256(data)))
            #expect(try FileManager.default.contentsOfDirectory(atPath: h.store.layout.tempDirectory).isEmpty)
        }
    }

    @Test("unknown, malformed and traversal-looking IDs are refused without touching the disk")
    func badIDs() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            #expect(try await put(client, String(repeating: "a", count: 32), 0, [1, 2, 3]) == (.notFound, "upload_not_found"))
            for bad in ["..%2Fx", "..", "%2E%2E%2F%2E%2E%2Fetc", String(repeating: "A", count: 32), "abc"] {
                let (s, code) = try await put(client, bad, 0, [1, 2, 3])
                #expect(s == .badRequest || s == .notFound, "\(bad): \(s)")
                #expect(code == "invalid_upload_id" || code == "not_found", "\(bad): \(code ?? "-")")
            }
            try await client.execute(uri: "/api/v1/artifacts/uploads/\(String(repeating: "a", count: 32))/chunks/-1", method: .put, body: ByteBuffer()) { r in
                #expect(r.status == .badRequest)
                #expect((try? decode(ErrorBody.self, r.body))?.code == "invalid_chunk_index")
            }
            for bad in ["../x", "..%2F..%2Fagora.sqlite", String(repeating: "g", count: 64), "abc"] {
                try await client.execute(uri: "/api/v1/artifacts/\(bad)", method: .get) { r in
                    #expect(r.status == .badRequest || r.status == .notFound, "\(bad)")
                }
            }
            try await client.execute(uri: "/api/v1/artifacts/\(Hash.sha256([9]).hex)", method: .get) { r in
                #expect(r.status == .notFound)
                #expect((try? decode(ErrorBody.self, r.body))?.code == "artifact_not_found")
            }
            // `uploads` is a literal route, not an artifact ID: 405 names only its own method.
            try await client.execute(uri: "/api/v1/artifacts/uploads", method: .patch) { r in
                #expect(r.status == .methodNotAllowed)
                #expect(r.headers[.allow] == "POST")
            }
            let sha = Hash.sha256([1])
            try await client.execute(uri: "/api/v1/artifacts/uploads", method: .post, headers: [.authorization: "Bearer \(h.token)"],
                                     body: body(["sha256": "../../etc/passwd", "size": "1"])) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/artifacts/uploads", method: .post, headers: [.authorization: "Bearer \(h.token)"],
                                     body: ByteBuffer(string: #"{"sha256": "\#(sha.hex)", "size": 1, "path": "x"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect((try? decode(ErrorBody.self, r.body))?.code == "unknown_field")
            }
        }
    }

    @Test("past the cap on uploads in progress a new one gets 429 with Retry-After, and room again once one is aborted")
    func uploadCap() async throws {
        let h = try Harness(maxUploads: 2)
        try await h.app.test(.router) { client in
            let first = try #require(try await start(client, h, sha: Hash.sha256([1]), size: 10)?.uploadID)
            _ = try await start(client, h, sha: Hash.sha256([2]), size: 10)
            try await client.execute(uri: "/api/v1/artifacts/uploads", method: .post,
                                     headers: [.contentType: "application/json", .authorization: "Bearer \(h.token)"],
                                     body: body(API.UploadRequest(sha256: Hash.sha256([3]).hex, size: 10))) { r in
                #expect(r.status == .tooManyRequests)
                #expect(r.headers[.retryAfter] != nil)
                let code = try decode(ErrorBody.self, r.body).code
                #expect(code == "too_many_uploads")
            }
            try await client.execute(uri: "/api/v1/artifacts/uploads/\(first)", method: .delete,
                                     headers: [.authorization: "Bearer \(h.token)"]) { r in #expect(r.status.code < 300) }
            _ = try await start(client, h, sha: Hash.sha256([3]), size: 10)
        }
    }

    @Test("an upload idle past its TTL expires and its temp file is removed")
    func expiry() async throws {
        // The clock is passed to the sweep, not slept through: a loaded machine cannot make a
        // live upload look idle, nor an idle one look live.
        let h = try Harness(ttl: .seconds(60))
        let data = Self.bytes(100_000)
        try await h.app.test(.router) { client in
            let id = try #require(try await start(client, h, sha: Hash.sha256(data), size: data.count)?.uploadID)
            #expect(try await put(client, id, 0, data[0..<65_536]) == (.ok, nil))
            #expect(try FileManager.default.contentsOfDirectory(atPath: h.store.layout.tempDirectory).count == 1)
            #expect(h.uploads.sweep(now: .now + .seconds(30)) == 0, "not idle long enough")
            #expect(h.uploads.sweep(now: .now + .seconds(61)) == 1)
            #expect(try await put(client, id, 1, data[65_536...]) == (.notFound, "upload_not_found"))
            #expect(h.uploads.inProgress == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: h.store.layout.tempDirectory).isEmpty)
        }
    }

    @Test("uploads need an admin token or a fresh signature for this chain, artifact and size; oversized declarations are refused")
    func authentication() async throws {
        let h = try Harness(maxBytes: 1_000_000)
        let data = Self.bytes(1000)
        let sha = Hash.sha256(data)
        let key = SigningKey()
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/artifacts/uploads", method: .post,
                                     body: body(API.UploadRequest(sha256: sha.hex, size: 1000))) { r in
                #expect(r.status == .unauthorized)
                #expect((try? decode(ErrorBody.self, r.body))?.code == "artifact_auth_required")
            }
            _ = try await start(client, h, sha: sha, size: 1000, auth: "Bearer agora_nope", expect: .unauthorized)
            let good = ArtifactRequestSignature.header(key: key, action: .upload, chainID: "api-test", sha256: sha, size: 1000)
            _ = try await start(client, h, sha: sha, size: 1000, auth: good)
            let otherChain = ArtifactRequestSignature.header(key: key, action: .upload, chainID: "other", sha256: sha, size: 1000)
            _ = try await start(client, h, sha: sha, size: 1000, auth: otherChain, expect: .unauthorized)
            let otherSize = ArtifactRequestSignature.header(key: key, action: .upload, chainID: "api-test", sha256: sha, size: 999)
            _ = try await start(client, h, sha: sha, size: 1000, auth: otherSize, expect: .unauthorized)
            let stale = ArtifactRequestSignature.header(key: key, action: .upload, chainID: "api-test", sha256: sha, size: 1000,
                                                        timestampMs: UInt64(Date().timeIntervalSince1970 * 1000) - 3_600_000)
            _ = try await start(client, h, sha: sha, size: 1000, auth: stale, expect: .unauthorized)
            _ = try await start(client, h, sha: sha, size: 2_000_000, expect: .contentTooLarge)
        }
    }

    @Test("a file damaged on disk is never served as a complete response and is quarantined")
    func damagedDownload() async throws {
        let h = try Harness()
        let small = Self.bytes(1000)
        let smallID = try h.store.put(small)
        let large = Self.bytes(1_000_000, seed: 3)
        let largeID = try h.store.put(large)
        for id in [smallID, largeID] {
            let handle = try #require(FileHandle(forUpdatingAtPath: h.store.layout.path(for: id)))
            try handle.seek(toOffset: 500)
            try handle.write(contentsOf: [0xAA, 0xBB])
            try handle.close()
        }
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/artifacts/\(smallID.hex)", method: .get) { r in
                #expect(r.status == .internalServerError)
                #expect((try? decode(ErrorBody.self, r.body))?.code == "artifact_corrupted")
            }
            // The large one streams; the mismatch at the end aborts before the last piece.
            do {
                try await client.execute(uri: "/api/v1/artifacts/\(largeID.hex)", method: .get) { r in
                    #expect(r.body.readableBytes < large.count, "a damaged artifact was delivered whole")
                }
            } catch {
                // The test client reports the aborted body as an error: also a correct outcome.
            }
            #expect(!h.store.contains(smallID) && !h.store.contains(largeID))
            #expect(h.store.quarantinedFiles.count == 2)
        }
    }
}
