import AgoraCore
import AgoraState
import Foundation
import GRDB

/// Committing a block: the block row, its transactions with receipts, every registered module
/// index (`BlockIndexer`), the state writes and the new head, all in one SQLite transaction, so
/// after a crash the database holds either the whole block or none of it.
extension BlockStore {
    /// A block ready to store: the block, the commit that finalised it, what executing it
    /// produced, and the resulting roots.
    public struct CommitBatch: Sendable {
        public var block: Block
        public var seal: Commit
        public var receipts: [Receipt]
        public var writes: WriteSet
        public var digest: StateDigest
        /// The state tree's pages for this height (`stateTreeUpdate`); its root is the header's.
        public var tree: StateTree.Update
        /// Prune tree pages that went stale at or before this height (nil: keep everything).
        public var pruneThrough: UInt64?

        public init(block: Block, seal: Commit, receipts: [Receipt], writes: WriteSet, digest: StateDigest,
                    tree: StateTree.Update, pruneThrough: UInt64? = nil) {
            self.block = block
            self.seal = seal
            self.receipts = receipts
            self.writes = writes
            self.digest = digest
            self.tree = tree
            self.pruneThrough = pruneThrough
        }
    }

    /// Stale pages deleted per block at most: the pruner keeps up with a window's worth of
    /// blocks as long as a block replaces fewer pages than this, and a commit never stalls on a
    /// large backlog (after the window is shortened, say).
    public static let pruneBatch = 4_096

    /// Stores a block and its effects atomically. The block must extend the current head.
    public func commit(_ batch: CommitBatch) throws {
        let header = batch.block.header
        let hash = header.hash
        let oldest = try write("commit block \(header.height)") { db in
            let head = try self.head(db)
            guard header.height == head.height + 1 else {
                throw StorageError.notNextHeight(expected: head.height + 1, got: header.height)
            }
            guard header.previousHash == head.hash else {
                throw StorageError.corrupt(what: "block \(header.height) does not extend head \(head.hash)")
            }
            guard batch.tree.version == header.height, batch.tree.root == header.stateRoot else {
                throw StorageError.corrupt(what: "state tree update for \(batch.tree.version) does not match block \(header.height)'s state root")
            }
            try BlockStore.insertBlock(db, batch, hash: hash)
            for indexer in BlockStore.indexers { try indexer.index(db, batch) }
            try BlockStore.applyWrites(db, batch.writes)
            try BlockStore.writeTree(db, batch.tree)
            if let through = batch.pruneThrough {
                try self.pruneTree(db, through: through, limit: max(BlockStore.pruneBatch, 2 * batch.tree.stale.count))
            }
            try self.setMeta(db, MetaKey.headHeight, header.height.canonicalBytes)
            try self.setMeta(db, MetaKey.headHash, hash.bytes)
            try self.setMeta(db, MetaKey.stateRoot, header.stateRoot.bytes)
            try self.setMeta(db, MetaKey.stateDigest, batch.digest.bytes)
            return try self.oldestProvableHeight(db)
        }
        // Proofs served from memory see the new head and window from now on.
        proofReads.publish(ProofReadCache.Window(head: header.height, oldest: oldest))
    }

    /// The block row and one row per transaction, keyed by its position (height, index).
    static func insertBlock(_ db: Database, _ batch: CommitBatch, hash: Hash) throws {
        let header = batch.block.header
        try db.execute(sql: "INSERT INTO blocks(height, hash, header, seal, tx_count, timestamp) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [Int64(header.height), Data(hash.bytes), Data(header.canonicalBytes),
                                   Data(batch.seal.canonicalBytes), batch.block.transactions.count, Int64(header.timestamp)])
        let insertTx = try db.cachedStatement(sql: "INSERT INTO transactions(position, id, sender, bytes, receipt) VALUES (?, ?, ?, ?, ?)")
        for (i, tx) in batch.block.transactions.enumerated() {
            insertTx.setUncheckedArguments([Schema.position(height: header.height, index: i), Data(tx.id.bytes), Data(tx.sender.bytes),
                                            Data(tx.bytes), Data(batch.receipts[i].canonicalBytes)])
            try insertTx.execute()
        }
    }

    /// The block's state writes: upserts, and deletes for removed keys.
    static func applyWrites(_ db: Database, _ writes: WriteSet) throws {
        let upsert = try db.cachedStatement(sql: "INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        let delete = try db.cachedStatement(sql: "DELETE FROM state WHERE key = ?")
        for e in writes.entries {
            if let v = e.value {
                upsert.setUncheckedArguments([Data(e.key.bytes), Data(v)])
                try upsert.execute()
            } else {
                delete.setUncheckedArguments([Data(e.key.bytes)])
                try delete.execute()
            }
        }
    }
}
