import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe replacement of a small file: write a temporary file beside it (mode 0600), fsync
/// it, rename it over the old one and fsync the directory. After a crash the path holds the old
/// or the new bytes, never a torn mix — what the sign state and the consensus journal rely on.
public enum DurableFile {
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public let operation: String
        public let path: String
        public let errno: Int32
        public var description: String { "\(operation) failed for \(path): errno \(errno)" }
    }

    public static func store(_ bytes: [UInt8], at path: String) throws(Failure) {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw Failure(operation: "open", path: temp, errno: errno) }
        var written = 0
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return true
        }
        guard ok else { let e = errno; close(fd); throw Failure(operation: "write", path: temp, errno: e) }
        guard fsync(fd) == 0 else { let e = errno; close(fd); throw Failure(operation: "fsync", path: temp, errno: e) }
        close(fd)
        guard rename(temp, path) == 0 else { throw Failure(operation: "rename", path: path, errno: errno) }
        let directory = (path as NSString).deletingLastPathComponent
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        guard dfd >= 0 else { throw Failure(operation: "open directory", path: directory, errno: errno) }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw Failure(operation: "fsync directory", path: directory, errno: errno) }
    }

    /// The file's bytes, or nil when it does not exist; refuses files above `limit`.
    public static func read(_ path: String, limit: Int) throws(Failure) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(operation: "open", path: path, errno: errno) }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit + 1) else { throw Failure(operation: "read", path: path, errno: errno) }
        guard data.count <= limit else { throw Failure(operation: "read (file above \(limit) bytes)", path: path, errno: EFBIG) }
        return Array(data)
    }
}
