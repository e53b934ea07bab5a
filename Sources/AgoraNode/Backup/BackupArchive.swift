import AgoraCore
import Crypto
import Foundation

/// The backup file format (docs/operations.md, "Backup and restore"): one file, checked whole
/// before anything is restored.
///
///     offset 0    magic "AGORABAK" (8 bytes)
///     8           format version, u32 little-endian (1)
///     12          header length H, u32 little-endian (at most 16 MiB)
///     16          header: H bytes of JSON (`BackupHeader`): chain ID, genesis hash, height, head
///                 hash, state root, creation time, and every entry's path, size and SHA-256
///     16 + H      the entries' bytes, in header order, back to back
///     end − 32    SHA-256 of every byte before it
///
/// A file shorter or longer than the header's sizes add up to is `truncated`; a wrong entry or
/// trailer hash is `corrupt`; an entry path outside the allowed set (`BackupHeader.allowed`) is
/// `badPath` — a backup cannot write outside the directory it is restored into.
public enum BackupArchive {
    public static let magic = Array("AGORABAK".utf8)
    public static let version: UInt32 = 1
    public static let maxHeaderBytes = 16 << 20
    static let prefixBytes = 16
    static let trailerBytes = 32
}

public struct BackupHeader: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var path: String
        public var size: UInt64
        public var sha256: String
    }

    public var chainID: String
    public var genesisHash: String
    public var height: UInt64
    public var headHash: String
    public var stateRoot: String
    public var createdAtMs: UInt64
    public var agoraVersion: String
    public var entries: [Entry]

    /// The files a backup may hold: the database copy, the chain's genesis and settings, and
    /// artifact contents. Never `consensus/` (signing state) or `keys/`.
    public static func allowed(_ path: String) -> Bool {
        if ["agora.sqlite", "genesis.json", "agora.json"].contains(path) { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // artifacts/sha256/ab/cd/<64 hex>
        guard parts.count == 5, parts[0] == "artifacts", parts[1] == "sha256", parts[4].utf8.count == 64 else { return false }
        let hex = Set("0123456789abcdef")
        return parts[2...].allSatisfy { !$0.isEmpty && $0.allSatisfy { hex.contains($0) } }
            && parts[4].hasPrefix(parts[2] + parts[3])
    }
}

/// Why a backup cannot be made or restored. Each names the file or directory and what is wrong;
/// `code` is the stable word the CLI puts first on its error line.
public enum BackupError: Error, Sendable, Equatable, CustomStringConvertible {
    case notABackup(file: String, reason: String)
    case unsupportedVersion(file: String, version: UInt32)
    case truncated(file: String, expected: UInt64, actual: UInt64)
    case corrupt(file: String, what: String)
    case badPath(file: String, path: String)
    case otherChain(file: String, backup: String, target: String, targetFile: String)
    case targetNotEmpty(directory: String, found: String)
    case io(path: String, reason: String)
    case source(reason: String)
    case moveValidator(reason: String)

    public var code: String {
        switch self {
        case .notABackup: return "not_a_backup"
        case .unsupportedVersion: return "unsupported_backup_version"
        case .truncated: return "truncated_backup"
        case .corrupt: return "corrupt_backup"
        case .badPath: return "bad_backup_path"
        case .otherChain: return "other_chain"
        case .targetNotEmpty: return "target_not_empty"
        case .io: return "io_error"
        case .source: return "backup_source"
        case .moveValidator: return "move_validator"
        }
    }

    public var description: String {
        let text: String
        switch self {
        case let .notABackup(f, r): text = "\(f) is not an agora backup: \(r)"
        case let .unsupportedVersion(f, v): text = "\(f) is backup format version \(v); this binary reads version \(BackupArchive.version)"
        case let .truncated(f, e, a): text = "\(f) is truncated or padded: its header accounts for \(e) bytes, the file has \(a)"
        case let .corrupt(f, w): text = "\(f) is corrupt: \(w)"
        case let .badPath(f, p): text = "\(f) names an entry \"\(p.prefix(200))\" outside what a backup may hold"
        case let .otherChain(f, b, t, tf): text = "\(f) is a backup of chain \(b), but \(tf) names chain \(t)"
        case let .targetNotEmpty(d, found): text = "\(d) is not empty (holds \(found)): restore only into a new or empty directory"
        case let .io(p, r): text = "\(p): \(r)"
        case let .source(r): text = r
        case let .moveValidator(r): text = r
        }
        return "\(code): \(text)"
    }
}

/// Writes the format. The header lists every entry's size and hash, so entries are staged on
/// disk (the database copy) or immutable there already (artifacts, named by their hash) and
/// hashed before the file is written; the trailer hash is computed while writing.
struct BackupWriter {
    /// Writes `header` and the staged files (`sources[i]` is entry `i`'s bytes) to `out`.
    static func write(header: BackupHeader, sources: [String], to out: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        guard json.count <= BackupArchive.maxHeaderBytes else {
            throw BackupError.source(reason: "the backup header (\(json.count) bytes: \(header.entries.count) entries) exceeds \(BackupArchive.maxHeaderBytes)")
        }
        guard FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: out) else { throw BackupError.io(path: out, reason: "cannot create the backup file") }
        defer { try? handle.close() }
        var hasher = SHA256()
        func emit(_ bytes: Data) throws {
            hasher.update(data: bytes)
            try handle.write(contentsOf: bytes)
        }
        var prefix = Data(BackupArchive.magic)
        prefix.append(contentsOf: withUnsafeBytes(of: BackupArchive.version.littleEndian, Array.init))
        prefix.append(contentsOf: withUnsafeBytes(of: UInt32(json.count).littleEndian, Array.init))
        try emit(prefix)
        try emit(json)
        for (entry, source) in zip(header.entries, sources) {
            guard let input = FileHandle(forReadingAtPath: source) else { throw BackupError.io(path: source, reason: "cannot read") }
            defer { try? input.close() }
            var copied: UInt64 = 0
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try emit(chunk)
                copied += UInt64(chunk.count)
            }
            guard copied == entry.size else { throw BackupError.source(reason: "\(source) changed size while it was copied") }
        }
        try handle.write(contentsOf: Data(hasher.finalize()))
        try handle.synchronize()
    }

    /// Size and SHA-256 of a staged file.
    static func digest(_ path: String) throws -> (size: UInt64, sha256: String) {
        guard let input = FileHandle(forReadingAtPath: path) else { throw BackupError.io(path: path, reason: "cannot read") }
        defer { try? input.close() }
        var hasher = SHA256()
        var size: UInt64 = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += UInt64(chunk.count)
        }
        return (size, Hash(bytes: Array(hasher.finalize()))?.hex ?? "")
    }
}
