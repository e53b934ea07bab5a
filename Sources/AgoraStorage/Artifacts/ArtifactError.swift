import AgoraCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong storing or reading an artifact. Each case carries the artifact
/// (or temp file) it concerns, so a log line or an API error can name it.
public enum ArtifactError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes written do not hash to the hash the writer was told to expect; nothing was stored.
    case hashMismatch(expected: Hash, actual: Hash)
    /// More or fewer bytes than declared.
    case sizeMismatch(expected: Int64, actual: Int64)
    /// Above `artifacts.maxBytes` (or the declared size).
    case tooLarge(limit: Int64, attempted: Int64)
    /// The store's total would exceed `artifacts.quotaBytes`.
    case quotaExceeded(quota: Int64, stored: Int64, requested: Int64)
    case notFound(Hash)
    /// A stored file no longer hashes to its name; it has been moved to quarantine.
    case corrupted(Hash, actual: Hash)
    /// The file changed size under the reader (truncated or appended by something else).
    case truncated(Hash, expected: Int64, actual: Int64)
    /// A system call failed: what, on which path, errno.
    case io(operation: String, path: String, errno: Int32)
    /// The writer was used after commit or discard.
    case writerClosed

    public var description: String {
        switch self {
        case let .hashMismatch(e, a): return "content hashes to \(a.hex), not the declared \(e.hex)"
        case let .sizeMismatch(e, a): return "content is \(a) bytes, not the declared \(e)"
        case let .tooLarge(limit, attempted): return "artifact of \(attempted) bytes exceeds the limit of \(limit) bytes"
        case let .quotaExceeded(q, s, r): return "store quota \(q) bytes: \(s) stored, \(r) more requested"
        case let .notFound(h): return "artifact \(h.hex) is not stored here"
        case let .corrupted(h, a): return "stored artifact \(h.hex) hashes to \(a.hex); quarantined"
        case let .truncated(h, e, a): return "stored artifact \(h.hex) changed size while read (\(e) → \(a) bytes); quarantined"
        case let .io(op, path, e): return "\(op) failed for \(path): errno \(e)"
        case .writerClosed: return "artifact writer already committed or discarded"
        }
    }
}

extension ArtifactError {
    /// A write refused because the filesystem (or the user's quota on it) is full: the API
    /// answers 507 `insufficient_storage`, and the same upload succeeds once space returns.
    public var isOutOfSpace: Bool {
        guard case let .io(_, _, e) = self else { return false }
        return e == ENOSPC || e == EDQUOT
    }

    /// Closures such as `withUnsafeBytes` rethrow as `any Error`; everything thrown inside them
    /// here is an `ArtifactError`, and this recovers the type without a force cast.
    static func from(_ error: any Error, path: String) -> ArtifactError {
        (error as? ArtifactError) ?? .io(operation: "\(error)", path: path, errno: 5)
    }
}
