import AgoraCore
import AgoraStorage
import Foundation
import Synchronization

/// Chunked uploads in progress. An upload declares the SHA-256 and size of what it will send;
/// the node answers with an unguessable upload ID and a fixed chunk size; chunks arrive in
/// order (index 0, 1, …; every chunk full-size except the last), each appended to the upload's
/// temp file as a whole or not at all; `complete` verifies the hash and publishes the artifact.
/// Uploads idle past the TTL expire and their temp files are removed. At most `maxUploads` run
/// at once, and their declared sizes count against the store's quota while they run.
public final class ArtifactUploads: Sendable {
    public struct Config: Sendable, Equatable {
        public var chunkBytes = 1 << 20
        public var ttl = Duration.seconds(600)
        public var maxUploads = 64
        public init() {}
    }

    /// An upload's ID: 32 lowercase hex digits (128 random bits). Parsing refuses anything else,
    /// so a client-supplied ID can never name a path.
    public struct UploadID: Hashable, Sendable, CustomStringConvertible {
        public let text: String
        public init?(_ text: String) {
            guard text.utf8.count == 32, text.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
            self.text = text
        }
        static func random() -> UploadID { UploadID(ArtifactLayout.randomName())! }
        public var description: String { text }
    }

    /// A snapshot of one upload, as the API shows it.
    public struct Progress: Sendable, Equatable {
        public var id: UploadID
        public var declaration: ArtifactDeclaration
        public var chunkBytes: Int
        public var chunkCount: Int
        public var nextIndex: Int
        public var received: Int64
        public var expiresIn: Duration
    }

    public enum UploadError: Error, Equatable, Sendable, CustomStringConvertible {
        case unknownUpload(UploadID)
        case outOfOrder(UploadID, expected: Int, got: Int)
        case wrongChunkSize(UploadID, index: Int, expected: Int, got: Int)
        case pastDeclaredSize(UploadID, index: Int, chunkCount: Int)
        case incomplete(UploadID, received: Int64, declared: Int64)
        case tooManyUploads(limit: Int)
        case store(ArtifactError)

        public var description: String {
            switch self {
            case let .unknownUpload(id): return "no upload \(id) (never started, completed, aborted or expired)"
            case let .outOfOrder(id, e, g): return "upload \(id): chunk \(g) out of order; the next chunk is \(e)"
            case let .wrongChunkSize(id, i, e, g): return "upload \(id): chunk \(i) is \(g) bytes; it must be \(e)"
            case let .pastDeclaredSize(id, i, n): return "upload \(id): chunk \(i) is past the declared size (\(n) chunks)"
            case let .incomplete(id, r, d): return "upload \(id): \(r) of \(d) declared bytes received"
            case let .tooManyUploads(l): return "\(l) uploads are in progress; finish or abort one, or retry later"
            case let .store(e): return e.description
            }
        }
    }

    final class Session: Sendable {
        let id: UploadID
        let declaration: ArtifactDeclaration
        let chunkCount: Int
        let writer: ArtifactWriter
        /// (next index, last activity); the lock also serialises chunk appends.
        let state: Mutex<(next: Int, touched: ContinuousClock.Instant)>

        init(id: UploadID, declaration: ArtifactDeclaration, chunkCount: Int, writer: ArtifactWriter) {
            self.id = id
            self.declaration = declaration
            self.chunkCount = chunkCount
            self.writer = writer
            state = Mutex((0, .now))
        }
    }

    public let store: ArtifactStore
    public let config: Config
    private let sessions = Mutex<[UploadID: Session]>([:])
    private let onChange: @Sendable (Int) -> Void

    /// `onChange` receives the number of uploads in progress whenever it changes (metrics).
    public init(store: ArtifactStore, config: Config = Config(), onChange: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.store = store
        self.config = config
        self.onChange = onChange
    }

    public var inProgress: Int { sessions.withLock { $0.count } }

