import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The client side of the artifact API: chunked upload from any random-access byte source and
/// a streamed download into a sink, both with fixed-size buffers (one chunk, one piece), so
/// `agora artifact`, `agora bench artifacts` and the transfer memory test use memory
/// independent of the artifact's size.
public protocol ByteSource: Sendable {
    /// Bytes in total.
    var size: Int64 { get }
    /// Fills `buffer[0..<count]` with the bytes at `offset`.
    func read(at offset: Int64, into buffer: inout [UInt8], count: Int) throws
}

/// A file read at offsets (`pread`), never held in memory whole.
public struct FileSource: ByteSource {
    public let path: String
    public let size: Int64
    public init(path: String) throws {
        self.path = path
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path), let s = attrs[.size] as? Int64 ?? (attrs[.size] as? Int).map(Int64.init) else {
            throw ArtifactClient.Failure.invalidInput("cannot read \(path)")
        }
        size = s
    }
    public func read(at offset: Int64, into buffer: inout [UInt8], count: Int) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ArtifactClient.Failure.invalidInput("cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            while done < count {
                let n = pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 { if errno == EINTR { continue }; throw ArtifactClient.Failure.invalidInput("read \(path): errno \(errno)") }
                if n == 0 { throw ArtifactClient.Failure.invalidInput("\(path) shrank while uploading") }
                done += n
            }
        }
    }
}

/// Bytes already in memory (MCP tool uploads, which are small by limit).
public struct BytesSource: ByteSource {
    public let bytes: [UInt8]
    public var size: Int64 { Int64(bytes.count) }
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func read(at offset: Int64, into buffer: inout [UInt8], count: Int) throws {
        let start = Int(offset)
        guard start >= 0, start + count <= bytes.count, count <= buffer.count else {
            throw ArtifactClient.Failure.invalidInput("read of \(count) bytes at \(offset) is outside \(bytes.count)")
        }
        buffer.replaceSubrange(0..<count, with: bytes[start..<start + count])
    }
}

/// Deterministic pseudo-random bytes (splitmix64 of the word index): any offset can be produced
/// without the rest, so a benchmark can upload gigabytes it never holds.
public struct GeneratedSource: ByteSource {
    public let size: Int64
    public let seed: UInt64
    public init(size: Int64, seed: UInt64) { self.size = size; self.seed = seed }
    public func read(at offset: Int64, into buffer: inout [UInt8], count: Int) throws {
        precondition(offset % 8 == 0)
        buffer.withUnsafeMutableBytes { raw in
            var word = UInt64(offset / 8)
            var i = 0
            while i < count {
                var z = (word &+ seed) &* 0x9E37_79B9_7F4A_7C15
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                withUnsafeBytes(of: z.littleEndian) { w in
                    let n = min(8, count - i)
                    raw.baseAddress!.advanced(by: i).copyMemory(from: w.baseAddress!, byteCount: n)
                }
                i += 8
                word += 1
            }
        }
    }
}

/// Uploads and downloads artifacts of one node (docs/artifacts.md).
///
/// ```swift
/// var client = ArtifactClient(base: "http://127.0.0.1:8645")
/// client.authorization = { sha, size in
///     ArtifactRequestSignature.header(key: key, action: .upload, chainID: chainID, sha256: sha, size: size)
/// }
/// let source = try FileSource(path: "paper.pdf")
/// let sha = try await client.upload(source, sha256: try ArtifactClient.hash(source))
/// ```
public struct ArtifactClient: Sendable {
    /// The node's base URL.
    public let base: String
    /// Value of the Authorization header for an upload, given the hash and size.
    public var authorization: @Sendable (Hash, Int64) -> String? = { _, _ in nil }

    /// - Parameter base: the node's URL (`http://127.0.0.1:8645`).
    public init(base: String) { self.base = base }

    static let pieceBytes = 1 << 20

    /// What went wrong, separated the way a CLI reports it (exit codes in docs/cli.md).
    public enum Failure: Error, CustomStringConvertible {
        case invalidInput(String)
        case unreachable(String)
        case refused(String)
        public var description: String {
            switch self {
            case let .invalidInput(m), let .unreachable(m), let .refused(m): return m
            }
        }
    }

