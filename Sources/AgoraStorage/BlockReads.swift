import AgoraCore
import AgoraState
import Foundation
import GRDB

/// Reading the chain's history back: stored blocks (with their seals and receipts), transactions
/// by ID, and the newest-first, keyset-paged lists of blocks, transactions and accounts the API
/// serves. Every read runs in one GRDB read transaction, so it sees whole blocks only.
extension BlockStore {
    public struct StoredBlock: Sendable {
        public var block: Block
        public var seal: Commit
        public var receipts: [Receipt]
    }

    public func block(height: UInt64) throws -> StoredBlock? {
        try read("block \(height)") { db in
            // A state-synced node holds no row at all below its snapshot: pruned too, not unknown.
            guard let stored = try self.block(db, where: "height = ?", Int64(height)) else {
                if height > 0 { try self.requireBody(db, height: height, what: "block \(height)") }
                return nil
            }
            return stored
        }
    }

    /// The hash of the block at `height`, without reading the block.
    public func blockHash(height: UInt64) throws -> Hash? {
        try read("block hash \(height)") { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT hash FROM blocks WHERE height = ?", arguments: [Int64(height)]) else {
                return nil
            }
            return Hash(bytes: Array(data))
        }
    }

    public func block(hash: Hash) throws -> StoredBlock? {
        try read("block \(hash)") { db in try self.block(db, where: "hash = ?", Data(hash.bytes)) }
    }

    func block(_ db: Database, where clause: String, _ arg: any DatabaseValueConvertible) throws -> StoredBlock? {
        guard let row = try Row.fetchOne(db, sql: "SELECT height, header, seal FROM blocks WHERE \(clause)", arguments: [arg]) else {
            return nil
        }
        let height: Int64 = try row.stored("height", of: "block row")
        try requireBody(db, height: UInt64(height), what: "the body of block \(height)")
        let header = try decode(BlockHeader.self, try row.stored("header", of: "block \(height)"), "block \(height) header")
        let seal = try decode(Commit.self, try row.stored("seal", of: "block \(height)"), "block \(height) seal")
        var txs: [Transaction] = []
        var receipts: [Receipt] = []
        let cursor = try Row.fetchCursor(db, sql: "SELECT bytes, receipt FROM transactions WHERE position >= ? AND position < ? ORDER BY position",
                                         arguments: [Schema.position(height: UInt64(height), index: 0),
                                                     Schema.position(height: UInt64(height) + 1, index: 0)])
        while let r = try cursor.next() {
            let bytes: Data = try r.stored("bytes", of: "transaction in block \(height)")
            do { txs.append(try Transaction(bytes: Array(bytes))) } catch {
                throw StorageError.corrupt(what: "transaction in block \(height): \(error)")
            }
            receipts.append(try decode(Receipt.self, try r.stored("receipt", of: "transaction in block \(height)"), "receipt in block \(height)"))
        }
        return StoredBlock(block: Block(header: header, transactions: txs), seal: seal, receipts: receipts)
    }

    public struct StoredTransaction: Sendable {
        public var transaction: Transaction
        public var height: UInt64
        public var index: Int
        public var receipt: Receipt
    }

    public func transaction(id: Hash) throws -> StoredTransaction? {
        try read("transaction \(id)") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT position, bytes, receipt FROM transactions WHERE id = ?",
                                             arguments: [Data(id.bytes)]) else { return nil }
            let bytes: Data = try row.stored("bytes", of: "transaction \(id)")
            let tx: Transaction
            do { tx = try Transaction(bytes: Array(bytes)) } catch {
                throw StorageError.corrupt(what: "transaction \(id): \(error)")
            }
            let (height, index) = Schema.split(try row.stored("position", of: "transaction \(id)"))
            return StoredTransaction(transaction: tx, height: height, index: index,
                                     receipt: try decode(Receipt.self, try row.stored("receipt", of: "transaction \(id)"), "receipt of \(id)"))
        }
    }

    // MARK: Lists (newest first, keyset paging)

    public struct BlockSummary: Sendable {
        public var header: BlockHeader
        public var transactionCount: Int
    }

    /// Blocks below `before` (exclusive), newest first.
    public func blocks(before: UInt64?, limit: Int) throws -> [BlockSummary] {
        try read("list blocks") { db in
            let rows = try Row.fetchAll(db, sql: "SELECT height, header, tx_count FROM blocks WHERE height < ? ORDER BY height DESC LIMIT ?",
                                        arguments: [Int64(clamping: before ?? UInt64(Int64.max)), limit])
            return try rows.map { row in
                let h: Int64 = try row.stored("height", of: "block row")
                return BlockSummary(header: try decode(BlockHeader.self, try row.stored("header", of: "block \(h)"), "block \(h) header"),
                                    transactionCount: try row.stored("tx_count", of: "block \(h)"))
            }
        }
    }

    /// Committed transactions before position `before` (exclusive), newest first, optionally only
    /// those sent by `sender`. Returns each with its position, which is the paging cursor.
    public func transactions(sender: Address?, before: Int64?, limit: Int) throws -> [(position: Int64, StoredTransaction)] {
        try read("list transactions") { db in
            // Pruned heights are not listed (the few rows kept for module records would make a
            // gappy list); a cursor below the earliest height is a `pruned` answer.
            let earliest = try self.earliestHeight(db)
            let floor = Schema.position(height: earliest, index: 0)
            if let before, earliest > 1, before <= floor {
                throw StorageError.pruned(what: "transactions before position \(before)", earliest: earliest)
            }
            let bound = before ?? Int64.max
            let rows: [Row]
            if let sender {
                rows = try Row.fetchAll(db, sql: "SELECT position, bytes, receipt FROM transactions WHERE sender = ? AND position < ? AND position >= ? ORDER BY position DESC LIMIT ?",
                                        arguments: [Data(sender.bytes), bound, floor, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT position, bytes, receipt FROM transactions WHERE position < ? AND position >= ? ORDER BY position DESC LIMIT ?",
                                        arguments: [bound, floor, limit])
            }
            return try rows.map { row in
                let position: Int64 = try row.stored("position", of: "transaction row")
                let bytes: Data = try row.stored("bytes", of: "transaction at \(position)")
                let tx: Transaction
                do { tx = try Transaction(bytes: Array(bytes)) } catch { throw StorageError.corrupt(what: "transaction at \(position): \(error)") }
                let (height, index) = Schema.split(position)
                return (position, StoredTransaction(transaction: tx, height: height, index: index,
                                                    receipt: try decode(Receipt.self, try row.stored("receipt", of: "transaction at \(position)"),
                                                                                  "receipt at \(position)")))
            }
        }
    }

    /// Accounts after `after` (exclusive) in address order.
    public func accounts(after: Address?, limit: Int) throws -> [(Address, Account)] {
        let prefix = Array(BankKeys.accountPrefix.utf8)
        var end = prefix
        end[end.count - 1] += 1
        let start = after.map { prefix + $0.bytes } ?? prefix
        return try read("list accounts") { db in
            let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM state WHERE key > ? AND key < ? ORDER BY key LIMIT ?",
                                        arguments: [Data(start), Data(end), limit])
            return try rows.compactMap { row in
                let key: Data = try row.stored("key", of: "account row")
                guard key.count == prefix.count + Address.size else { return nil }
                let address = Address(raw: Array(key.suffix(Address.size)))
                return (address, try decode(Account.self, try row.stored("value", of: "account \(address)"), "account \(address)"))
            }
        }
    }
}