    /// Starts an upload. The caller has already checked access and that the content is absent.
    public func begin(_ declaration: ArtifactDeclaration) throws(UploadError) -> Progress {
        sweep()
        let limits = store.limits
        guard declaration.size <= limits.maxArtifactBytes else {
            throw .store(.tooLarge(limit: limits.maxArtifactBytes, attempted: declaration.size))
        }
        // Uploads in flight reserve their declared size against the quota.
        let reserved = sessions.withLock { $0.values.reduce(Int64(0)) { $0 + $1.declaration.size } }
        do { try store.checkQuota(adding: reserved + declaration.size) } catch { throw .store(error) }
        let writer: ArtifactWriter
        do { writer = try store.writer(expectedHash: declaration.sha256, expectedSize: declaration.size) } catch { throw .store(error) }
        let chunks = Int((declaration.size + Int64(config.chunkBytes) - 1) / Int64(config.chunkBytes))
        let session = Session(id: .random(), declaration: declaration, chunkCount: chunks, writer: writer)
        let count = try sessions.withLock { (all: inout [UploadID: Session]) throws(UploadError) -> Int in
            guard all.count < config.maxUploads else { throw .tooManyUploads(limit: config.maxUploads) }
            all[session.id] = session
            return all.count
        }
        onChange(count)
        return progress(session)
    }

    /// The exact size chunk `index` must have.
    func expectedSize(_ s: Session, index: Int) -> Int {
        index < s.chunkCount - 1 ? config.chunkBytes : Int(s.declaration.size - Int64(config.chunkBytes) * Int64(s.chunkCount - 1))
    }

    /// The largest body a chunk of this upload can have (the route's read limit).
    public func chunkLimit(_ id: UploadID) throws(UploadError) -> Int {
        guard let s = session(id) else { throw .unknownUpload(id) }
        return min(config.chunkBytes, max(0, Int(s.declaration.size)))
    }

    /// Appends chunk `index`. Checks order and exact size before writing a byte.
    public func put(_ id: UploadID, index: Int, bytes: UnsafeRawBufferPointer) throws(UploadError) -> Progress {
        sweep()
        guard let s = session(id) else { throw .unknownUpload(id) }
        let failed = try s.state.withLock { (st: inout (next: Int, touched: ContinuousClock.Instant)) throws(UploadError) -> ArtifactError? in
            guard index < s.chunkCount else { throw .pastDeclaredSize(id, index: index, chunkCount: s.chunkCount) }
            guard index == st.next else { throw .outOfOrder(id, expected: st.next, got: index) }
            let want = expectedSize(s, index: index)
            guard bytes.count == want else { throw .wrongChunkSize(id, index: index, expected: want, got: bytes.count) }
            do { try s.writer.write(bytes) } catch let e as ArtifactError { return e } catch { return .writerClosed }
            st.next += 1
            st.touched = .now
            return nil
        }
        if let failed {
            // A failed write (disk full) leaves the file in an unknown state: the upload is over.
            // Aborted outside the session lock: `sweep` takes the locks in the other order.
            abortSession(id)
            throw .store(failed)
        }
        return progress(s)
    }

    /// Verifies and publishes. On a hash mismatch the temp file is gone and the upload ends.
    public func complete(_ id: UploadID) throws(UploadError) -> ArtifactWriter.Finished {
        sweep()
        guard let s = session(id) else { throw .unknownUpload(id) }
        let received = s.writer.written
        guard received == s.declaration.size else {
            throw .incomplete(id, received: received, declared: s.declaration.size)
        }
        defer { abortSession(id) }
        do { return try store.commit(s.writer) } catch { throw .store(error) }
    }

    public func abort(_ id: UploadID) throws(UploadError) {
        guard session(id) != nil else { throw .unknownUpload(id) }
        abortSession(id)
    }

    public func progress(_ id: UploadID) throws(UploadError) -> Progress {
        guard let s = session(id) else { throw .unknownUpload(id) }
        return progress(s)
    }

    /// Removes uploads idle longer than the TTL (their temp files too); returns how many. Runs
    /// on every upload call, so abandoned uploads cannot pile up while the API is used; the node
    /// also calls it periodically.
    @discardableResult
    public func sweep(now: ContinuousClock.Instant = .now) -> Int {
        let expired = sessions.withLock { all in
            all.values.filter { s in now - s.state.withLock { $0.touched } > config.ttl }.map(\.id)
        }
        for id in expired { abortSession(id) }
        return expired.count
    }

    private func session(_ id: UploadID) -> Session? { sessions.withLock { $0[id] } }

    private func abortSession(_ id: UploadID) {
        let (removed, count) = sessions.withLock { all in (all.removeValue(forKey: id), all.count) }
        guard let removed else { return }
        removed.writer.discard()
        onChange(count)
    }

    private func progress(_ s: Session) -> Progress {
        let (next, touched) = s.state.withLock { ($0.next, $0.touched) }
        return Progress(id: s.id, declaration: s.declaration, chunkBytes: config.chunkBytes, chunkCount: s.chunkCount, nextIndex: next,
                        received: s.writer.written, expiresIn: max(.zero, config.ttl - (.now - touched)))
    }
}