    /// SHA-256 of a source, streamed.
    public static func hash(_ source: ByteSource) throws -> Hash {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: pieceBytes)
        var offset: Int64 = 0
        while offset < source.size {
            let n = Int(min(Int64(pieceBytes), source.size - offset))
            try source.read(at: offset, into: &buffer, count: n)
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            offset += Int64(n)
        }
        return Hash(bytes: Array(hasher.finalize()))!
    }

    /// Uploads in chunks of the size the node names; returns the artifact's SHA-256.
    /// - Parameters:
    ///   - source: the bytes, read one chunk at a time.
    ///   - sha256: their hash (``hash(_:)``); the node verifies it on completion.
    /// - Throws: ``Failure`` (`refused` carries the node's status, code and message).
    public func upload(_ source: ByteSource, sha256: Hash) async throws -> Hash {
        let start = try await call("POST", "/api/v1/artifacts/uploads",
                                   body: try JSONEncoder().encode(API.UploadRequest(sha256: sha256.hex, size: source.size)),
                                   contentType: "application/json", auth: authorization(sha256, source.size), as: API.UploadView.self)
        if start.alreadyStored { return sha256 }
        guard let id = start.uploadID, let chunkBytes = start.chunkBytes, let count = start.chunkCount else {
            throw ArtifactClient.Failure.refused("node answered an upload without an upload ID")
        }
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        for index in (start.nextIndex ?? 0)..<count {
            let offset = Int64(index) * Int64(chunkBytes)
            let n = Int(min(Int64(chunkBytes), source.size - offset))
            try source.read(at: offset, into: &buffer, count: n)
            _ = try await call("PUT", "/api/v1/artifacts/uploads/\(id)/chunks/\(index)", body: Data(buffer[0..<n]),
                               contentType: "application/octet-stream", auth: nil, as: API.UploadView.self)
        }
        let done = try await call("POST", "/api/v1/artifacts/uploads/\(id)/complete", body: nil, contentType: nil, auth: nil,
                                  as: API.ArtifactView.self)
        guard done.sha256 == sha256.hex else { throw ArtifactClient.Failure.refused("node stored \(done.sha256), expected \(sha256.hex)") }
        return sha256
    }

    private func call<T: Decodable>(_ method: String, _ path: String, body: Data?, contentType: String?, auth: String?,
                                    as: T.Type) async throws -> T {
        guard let url = URL(string: base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path) else {
            throw ArtifactClient.Failure.invalidInput("invalid node URL \(base)")
        }
        var request = URLRequest(url: url, timeoutInterval: 60)
        request.httpMethod = method
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let auth { request.setValue(auth, forHTTPHeaderField: "Authorization") }
        let data: Data, response: URLResponse
        do { (data, response) = try await ShieldedRequest.data(for: request) } catch {
            throw ArtifactClient.Failure.unreachable("cannot reach node at \(base): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            if let e = try? JSONDecoder().decode(ErrorBody.self, from: data) {
                throw ArtifactClient.Failure.refused("\(status) \(e.code): \(e.message)")
            }
            throw ArtifactClient.Failure.refused("\(status) from \(method) \(path)")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw ArtifactClient.Failure.refused("unexpected response from \(path): \(error)")
        }
    }

    /// Streams `GET /api/v1/artifacts/{sha}` into `sink` piece by piece. Throws on any status
    /// but 200 and on a body shorter than announced — how the node signals a late verification
    /// failure (docs/artifacts.md). `http://` reads the socket only as fast as the sink takes
    /// the bytes (`PlainHTTPDownload`); `https://` goes through URLSession, whose memory on
    /// Linux can grow when the sink is slower than the network. The `Data` given to `sink` is
    /// valid only during the call (it may point into the reader's buffer).
    public func download(_ sha256: Hash, auth: String?, sink: @escaping @Sendable (Data) throws -> Void) async throws {
        let path = "/api/v1/artifacts/\(sha256.hex)"
        guard let url = URL(string: base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path), let host = url.host else {
            throw ArtifactClient.Failure.invalidInput("invalid node URL \(base)")
        }
        if url.scheme == "http" {
            let headers = auth.map { ["Authorization": $0] } ?? [:]
            let port = url.port ?? 80
            // Blocking socket I/O: on a thread of its own, not the cooperative pool.
            let response = try await withCheckedThrowingContinuation { (done: CheckedContinuation<PlainHTTPDownload.Response, Error>) in
                Thread.detachNewThread {
                    done.resume(with: Result {
                        try PlainHTTPDownload.get(host: host, port: port, path: path, headers: headers) { raw in
                            try sink(Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count, deallocator: .none))
                        }
                    })
                }
            }
            guard response.status == 200 else {
                if let e = try? JSONDecoder().decode(ErrorBody.self, from: response.errorBody) {
                    throw ArtifactClient.Failure.refused("\(response.status) \(e.code): \(e.message)")
                }
                throw ArtifactClient.Failure.refused("\(response.status) from \(path)")
            }
            return
        }
        var request = URLRequest(url: url, timeoutInterval: 60)
        if let auth { request.setValue(auth, forHTTPHeaderField: "Authorization") }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            let delegate = StreamingDelegate(sink: sink, done: done)
            let queue = OperationQueue()
            queue.maxConcurrentOperationCount = 1
            let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: queue)
            session.dataTask(with: request).resume()
            session.finishTasksAndInvalidate()
        }
    }
}

/// URLSession delegate that hands each received piece to a sink and checks the status and the
/// byte count against Content-Length at the end.
private final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let sink: @Sendable (Data) throws -> Void
    var done: CheckedContinuation<Void, Error>?
    var status = 0
    var expected: Int64 = -1
    var received: Int64 = 0
    var errorBody = Data()
    var failure: Error?

    init(sink: @escaping @Sendable (Data) throws -> Void, done: CheckedContinuation<Void, Error>) {
        self.sink = sink
        self.done = done
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        status = http?.statusCode ?? 0
        expected = response.expectedContentLength
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        if status != 200 {
            if errorBody.count < 64 * 1024 { errorBody.append(data) }
            return
        }
        received += Int64(data.count)
        do { try sink(data) } catch {
            failure = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        guard let done else { return }
        self.done = nil
        if let failure { return done.resume(throwing: failure) }
        if let error { return done.resume(throwing: ArtifactClient.Failure.refused("download failed: \(error.localizedDescription)")) }
        if status != 200 {
            if let e = try? JSONDecoder().decode(ErrorBody.self, from: errorBody) {
                return done.resume(throwing: ArtifactClient.Failure.refused("\(status) \(e.code): \(e.message)"))
            }
            return done.resume(throwing: ArtifactClient.Failure.refused("\(status) from the node"))
        }
        if expected >= 0 && received != expected {
            return done.resume(throwing: ArtifactClient.Failure.refused("download truncated: \(received) of \(expected) bytes (the node aborted it)"))
        }
        done.resume()
    }
}

private struct ErrorBody: Decodable { let code: String; let message: String }
