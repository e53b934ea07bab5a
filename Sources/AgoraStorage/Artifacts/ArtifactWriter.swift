import AgoraCore
import Crypto
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Streams bytes into a temporary file while hashing them, then publishes the file under its
/// final name only if the hash (and size) match what was expected: temp file (0600) → fsync →
/// rename → fsync of the directory. A crash at any point leaves either no final file or a
/// complete one; torn temp files are removed by the next start-up scan. Memory use is the
/// caller's buffer only.
///
/// Used by the store for uploads and by `agora artifact get` for its `--out` file. One writer
/// belongs to one upload; the lock makes concurrent calls on it (two requests for the same
/// upload) take turns instead of interleaving bytes.
public final class ArtifactWriter: Sendable {
    public struct Finished: Sendable, Equatable {
        public let sha256: Hash
        public let size: Int64
    }

    struct State {
        var fd: Int32
        var hasher = SHA256()
        var written: Int64 = 0
        var open = true
        /// Verified and fsynced, waiting for `move(to:)`.
        var finished = false
    }

    public let tempPath: String
    public let expectedHash: Hash?
    public let expectedSize: Int64?
    public let maxBytes: Int64
    private let state: Mutex<State>

    /// Creates `tempPath` exclusively (an existing file is an error, never overwritten).
    public init(tempPath: String, expectedHash: Hash?, expectedSize: Int64?, maxBytes: Int64) throws(ArtifactError) {
        self.tempPath = tempPath
        self.expectedHash = expectedHash
        self.expectedSize = expectedSize
        self.maxBytes = maxBytes
        let fd = try POSIXFile.open(tempPath, O_WRONLY | O_CREAT | O_EXCL)
        state = Mutex(State(fd: fd))
    }

    deinit { discard() }

    public var written: Int64 { state.withLock { $0.written } }

    /// Appends bytes. Going past the declared size or the limit is refused before anything is
    /// written, so the file never holds more than could be accepted.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(ArtifactError) {
        try state.withLock { (s: inout State) throws(ArtifactError) in
            guard s.open else { throw .writerClosed }
            let after = s.written + Int64(bytes.count)
            let limit = min(maxBytes, expectedSize ?? maxBytes)
            if after > limit {
                if let expectedSize, after > expectedSize, expectedSize <= maxBytes {
                    throw .sizeMismatch(expected: expectedSize, actual: after)
                }
                throw .tooLarge(limit: limit, attempted: after)
            }
            try POSIXFile.writeAll(s.fd, bytes, path: tempPath)
            s.hasher.update(bufferPointer: bytes)
            s.written = after
        }
    }

    public func write(_ bytes: [UInt8]) throws(ArtifactError) {
        do { try bytes.withUnsafeBytes { raw in try write(raw) } } catch { throw ArtifactError.from(error, path: tempPath) }
    }

    /// Checks size and hash and fsyncs the temp file; on a mismatch the temp file is removed.
    /// After this only `move(to:)` or `discard()` remain.
    public func finish() throws(ArtifactError) -> Finished {
        try state.withLock { (s: inout State) throws(ArtifactError) -> Finished in
            guard s.open else { throw .writerClosed }
            s.open = false
            defer { close(s.fd) }
            let digest = Hash(storage: Bytes32(Array(s.hasher.finalize())))  // SHA-256 is 32 bytes by type, no unwrap
            do {
                if let expectedSize, s.written != expectedSize { throw ArtifactError.sizeMismatch(expected: expectedSize, actual: s.written) }
                if let expectedHash, digest != expectedHash { throw ArtifactError.hashMismatch(expected: expectedHash, actual: digest) }
                try POSIXFile.fsync(s.fd, path: tempPath)
            } catch {
                unlink(tempPath)
                throw ArtifactError.from(error, path: tempPath)
            }
            s.finished = true
            return Finished(sha256: digest, size: s.written)
        }
    }

    /// Renames the finished temp file to `destination` and fsyncs its directory: from here the
    /// file survives a crash under its final name.
    public func move(to destination: String) throws(ArtifactError) {
        try state.withLock { (s: inout State) throws(ArtifactError) in
            guard s.finished else { throw .writerClosed }
            s.finished = false
            do {
                try POSIXFile.rename(tempPath, destination)
                try POSIXFile.fsyncDirectory(ArtifactLayout.parentDirectory(of: destination))
            } catch {
                unlink(tempPath)
                throw ArtifactError.from(error, path: tempPath)
            }
        }
    }

    /// Closes and removes the temp file (idempotent).
    public func discard() {
        state.withLock { s in
            if s.open {
                s.open = false
                close(s.fd)
                unlink(tempPath)
            } else if s.finished {
                s.finished = false
                unlink(tempPath)
            }
        }
    }
}
