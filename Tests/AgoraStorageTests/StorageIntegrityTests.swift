import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import GRDB
import Testing
@testable import AgoraStorage

/// Storage integrity (issue 14): the start-up check finds what a damaged file hides, a row that
/// does not have its stored shape is a typed `StorageError` (never a trap) and is remembered as
/// corruption, and a clean close leaves every committed block in the main file.
extension BlockStoreTests {
    /// A store with `blocks` committed blocks of two transfers each.
    func storeWithBlocks(_ blocks: Int) throws -> BlockStore {
        let store = try tempStore()
        try store.initialize(try genesis())
        for i in 0..<blocks { try store.commit(try nextBatch(store, transfers: 2, firstNonce: UInt64(i * 2))) }
        return store
    }

    /// Runs raw SQL on the store's file through a second connection: damage as a disk would do it.
    func damage(_ store: BlockStore, _ sql: String, _ arguments: StatementArguments = []) throws {
        let queue = try DatabaseQueue(path: store.path)
        try queue.write { try $0.execute(sql: sql, arguments: arguments) }
        try queue.close()
    }

    func problem(_ store: BlockStore, _ mode: StartupCheckMode) -> String? {
        do {
            _ = try store.checkIntegrity(mode)
            return nil
        } catch let StorageError.startupCheck(path, problem) {
            return path == store.path ? problem : "wrong path \(path)"
        } catch {
            return "untyped: \(error)"
        }
    }

    @Test("an intact store passes the start-up check in both modes and reports what it walked")
    func startupCheckPasses() throws {
        let store = try storeWithBlocks(3)
        #expect(try store.checkIntegrity(.full) == .init(mode: .full, blocks: 3, transactions: 6))
        #expect(try store.checkIntegrity(.headers) == .init(mode: .headers, blocks: 3, transactions: 0))
    }

    @Test("a header whose bytes changed on disk fails the check naming the block")
    func flippedHeader() throws {
        let store = try storeWithBlocks(3)
        let header = try #require(try store.block(height: 2)).block.header
        var bytes = header.canonicalBytes
        bytes[bytes.count / 2] ^= 0xFF
        try damage(store, "UPDATE blocks SET header = ? WHERE height = 2", [Data(bytes)])
        let found = try #require(problem(store, .headers))
        #expect(found.contains("block 2"), "\(found)")
    }

    @Test("a block lost below the head fails the check as missing blocks")
    func missingBlock() throws {
        let store = try storeWithBlocks(3)
        try damage(store, "DELETE FROM blocks WHERE height = 2")
        let found = try #require(problem(store, .headers))
        #expect(found.contains("missing"), "\(found)")
    }

    @Test("a head recorded above the stored blocks fails the check")
    func headAboveBlocks() throws {
        let store = try storeWithBlocks(2)
        try damage(store, "DELETE FROM blocks WHERE height = 2")
        let found = try #require(problem(store, .headers))
        #expect(found.contains("head height 2 has no block row") || found.contains("recorded head is height 2"), "\(found)")
    }

    @Test("a transaction changed on disk fails the full check (txRoot), not the headers check")
    func changedTransaction() throws {
        let store = try storeWithBlocks(2)
        let other = alice.sign(TransactionBody(chainID: "store-test", sender: alice.publicKey, nonce: 99, fee: .zero, expiresAt: 1_000,
                                               payload: .transfer(to: validator.address, amount: Amount(7)!, memo: "")))
        try damage(store, "UPDATE transactions SET bytes = ? WHERE position = ?",
                   [Data(other.bytes), Schema.position(height: 1, index: 1)])
        #expect(problem(store, .headers) == nil)
        let found = try #require(problem(store, .full))
        #expect(found.contains("block 1") && found.contains("txRoot"), "\(found)")
    }

    @Test("a page of the file overwritten with garbage fails SQLite's quick_check in full mode")
    func garbagePage() throws {
        let store = try storeWithBlocks(40)
        try store.checkpointAndClose()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int)
        let pageSize = 4096
        #expect(size >= 4 * pageSize)
        // A page in the middle of the file: table or index pages of the chain, past the schema.
        let handle = try #require(FileHandle(forUpdatingAtPath: store.path))
        try handle.seek(toOffset: UInt64(size / pageSize / 2 * pageSize))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: pageSize))
        try handle.close()
        // The page may hold part of the schema (the state tree's tables made it longer): then
        // opening already refuses the file, naming the damage, which is the same verdict sooner.
        let reopened: BlockStore
        do { reopened = try BlockStore(path: store.path) } catch {
            #expect("\(error)".contains("malformed"), "\(error)")
            return
        }
        let found = try #require(problem(reopened, .full))
        #expect(found.contains("quick_check") || found.contains("malformed"), "\(found)")
        #expect(reopened.corruption != nil)
    }

    @Test("a column of the wrong type is a typed corrupt error and marks the store, where GRDB's subscript would trap")
    func wrongTypeColumn() throws {
        let store = try storeWithBlocks(2)
        #expect(store.corruption == nil)
        try damage(store, "UPDATE blocks SET seal = 42 WHERE height = 1")
        #expect {
            _ = try store.block(height: 1)
        } throws: { error in
            guard let e = error as? StorageError, case let .corrupt(what) = e else { return false }
            return what.contains("block 1") && what.contains("seal")
        }
        #expect(store.corruption?.isCorruption == true)
        // Other reads still work: the store is marked, not closed.
        #expect(try store.block(height: 2) != nil)
    }

    @Test("a receipt that does not decode is a typed corrupt error in the transaction list, and marks the store")
    func nullInIndex() throws {
        let store = try storeWithBlocks(1)
        try damage(store, "UPDATE transactions SET receipt = x'' WHERE position = ?", [Schema.position(height: 1, index: 0)])
        #expect(throws: StorageError.self) { _ = try store.transactions(sender: nil, before: nil, limit: 10) }
        #expect(store.corruption != nil)
    }

    @Test("a clean close checkpoints the WAL: the main file alone holds every committed block")
    func checkpointAtClose() throws {
        let store = try storeWithBlocks(5)
        let wal = store.path + "-wal"
        #expect(((try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0) > 0)
        try store.checkpointAndClose()
        #expect(((try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0) == 0)
        // What a backup that copies only agora.sqlite gets.
        let copy = NSTemporaryDirectory() + "agora-copy-\(UUID().uuidString).sqlite"
        try FileManager.default.copyItem(atPath: store.path, toPath: copy)
        let restored = try BlockStore(path: copy)
        #expect(try restored.head().height == 5)
        #expect(try restored.checkIntegrity(.full).blocks == 5)
    }
}
