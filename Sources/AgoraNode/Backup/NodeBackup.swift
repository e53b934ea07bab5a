import AgoraCore
import AgoraStorage
import Foundation

/// `agora backup`: a consistent copy of a node's data directory while the node runs — the
/// database through SQLite's online backup (one committed height), the chain's genesis and
/// settings, and the artifact store's contents — in one file (`BackupArchive`). Signing state
/// (`consensus/`) and keys are never in a backup: a restored directory must not sign as the
/// validator it was copied from by accident (`NodeRestore`).
public enum NodeBackup {
    public struct Report: Sendable {
        public var file: String
        public var header: BackupHeader
        public var bytes: UInt64
    }

    /// Writes the backup of `dataDir` to `out` (which must not exist), through `out.part` and a
    /// rename, so `out` is either absent or whole.
    public static func create(dataDir: DataDirectory, out: String, version: String, now: UInt64) throws -> Report {
        let fm = FileManager.default
        guard fm.fileExists(atPath: dataDir.databaseFile) else {
            throw BackupError.source(reason: "\(dataDir.path) holds no agora.sqlite: not a node's data directory")
        }
        guard !fm.fileExists(atPath: out) else { throw BackupError.io(path: out, reason: "already exists; choose a new --out") }
        let staging = out + ".staging-\(UInt64.random(in: 0...UInt64.max))"
        do { try fm.createDirectory(atPath: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw BackupError.io(path: staging, reason: "\(error)")
        }
        defer { try? fm.removeItem(atPath: staging) }
        let point: BlockStore.BackupPoint
        do { point = try BlockStore.onlineBackup(source: dataDir.databaseFile, destination: staging + "/agora.sqlite") } catch {
            throw BackupError.source(reason: "online backup of \(dataDir.databaseFile) failed: \(error)")
        }
        var sources = [(path: "agora.sqlite", file: staging + "/agora.sqlite")]
        for name in ["genesis.json", "agora.json"] where fm.fileExists(atPath: dataDir.path + "/" + name) {
            sources.append((name, dataDir.path + "/" + name))
        }
        sources += artifactFiles(dataDir)
        var entries: [BackupHeader.Entry] = []
        for s in sources {
            let d = try BackupWriter.digest(s.file)
            entries.append(.init(path: s.path, size: d.size, sha256: d.sha256))
        }
        let header = BackupHeader(chainID: point.chainID, genesisHash: point.genesisHash.hex, height: point.height,
                                  headHash: point.headHash.hex, stateRoot: point.stateRoot.hex, createdAtMs: now,
                                  agoraVersion: version, entries: entries)
        let part = out + ".part"
        try? fm.removeItem(atPath: part)
        do {
            try BackupWriter.write(header: header, sources: sources.map(\.file), to: part)
            guard rename(part, out) == 0 else { throw BackupError.io(path: out, reason: "rename failed: errno \(errno)") }
        } catch {
            try? fm.removeItem(atPath: part)
            throw error
        }
        let size = (try? fm.attributesOfItem(atPath: out)[.size] as? NSNumber)?.uint64Value ?? 0
        return Report(file: out, header: header, bytes: size)
    }

    /// Verified artifact contents (`artifacts/sha256/ab/cd/<hex>`), in path order. Files being
    /// written (`tmp/`) and quarantined ones are not part of the store's contents.
    static func artifactFiles(_ dataDir: DataDirectory) -> [(path: String, file: String)] {
        let root = dataDir.artifactsDirectory + "/sha256"
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [(String, String)] = []
        while let relative = walker.nextObject() as? String {
            let path = "artifacts/sha256/" + relative
            if BackupHeader.allowed(path) { out.append((path, root + "/" + relative)) }
        }
        return out.sorted { $0.0 < $1.0 }
    }
}
