import AgoraCore
import Foundation
import GRDB

/// SQLite's online backup of a node's `agora.sqlite` while the node may be running (another
/// process): one read transaction on the source copies every page in a single step, so the copy
/// is the database as of one committed block (WAL readers never block the node's writer, and a
/// one-step backup cannot be restarted by the writer's commits). The copy's meta table then
/// names the height it holds.
extension BlockStore {
    /// What an online backup holds.
    public struct BackupPoint: Sendable, Equatable {
        public var chainID: String
        public var genesisHash: Hash
        public var height: UInt64
        public var headHash: Hash
        public var stateRoot: Hash
    }

    /// Copies the database at `source` into a new file at `destination` (which must not exist)
    /// and returns the height it holds. The destination is a plain rollback-journal file with no
    /// WAL beside it, so it is one self-contained file.
    public static func onlineBackup(source: String, destination: String) throws -> BackupPoint {
        guard FileManager.default.fileExists(atPath: source) else { throw StorageError.open(path: source, reason: "no such file") }
        guard !FileManager.default.fileExists(atPath: destination) else { throw StorageError.alreadyInitialized(path: destination) }
        do {
            // Not read-only: a read-only connection cannot open a WAL database whose node stopped
            // (SQLite removed its -shm); nothing is written through this one.
            var config = Configuration()
            config.busyMode = .timeout(10)
            let from = try DatabaseQueue(path: source, configuration: config)
            let to = try DatabaseQueue(path: destination)
            try from.backup(to: to)
            try from.close()
            // The copy carries the source's WAL mode in its header; a restored node sets its own.
            try to.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode=DELETE") }
            let point = try to.read { db in try backupPoint(db, path: destination) }
            try to.close()
            return point
        } catch let e as StorageError {
            throw e
        } catch {
            throw StorageError.sqlite(operation: "online backup of \(source)", reason: "\(error)")
        }
    }

    /// The chain and head recorded in a database file (read-only; for restore's checks).
    public static func backupPoint(path: String) throws -> BackupPoint {
        do {
            var config = Configuration()
            config.readonly = true
            let q = try DatabaseQueue(path: path, configuration: config)
            defer { try? q.close() }
            return try q.read { db in try backupPoint(db, path: path) }
        } catch let e as StorageError {
            throw e
        } catch {
            throw StorageError.open(path: path, reason: "\(error)")
        }
    }

    static func backupPoint(_ db: Database, path: String) throws -> BackupPoint {
        func meta(_ key: String) throws -> [UInt8]? {
            try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]).map { Array($0) }
        }
        guard let chain = try meta(MetaKey.chainID).flatMap({ String(validating: $0, as: UTF8.self) }),
              let genesis = try meta(MetaKey.genesisHash).flatMap({ Hash(bytes: $0) }),
              let height = try meta(MetaKey.headHeight).flatMap({ try? UInt64(canonicalBytes: $0) }),
              let head = try meta(MetaKey.headHash).flatMap({ Hash(bytes: $0) }),
              let root = try meta(MetaKey.stateRoot).flatMap({ Hash(bytes: $0) })
        else { throw StorageError.notInitialized(path: path) }
        return BackupPoint(chainID: chain, genesisHash: genesis, height: height, headHash: head, stateRoot: root)
    }
}
