import AgoraCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The node's content-addressed artifact store (CAS): files named by their SHA-256 under
/// `<data-dir>/artifacts/` (layout in `ArtifactLayout`). It owns the write protocol (stream to a
/// temp file while hashing, fsync, rename, fsync the directory; a mismatch stores nothing), the
/// read protocol (every read re-hashes; a mismatch quarantines the file and is an error), the
/// start-up scan that removes torn temp files and quarantines damaged or stray ones, the size
/// limit and the optional quota, and the running totals that metrics and health report.
/// It knows nothing of HTTP, uploads or peers: those drive it through `writer`/`commit`/`open`.
public final class ArtifactStore: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Largest single artifact (`artifacts.maxBytes`).
        public var maxArtifactBytes: Int64 = 1 << 30
        /// Total bytes the store may hold; 0 means no quota (`artifacts.quotaBytes`).
        public var quotaBytes: Int64 = 0
        /// Read and hash in pieces of this size: the store's whole memory use per reader.
        public var pieceBytes: Int = 256 * 1024
        public init() {}
    }

    /// What the store reports as it happens (metrics and logs subscribe through `observer`).
    public enum Event: Sendable, Equatable {
        case stored(Hash, bytes: Int64)
        case verificationFailed(Hash, reason: String)
        case quarantined(file: String, reason: String)
        case tempRemoved(file: String)
    }

    public struct Totals: Sendable, Equatable {
        public var count = 0
        public var bytes: Int64 = 0
        /// Files moved to quarantine since the process started.
        public var quarantined = 0
        public var verificationFailures = 0
    }

    public struct ScanReport: Sendable, Equatable {
        public var verified = 0
        public var bytes: Int64 = 0
        public var quarantined: [String] = []
        public var tempFilesRemoved = 0
    }

    public let layout: ArtifactLayout
    public let limits: Limits
    private let observer: @Sendable (Event) -> Void
    /// Guards the totals and serialises the publish step (existence check + rename), so two
    /// uploads of the same content cannot both count it.
    private let totalsLock = Mutex(Totals())

    /// Opens (creating directories as needed) and takes stock of the files present, without
    /// hashing them; call `scan()` to verify.
    public init(root: String, limits: Limits = Limits(), observer: @escaping @Sendable (Event) -> Void = { _ in }) throws(ArtifactError) {
        layout = ArtifactLayout(root: root)
        self.limits = limits
        self.observer = observer
        for dir in [layout.contentDirectory, layout.tempDirectory, layout.quarantineDirectory] { try POSIXFile.makeDirectory(dir) }
        var totals = Totals()
        for (_, claimed, size) in contentFiles() where claimed != nil {
            totals.count += 1
            totals.bytes += size
        }
        totalsLock.withLock { $0 = totals }
    }

    public var totals: Totals { totalsLock.withLock { $0 } }

    // MARK: Writing

    /// A writer whose temp file lives in the store's `tmp/`. `expectedHash`/`expectedSize` are
    /// what an upload declared (nil for a writer that learns the hash at the end).
    public func writer(expectedHash: Hash?, expectedSize: Int64?) throws(ArtifactError) -> ArtifactWriter {
        if let expectedSize {
            guard expectedSize <= limits.maxArtifactBytes else { throw .tooLarge(limit: limits.maxArtifactBytes, attempted: expectedSize) }
            try checkQuota(adding: expectedSize)
        }
        return try ArtifactWriter(tempPath: layout.tempPath(ArtifactLayout.randomName()), expectedHash: expectedHash,
                                  expectedSize: expectedSize, maxBytes: limits.maxArtifactBytes)
    }

    /// Verifies the writer's content and publishes it under its hash. Content already stored
    /// (another upload won the race) is not written twice: the temp file is dropped and the
    /// existing file stands, since equal hashes mean equal bytes.
    @discardableResult
    public func commit(_ writer: ArtifactWriter) throws(ArtifactError) -> ArtifactWriter.Finished {
        let finished = try writer.finish()
        let id = finished.sha256
        try POSIXFile.makeDirectory(layout.directory(for: id))
        try totalsLock.withLock { (t: inout Totals) throws(ArtifactError) in
            let path = layout.path(for: id)
            if POSIXFile.size(path) != nil {
                writer.discard()
                return
            }
            if limits.quotaBytes > 0, t.bytes + finished.size > limits.quotaBytes {
                writer.discard()
                throw .quotaExceeded(quota: limits.quotaBytes, stored: t.bytes, requested: finished.size)
            }
            try writer.move(to: path)
            t.count += 1
            t.bytes += finished.size
        }
        observer(.stored(id, bytes: finished.size))
        return finished
    }

    /// Stores a byte array (tests, small artifacts); streaming callers use `writer`.
    @discardableResult
    public func put(_ bytes: [UInt8], expected: Hash? = nil) throws(ArtifactError) -> Hash {
        let w = try writer(expectedHash: expected, expectedSize: Int64(bytes.count))
        try w.write(bytes)
        return try commit(w).sha256
    }

    public func checkQuota(adding bytes: Int64) throws(ArtifactError) {
        guard limits.quotaBytes > 0 else { return }
        let stored = totals.bytes
        if stored + bytes > limits.quotaBytes { throw .quotaExceeded(quota: limits.quotaBytes, stored: stored, requested: bytes) }
    }

    // MARK: Reading

    /// The stored size, or nil when absent. Cheap (a stat): existence, not integrity.
    public func size(of id: Hash) -> Int64? { POSIXFile.size(layout.path(for: id)) }

    public func contains(_ id: Hash) -> Bool { size(of: id) != nil }

    /// A verifying reader. A damaged file is found at the reader's end and quarantined then.
    public func open(_ id: Hash) throws(ArtifactError) -> ArtifactReader {
        try ArtifactReader(id: id, path: layout.path(for: id), pieceSize: limits.pieceBytes) { [self] error in
            quarantineDamaged(id, reason: error.description)
        }
    }

    /// Up to `length` bytes of a stored artifact from `offset`, with its total size; nil when it
    /// is not stored. Not verified: peers asking for pieces verify the whole artifact they
    /// assemble, and a damaged file here is found by the next verified read or start-up scan.
    public func piece(_ id: Hash, offset: UInt64, length: Int) throws(ArtifactError) -> (total: UInt64, bytes: [UInt8])? {
        let path = layout.path(for: id)
        let fd: Int32
        do { fd = try POSIXFile.open(path, O_RDONLY) } catch {
            if case let .io(_, _, e) = error, e == ENOENT { return nil }
            throw error
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        let total = UInt64(st.st_size)
        guard offset < total else { return (total, []) }
        let count = Int(min(UInt64(length), total - offset))
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { raw in pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 { if errno == EINTR { continue }; throw .io(operation: "pread", path: path, errno: errno) }
            if n == 0 { break }
            done += n
        }
        return (total, Array(bytes[0..<done]))
    }

    /// Reads a whole artifact into memory, verified (tests and small artifacts only).
    public func read(_ id: Hash) throws(ArtifactError) -> [UInt8] {
        let reader = try open(id)
        var out: [UInt8] = []
        out.reserveCapacity(Int(reader.size))
        while let piece = try reader.next() { out += piece }
        return out
    }

    // MARK: Scan and quarantine

    /// Start-up check: removes temp files (a crash mid-write leaves them; no upload survives a
    /// restart), re-hashes every stored file and quarantines the damaged ones and anything
    /// that is not named like content. Cost: one read of the whole store (about 1.5 GB/s here).
    public func scan() -> ScanReport {
        var report = ScanReport()
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: layout.tempDirectory)) ?? [] {
            let path = layout.tempDirectory + "/" + name
            if unlink(path) == 0 {
                report.tempFilesRemoved += 1
                observer(.tempRemoved(file: path))
            } else {
                try? fm.removeItem(atPath: path)
            }
        }
        for (relative, claimed, size) in contentFiles() {
            guard let id = claimed else {
                if let target = quarantine(file: layout.contentDirectory + "/" + relative, name: relative.replacingOccurrences(of: "/", with: "_")) {
                    report.quarantined.append(relative)
                    observer(.quarantined(file: target, reason: "stray file: not named by a SHA-256 in its fan-out directory"))
                }
                continue
            }
            do {
                try open(id).verifyToEnd()
                report.verified += 1
                report.bytes += size
            } catch {
                // `open` already quarantined it on a mismatch; an unreadable file is moved too.
                if case .io = error { quarantineDamaged(id, reason: error.description) }
                report.quarantined.append(relative)
            }
        }
        return report
    }

    /// Moves a damaged content file aside and takes it out of the totals, then reports both
    /// (after the totals changed, so gauges read from the observer are current).
    func quarantineDamaged(_ id: Hash, reason: String) {
        let path = layout.path(for: id)
        let size = POSIXFile.size(path) ?? 0
        let target = quarantine(file: path, name: id.hex)
        totalsLock.withLock { t in
            t.verificationFailures += 1
            if target != nil {
                t.count = max(0, t.count - 1)
                t.bytes = max(0, t.bytes - size)
            }
        }
        observer(.verificationFailed(id, reason: reason))
        if let target { observer(.quarantined(file: target, reason: reason)) }
    }

    /// Renames `file` into `quarantine/` (fsyncing both directories); the new path, or nil
    /// when the file was already gone (another reader quarantined it first).
    private func quarantine(file: String, name: String) -> String? {
        let ms = UInt64(Date().timeIntervalSince1970 * 1000)
        let target = "\(layout.quarantineDirectory)/\(name).\(ms)"
        guard Glibc.rename(file, target) == 0 else { return nil }
        try? POSIXFile.fsyncDirectory(layout.quarantineDirectory)
        try? POSIXFile.fsyncDirectory(ArtifactLayout.parentDirectory(of: file))
        totalsLock.withLock { $0.quarantined += 1 }
        return target
    }

    /// Files in quarantine now (an operator inspects and deletes them).
    public var quarantinedFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: layout.quarantineDirectory)) ?? []).sorted()
    }

    /// Every regular file under `sha256/` as (relative path, hash its place claims, size).
    private func contentFiles() -> [(String, Hash?, Int64)] {
        guard let e = FileManager.default.enumerator(atPath: layout.contentDirectory) else { return [] }
        var out: [(String, Hash?, Int64)] = []
        while let relative = e.nextObject() as? String {
            let path = layout.contentDirectory + "/" + relative
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR { continue }
            let isRegular = (st.st_mode & S_IFMT) == S_IFREG
            out.append((relative, isRegular ? layout.claimedHash(relativePath: relative) : nil, Int64(st.st_size)))
        }
        return out
    }

    /// Creates, fsyncs and removes a small file in `tmp/`: the disk takes writes.
    public func probeWrite() throws(ArtifactError) {
        let path = layout.tempPath("probe-" + ArtifactLayout.randomName())
        let fd = try POSIXFile.open(path, O_WRONLY | O_CREAT | O_EXCL)
        defer { close(fd); unlink(path) }
        do { try [UInt8]("probe".utf8).withUnsafeBytes { raw in try POSIXFile.writeAll(fd, raw, path: path) } } catch {
            throw ArtifactError.from(error, path: path)
        }
        try POSIXFile.fsync(fd, path: path)
    }
}
