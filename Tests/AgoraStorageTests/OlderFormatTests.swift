import AgoraCore
import Foundation
import GRDB
import Testing
@testable import AgoraStorage

/// A data directory written by an agora of an older header version is refused when opened, with
/// a message naming the version and what to do, and is left untouched.
extension BlockStoreTests {
    /// A store with one committed block, closed; returns its path.
    func storeWithOneBlock() throws -> String {
        let store = try tempStore()
        try store.initialize(try genesis())
        try store.commit(try nextBatch(store, transfers: 1))
        return store.path
    }

    func expectRefused(_ path: String, naming found: String) {
        do {
            _ = try BlockStore(path: path)
            Issue.record("an older-format database was opened")
        } catch let StorageError.unsupportedFormat(p, f, supported) {
            #expect(p == path)
            #expect(f.contains(found), "\(f)")
            #expect(supported == "block header version \(BlockHeader.currentVersion)")
            let message = StorageError.unsupportedFormat(path: p, found: f, supported: supported).description
            #expect(message.contains("agora init") && message.contains(found), "\(message)")
        } catch {
            Issue.record("refused with \(error), not unsupportedFormat")
        }
    }

    @Test("a database whose head header is version 2 is refused by name, before any migration")
    func headerVersionTwoRefused() throws {
        let path = try storeWithOneBlock()
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            // What the agora before the state tree wrote: the same row, header version byte 2.
            var header = try #require(try Data.fetchOne(db, sql: "SELECT header FROM blocks WHERE height = 1"))
            header[header.startIndex] = 2
            try db.execute(sql: "UPDATE blocks SET header = ? WHERE height = 1", arguments: [header])
        }
        try queue.close()
        expectRefused(path, naming: "block header version 2")
    }

    @Test("an initialised database without the state tree migration (never committed a block) is refused")
    func preTreeGenesisRefused() throws {
        let store = try tempStore()
        try store.initialize(try genesis())
        let path = store.path
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DROP TABLE state_nodes; DROP TABLE state_stale")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [Schema.stateTreeMigration])
        }
        try queue.close()
        expectRefused(path, naming: "before the state tree")
        // Left as it was: the refused open did not run the missing migration.
        let after = try DatabaseQueue(path: path)
        #expect(try after.read { try $0.tableExists("state_nodes") } == false)
    }

    @Test("a current database reopens")
    func currentFormatOpens() throws {
        let path = try storeWithOneBlock()
        #expect(try BlockStore(path: path).head().height == 1)
    }
}
