import AgoraCore
import Foundation
import GRDB

/// Refusing a database written in an older chain format, before anything touches it. Header
/// version 3 made `stateRoot` the state tree's root (docs/state.md): a directory written by an
/// earlier agora holds headers of version 2 (or 1) whose state roots a node of this version can
/// neither check nor extend, and no state tree. Opening it used to migrate the schema (adding
/// the empty tree tables) and then fail deep inside with a header decode error; now it is
/// refused up front by `StorageError.unsupportedFormat`, naming the version found and what to do,
/// and the file is left exactly as it was.
extension Schema {
    /// The migration that came with header version 3: a database that has the ledger tables but
    /// not this migration was written before the state tree.
    static let stateTreeMigration = "v7-state-tree"

    static func refuseOlderFormat(_ pool: DatabasePool, path: String) throws {
        let found: String? = try pool.read { db in
            guard try db.tableExists("blocks"), try db.tableExists("meta") else { return nil }
            if let header = try Data.fetchOne(db, sql: "SELECT header FROM blocks ORDER BY height DESC LIMIT 1"),
               let version = header.first, version != BlockHeader.currentVersion {
                return "block header version \(version)"
            }
            guard try db.tableExists("grdb_migrations") else { return nil }
            let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            let initialized = try Row.fetchOne(db, sql: "SELECT 1 FROM meta WHERE key = ?", arguments: [MetaKey.chainID]) != nil
            // Initialised but never committed a block: its genesis state root is of the old kind too.
            if initialized, !applied.contains(stateTreeMigration) { return "the format before the state tree (block header version 2 or older)" }
            return nil
        }
        if let found {
            throw StorageError.unsupportedFormat(path: path, found: found, supported: "block header version \(BlockHeader.currentVersion)")
        }
    }
}
