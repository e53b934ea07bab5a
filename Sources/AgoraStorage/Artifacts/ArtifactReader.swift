import AgoraCore
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a stored artifact in fixed-size pieces while hashing it. The end of the file is the
/// verdict: `next()` returns nil only after the bytes hashed to the artifact's name; on a
/// mismatch (or a size change) it throws and the store quarantines the file.
///
/// A caller that must never hand out unverified bytes as a complete artifact holds back the
/// last piece until `next()` has returned nil (see the download route and docs/artifacts.md).
/// Not Sendable: one reader is consumed by one task.
public final class ArtifactReader {
    public let id: Hash
    /// The size when opened; the file must still have exactly this many bytes at the end.
    public let size: Int64
    let path: String
    let pieceSize: Int
    private var fd: Int32
    private var hasher = SHA256()
    private var read: Int64 = 0
    private var buffer: [UInt8]
    private let onCorrupt: (ArtifactError) -> Void

    init(id: Hash, path: String, pieceSize: Int, onCorrupt: @escaping (ArtifactError) -> Void) throws(ArtifactError) {
        self.id = id
        self.path = path
        self.pieceSize = pieceSize
        self.onCorrupt = onCorrupt
        do { fd = try POSIXFile.open(path, O_RDONLY) } catch {
            if case let .io(_, _, e) = error, e == ENOENT { throw .notFound(id) }
            throw error
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { let e = errno; close(fd); throw .io(operation: "fstat", path: path, errno: e) }
        size = Int64(st.st_size)
        buffer = [UInt8](repeating: 0, count: pieceSize)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// The next piece (at most `pieceSize` bytes), or nil once the whole file has been read and
    /// verified. Throws `.corrupted` / `.truncated` at the end when verification fails.
    public func next() throws(ArtifactError) -> ArraySlice<UInt8>? {
        guard fd >= 0 else { return nil }
        let n: Int
        do {
            n = try buffer.withUnsafeMutableBytes { [fd, path] raw in try POSIXFile.read(fd, into: raw, path: path) }
        } catch { throw ArtifactError.from(error, path: path) }
        if n > 0 {
            read += Int64(n)
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if read > size { return try fail(.truncated(id, expected: size, actual: read)) }
            return buffer[0..<n]
        }
        close(fd)
        fd = -1
        if read != size { return try fail(.truncated(id, expected: size, actual: read)) }
        let digest = Hash(storage: Bytes32(Array(hasher.finalize())))  // SHA-256 is 32 bytes by type, no unwrap
        if digest != id { return try fail(.corrupted(id, actual: digest)) }
        return nil
    }

    private func fail(_ error: ArtifactError) throws(ArtifactError) -> ArraySlice<UInt8>? {
        if fd >= 0 { close(fd); fd = -1 }
        onCorrupt(error)
        throw error
    }

    /// Reads to the end, verifying; the usual way to check an artifact without using its bytes.
    public func verifyToEnd() throws(ArtifactError) {
        while try next() != nil {}
    }
}
