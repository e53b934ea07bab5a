// Snapshots on disk (docs/state-sync.md): the files a node writes every `snapshot.interval`
// heights and serves to peers, the consistent read of the state they are cut from, and the
// restore that builds a whole database from verified chunks in a staging file.

import AgoraCore
import Foundation

/// The snapshots directory: one folder per height (`<height, 20 digits>/manifest` and
/// `chunk-<index>`), written under `.tmp-<height>` and renamed into place only when every file is
/// written and fsynced, so a listed snapshot is always whole. Reads verify each chunk against its
/// manifest hash: a file damaged on disk is never served.
public struct SnapshotFiles: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public enum FileError: Error, Equatable, Sendable, CustomStringConvertible {
        case notStored(height: UInt64)
        case chunkOutOfRange(height: UInt64, index: Int, count: Int)
        case damaged(path: String, reason: String)
        case io(path: String, reason: String)

        public var description: String {
            switch self {
            case let .notStored(h): return "no snapshot at height \(h) is stored here"
            case let .chunkOutOfRange(h, i, n): return "the snapshot at \(h) has \(n) chunks; there is no chunk \(i)"
            case let .damaged(p, r): return "snapshot file \(p) is damaged: \(r)"
            case let .io(p, r): return "snapshot file \(p): \(r)"
            }
        }
    }

    func folder(_ height: UInt64) -> String { directory + "/" + String(format: "%020llu", height) }
    static func chunkName(_ index: Int) -> String { String(format: "chunk-%06d", index) }

    /// Manifests of the stored snapshots, highest first. A folder that does not hold a readable
    /// manifest is skipped (and removed by the next `prune`).
    public func list() -> [SnapshotManifest] {
        heights().sorted(by: >).compactMap { try? manifest(height: $0) }
    }

    func heights() -> [UInt64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { $0.count == 20 ? UInt64($0) : nil }
    }

    public func manifest(height: UInt64) throws(FileError) -> SnapshotManifest {
        let path = folder(height) + "/manifest"
        guard FileManager.default.fileExists(atPath: path) else { throw .notStored(height: height) }
        let bytes = try Self.read(path, limit: SnapshotManifest.maxChunks * 32 + 4096)
        do { return try SnapshotManifest(canonicalBytes: bytes) } catch { throw .damaged(path: path, reason: "\(error)") }
    }

    /// The bytes of one chunk, checked against the manifest's hash before they leave the disk.
    public func chunk(height: UInt64, index: Int) throws(FileError) -> [UInt8] {
        let m = try manifest(height: height)
        guard index >= 0, index < m.chunkCount else { throw .chunkOutOfRange(height: height, index: index, count: m.chunkCount) }
        let path = folder(height) + "/" + Self.chunkName(index)
        let bytes = try Self.read(path, limit: SnapshotManifest.maxChunkBytes)
        guard Hash.sha256(bytes) == m.chunkHashes[index] else { throw .damaged(path: path, reason: "SHA-256 differs from the manifest") }
        return bytes
    }

    /// Keeps the `keep` highest snapshots; removes the rest and any unfinished `.tmp-*` folder
    /// other than `writing`.
    public func prune(keep: Int, writing: UInt64? = nil) {
        let fm = FileManager.default
        for h in heights().sorted(by: >).dropFirst(max(keep, 0)) { try? fm.removeItem(atPath: folder(h)) }
        for name in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(".tmp-") {
            if let writing, name == ".tmp-\(writing)" { continue }
            try? fm.removeItem(atPath: directory + "/" + name)
        }
    }

    public static func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .io(path: path, reason: "cannot open") }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: limit + 1) ?? Data() } catch { throw .io(path: path, reason: "\(error)") }
        guard data.count <= limit else { throw .damaged(path: path, reason: "larger than \(limit) bytes") }
        return Array(data)
    }
}

extension SnapshotFiles {
    /// Writes one snapshot: `chunks` is called with a sink that takes each chunk in order. The
    /// folder appears under its height only after every file is fsynced; on error nothing is
    /// listed. Returns the manifest written.
    public func write(chainID: String, height: UInt64, stateRoot: Hash,
                      chunks: (_ sink: (SnapshotChunk) throws -> Void) throws -> Void) throws -> SnapshotManifest {
        let fm = FileManager.default
        let tmp = directory + "/.tmp-\(height)"
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if fm.fileExists(atPath: tmp) { try fm.removeItem(atPath: tmp) }
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        } catch { throw FileError.io(path: tmp, reason: "\(error)") }
        var hashes: [Hash] = []
        var entries: UInt64 = 0
        do {
            try chunks { chunk in
                let bytes = chunk.canonicalBytes
                try Self.writeSynced(bytes, to: tmp + "/" + Self.chunkName(hashes.count))
                hashes.append(Hash.sha256(bytes))
                entries += UInt64(chunk.entries.count)
            }
            let manifest = SnapshotManifest(chainID: chainID, height: height, stateRoot: stateRoot, entryCount: entries, chunkHashes: hashes)
            try Self.writeSynced(manifest.canonicalBytes, to: tmp + "/manifest")
            let final = folder(height)
            if fm.fileExists(atPath: final) { try fm.removeItem(atPath: final) }
            guard rename(tmp, final) == 0 else { throw FileError.io(path: final, reason: "rename: errno \(errno)") }
            Self.syncDirectory(directory)
            return manifest
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw error
        }
    }

    public static func writeSynced(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw FileError.io(path: path, reason: "open: errno \(errno)") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard n > 0 else { throw FileError.io(path: path, reason: "write: errno \(errno)") }
            written += n
        }
        guard fsync(fd) == 0 else { throw FileError.io(path: path, reason: "fsync: errno \(errno)") }
    }

    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
