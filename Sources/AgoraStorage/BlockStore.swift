import AgoraCore
import AgoraState
import Foundation
import GRDB

/// The chain on disk: blocks, transactions with receipts, and state, in one SQLite database in
/// WAL mode with `synchronous=FULL`. A block and everything it changed commit in one SQLite
/// transaction, so after a crash the database holds either the whole block or none of it.
///
/// One writer (the block producer) and many readers (API) share the file: GRDB's pool gives
/// readers snapshot isolation, so a reader never sees half a block.
public final class BlockStore: Sendable {
    public let path: String
    let pool: DatabasePool

    /// SQLite's memory: the page cache of each connection and the bytes of the file it maps.
    /// The indexes of a large chain (claims by author, thread and ID; the state table) take
    /// inserts at random places, and every page read outside SQLite's own cache is a system
    /// call and a copy; mapping the file turns those into memory reads.
    public struct Tuning: Sendable, Equatable {
        public var cacheMiB: Int
        public var mmapMiB: Int
        public static let `default` = Tuning(cacheMiB: 2, mmapMiB: 0)
        public init(cacheMiB: Int, mmapMiB: Int) { self.cacheMiB = cacheMiB; self.mmapMiB = mmapMiB }
    }

    public init(path: String, tuning: Tuning = .default) throws {
        self.path = path
        var config = Configuration()
        config.label = "agora"
        config.maximumReaderCount = 8
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -\(tuning.cacheMiB * 1024)")
            if tuning.mmapMiB > 0 { try db.execute(sql: "PRAGMA mmap_size = \(tuning.mmapMiB << 20)") }
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // Must follow opening: GRDB sets NORMAL on its writer connection (see PLATFORM.md).
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous=FULL")
            }
            try Schema.migrator.migrate(pool)
        } catch {
            throw StorageError.open(path: path, reason: "\(error)")
        }
    }

    // MARK: Chain identity and head

    public struct Head: Sendable, Equatable {
        public var height: UInt64
        public var hash: Hash
        public var stateRoot: Hash
        public var digest: StateDigest
        /// Timestamp of the head block (genesis time at height 0).
        public var timestamp: UInt64

        public init(height: UInt64, hash: Hash, stateRoot: Hash, digest: StateDigest, timestamp: UInt64) {
            self.height = height
            self.hash = hash
            self.stateRoot = stateRoot
            self.digest = digest
            self.timestamp = timestamp
        }
    }

    public struct Identity: Sendable, Equatable {
        public var chainID: String
        public var genesisHash: Hash
        public var genesisTime: UInt64
        public var validatorSet: ValidatorSet
    }

    public var isInitialized: Bool {
        get throws { try identity() != nil }
    }

    /// Writes genesis state and identity. Fails if the directory already holds a chain.
    public func initialize(_ genesis: Genesis.Resolved) throws {
        try write("initialize") { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM meta WHERE key = ?", arguments: [MetaKey.chainID]) != nil {
                throw StorageError.alreadyInitialized(path: self.path)
            }
            var digest = StateDigest()
            for e in genesis.state.entries {
                guard let v = e.value else { continue }
                try db.execute(sql: "INSERT INTO state(key, value) VALUES (?, ?)", arguments: [Data(e.key.bytes), Data(v)])
                digest.add(key: e.key.bytes, value: v)
            }
            try self.setMeta(db, MetaKey.chainID, Array(genesis.chainID.utf8))
            try self.setMeta(db, MetaKey.genesisHash, genesis.hash.bytes)
            try self.setMeta(db, MetaKey.genesisTime, genesis.genesisTime.canonicalBytes)
            try self.setMeta(db, MetaKey.validatorSet, genesis.validatorSet.canonicalBytes)
            try self.setMeta(db, MetaKey.headHeight, UInt64(0).canonicalBytes)
            try self.setMeta(db, MetaKey.headHash, Hash.zero.bytes)
            try self.setMeta(db, MetaKey.stateRoot, genesis.stateRoot.bytes)
            try self.setMeta(db, MetaKey.stateDigest, digest.bytes)
        }
    }

    public func identity() throws -> Identity? {
        try read("identity") { db -> Identity? in
            guard let chain = try self.meta(db, MetaKey.chainID) else { return nil }
            guard let gh = try self.meta(db, MetaKey.genesisHash).flatMap({ Hash(bytes: $0) }),
                  let gt = try self.meta(db, MetaKey.genesisTime).flatMap({ try? UInt64(canonicalBytes: $0) }),
                  let vs = try self.meta(db, MetaKey.validatorSet).flatMap({ try? ValidatorSet(canonicalBytes: $0) }),
                  let id = String(validating: chain, as: UTF8.self)
            else { throw StorageError.corrupt(what: "chain identity in meta table") }
            return Identity(chainID: id, genesisHash: gh, genesisTime: gt, validatorSet: vs)
        }
    }

    public func head() throws -> Head {
        try read("head") { db in try self.head(db) }
    }

    func head(_ db: Database) throws -> Head {
        guard let h = try meta(db, MetaKey.headHeight).flatMap({ try? UInt64(canonicalBytes: $0) }),
              let hash = try meta(db, MetaKey.headHash).flatMap({ Hash(bytes: $0) }),
              let root = try meta(db, MetaKey.stateRoot).flatMap({ Hash(bytes: $0) }),
              let digest = try meta(db, MetaKey.stateDigest).flatMap({ StateDigest(bytes: $0) })
        else { throw StorageError.notInitialized(path: path) }
        var timestamp: UInt64 = 0
        if h == 0 {
            timestamp = try meta(db, MetaKey.genesisTime).flatMap({ try? UInt64(canonicalBytes: $0) }) ?? 0
        } else if let t = try Int64.fetchOne(db, sql: "SELECT timestamp FROM blocks WHERE height = ?", arguments: [Int64(h)]) {
            timestamp = UInt64(t)
        } else {
            throw StorageError.corrupt(what: "head height \(h) has no block row")
        }
        return Head(height: h, hash: hash, stateRoot: root, digest: digest, timestamp: timestamp)
    }

    // MARK: Committing

    /// A block ready to store: the block, the commit that finalised it, what executing it
    /// produced, and the resulting roots.
    public struct CommitBatch: Sendable {
        public var block: Block
        public var seal: Commit
        public var receipts: [Receipt]
        public var writes: WriteSet
        public var digest: StateDigest

        public init(block: Block, seal: Commit, receipts: [Receipt], writes: WriteSet, digest: StateDigest) {
            self.block = block
            self.seal = seal
            self.receipts = receipts
            self.writes = writes
            self.digest = digest
        }
    }

    /// Stores a block and its effects atomically. The block must extend the current head.
    public func commit(_ batch: CommitBatch) throws {
        let header = batch.block.header
        let hash = header.hash
        try write("commit block \(header.height)") { db in
            let head = try self.head(db)
            guard header.height == head.height + 1 else {
                throw StorageError.notNextHeight(expected: head.height + 1, got: header.height)
            }
            guard header.previousHash == head.hash else {
                throw StorageError.corrupt(what: "block \(header.height) does not extend head \(head.hash)")
            }
            try db.execute(sql: "INSERT INTO blocks(height, hash, header, seal, tx_count, timestamp) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [Int64(header.height), Data(hash.bytes), Data(header.canonicalBytes),
                                       Data(batch.seal.canonicalBytes), batch.block.transactions.count, Int64(header.timestamp)])
            let insertTx = try db.cachedStatement(sql: "INSERT INTO transactions(position, id, sender, bytes, receipt) VALUES (?, ?, ?, ?, ?)")
            for (i, tx) in batch.block.transactions.enumerated() {
                insertTx.setUncheckedArguments([Schema.position(height: header.height, index: i), Data(tx.id.bytes), Data(tx.sender.bytes),
                                                Data(tx.bytes), Data(batch.receipts[i].canonicalBytes)])
                try insertTx.execute()
            }
            try ClaimIndex.index(db, block: batch.block, receipts: batch.receipts)
            try TaskIndex.index(db, block: batch.block, receipts: batch.receipts)
            try IntentIndex.index(db, block: batch.block, receipts: batch.receipts, writes: batch.writes)
            let upsert = try db.cachedStatement(sql: "INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            let delete = try db.cachedStatement(sql: "DELETE FROM state WHERE key = ?")
            for e in batch.writes.entries {
                if let v = e.value {
                    upsert.setUncheckedArguments([Data(e.key.bytes), Data(v)])
                    try upsert.execute()
                } else {
                    delete.setUncheckedArguments([Data(e.key.bytes)])
                    try delete.execute()
                }
            }
            try self.setMeta(db, MetaKey.headHeight, header.height.canonicalBytes)
            try self.setMeta(db, MetaKey.headHash, hash.bytes)
            try self.setMeta(db, MetaKey.stateRoot, header.stateRoot.bytes)
            try self.setMeta(db, MetaKey.stateDigest, batch.digest.bytes)
        }
    }

    // MARK: Reading

    public struct StoredBlock: Sendable {
        public var block: Block
        public var seal: Commit
        public var receipts: [Receipt]
    }

    public func block(height: UInt64) throws -> StoredBlock? {
        try read("block \(height)") { db in try self.block(db, where: "height = ?", Int64(height)) }
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

    private func block(_ db: Database, where clause: String, _ arg: any DatabaseValueConvertible) throws -> StoredBlock? {
        guard let row = try Row.fetchOne(db, sql: "SELECT height, header, seal FROM blocks WHERE \(clause)", arguments: [arg]) else {
            return nil
        }
        let height: Int64 = row["height"]
        let header = try decode(BlockHeader.self, row["header"], "block \(height) header")
        let seal = try decode(Commit.self, row["seal"], "block \(height) seal")
        var txs: [Transaction] = []
        var receipts: [Receipt] = []
        let cursor = try Row.fetchCursor(db, sql: "SELECT bytes, receipt FROM transactions WHERE position >= ? AND position < ? ORDER BY position",
                                         arguments: [Schema.position(height: UInt64(height), index: 0),
                                                     Schema.position(height: UInt64(height) + 1, index: 0)])
        while let r = try cursor.next() {
            let bytes: Data = r["bytes"]
            do { txs.append(try Transaction(bytes: Array(bytes))) } catch {
                throw StorageError.corrupt(what: "transaction in block \(height): \(error)")
            }
            receipts.append(try decode(Receipt.self, r["receipt"], "receipt in block \(height)"))
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
            let bytes: Data = row["bytes"]
            let tx: Transaction
            do { tx = try Transaction(bytes: Array(bytes)) } catch {
                throw StorageError.corrupt(what: "transaction \(id): \(error)")
            }
            let (height, index) = Schema.split(row["position"])
            return StoredTransaction(transaction: tx, height: height, index: index,
                                     receipt: try decode(Receipt.self, row["receipt"], "receipt of \(id)"))
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
                let h: Int64 = row["height"]
                return BlockSummary(header: try decode(BlockHeader.self, row["header"], "block \(h) header"), transactionCount: row["tx_count"])
            }
        }
    }

    /// Committed transactions before position `before` (exclusive), newest first, optionally only
    /// those sent by `sender`. Returns each with its position, which is the paging cursor.
    public func transactions(sender: Address?, before: Int64?, limit: Int) throws -> [(position: Int64, StoredTransaction)] {
        try read("list transactions") { db in
            let bound = before ?? Int64.max
            let rows: [Row]
            if let sender {
                rows = try Row.fetchAll(db, sql: "SELECT position, bytes, receipt FROM transactions WHERE sender = ? AND position < ? ORDER BY position DESC LIMIT ?",
                                        arguments: [Data(sender.bytes), bound, limit])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT position, bytes, receipt FROM transactions WHERE position < ? ORDER BY position DESC LIMIT ?",
                                        arguments: [bound, limit])
            }
            return try rows.map { row in
                let position: Int64 = row["position"]
                let bytes: Data = row["bytes"]
                let tx: Transaction
                do { tx = try Transaction(bytes: Array(bytes)) } catch { throw StorageError.corrupt(what: "transaction at \(position): \(error)") }
                let (height, index) = Schema.split(position)
                return (position, StoredTransaction(transaction: tx, height: height, index: index,
                                                    receipt: try decode(Receipt.self, row["receipt"], "receipt at \(position)")))
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
                let key: Data = row["key"]
                guard key.count == prefix.count + Address.size else { return nil }
                let address = Address(raw: Array(key.suffix(Address.size)))
                return (address, try decode(Account.self, row["value"], "account \(address)"))
            }
        }
    }

    public func stateValue(_ key: StateKey) throws -> [UInt8]? {
        try read("state read") { db in
            try Data.fetchOne(db, sql: "SELECT value FROM state WHERE key = ?", arguments: [Data(key.bytes)]).map { Array($0) }
        }
    }

    /// Several keys in one read transaction (one consistent snapshot).
    public func stateValues(_ keys: [StateKey]) throws -> [StateKey: [UInt8]] {
        try read("state read") { db in
            let stmt = try db.cachedStatement(sql: "SELECT value FROM state WHERE key = ?")
            var out: [StateKey: [UInt8]] = [:]
            for k in keys {
                if let v = try Data.fetchOne(stmt, arguments: [Data(k.bytes)]) { out[k] = Array(v) }
            }
            return out
        }
    }

    public func account(_ address: Address) throws -> Account {
        guard let raw = try stateValue(BankKeys.account(address)) else { return .empty }
        return try decode(Account.self, Data(raw), "account \(address)")
    }

    /// Recomputes the digest of the whole state table (start-up integrity check).
    public func computeStateDigest() throws -> StateDigest {
        try read("state scan") { db in
            var d = StateDigest()
            let cursor = try Row.fetchCursor(db, sql: "SELECT key, value FROM state")
            while let row = try cursor.next() {
                let k: Data = row[0]
                let v: Data = row[1]
                d.add(key: Array(k), value: Array(v))
            }
            return d
        }
    }

    /// Size of the database files on disk (main file plus WAL).
    public var sizeOnDisk: Int64 {
        [path, path + "-wal"].reduce(Int64(0)) { sum, p in
            sum + ((try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int64) ?? 0)
        }
    }

    // MARK: Peers

    /// What the node remembers about a peer across restarts: trust, bans and where it was.
    public struct PeerRecord: Sendable, Equatable {
        public var peerID: Hash
        public var identity: PublicKey
        /// HOST:PORT the peer was reached at (dialable only for outbound peers).
        public var address: String
        public var score: Double
        /// Wall-clock milliseconds; 0 when not banned.
        public var bannedUntil: Int64
        public var lastSeen: Int64

        public init(peerID: Hash, identity: PublicKey, address: String, score: Double, bannedUntil: Int64, lastSeen: Int64) {
            self.peerID = peerID
            self.identity = identity
            self.address = address
            self.score = score
            self.bannedUntil = bannedUntil
            self.lastSeen = lastSeen
        }
    }

    public func savePeer(_ r: PeerRecord) throws {
        try write("save peer") { db in
            try db.execute(sql: """
                INSERT INTO peers(peer_id, identity, address, score, banned_until, last_seen) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(peer_id) DO UPDATE SET identity = excluded.identity, address = excluded.address, score = excluded.score,
                    banned_until = excluded.banned_until, last_seen = excluded.last_seen
                """, arguments: [Data(r.peerID.bytes), Data(r.identity.bytes), String(r.address.prefix(300)), r.score, r.bannedUntil, r.lastSeen])
        }
    }

    /// Known peers, most recently seen first (at most `limit`).
    public func peerRecords(limit: Int = 1_000) throws -> [PeerRecord] {
        try read("list peers") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM peers ORDER BY last_seen DESC LIMIT ?", arguments: [limit]).compactMap { row in
                let id: Data = row["peer_id"], key: Data = row["identity"]
                guard let peerID = Hash(bytes: id), let identity = PublicKey(bytes: key) else { return nil }
                return PeerRecord(peerID: peerID, identity: identity, address: row["address"], score: row["score"],
                                  bannedUntil: row["banned_until"], lastSeen: row["last_seen"])
            }
        }
    }

    /// A minimal write transaction, fsynced like a block commit: proves the file is writable.
    public func probeWrite() throws {
        try write("write probe") { db in
            try db.execute(sql: "UPDATE meta SET value = value WHERE key = ?", arguments: [MetaKey.chainID])
        }
    }

    public func close() throws {
        try pool.close()
    }

    // MARK: Helpers

    func decode<T: CanonicalDecodable>(_ type: T.Type, _ data: Data?, _ what: String) throws -> T {
        guard let data else { throw StorageError.corrupt(what: "\(what) is missing") }
        do { return try T(canonicalBytes: Array(data)) } catch { throw StorageError.corrupt(what: "\(what): \(error)") }
    }

    private func meta(_ db: Database, _ key: String) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]).map { Array($0) }
    }

    private func setMeta(_ db: Database, _ key: String, _ value: [UInt8]) throws {
        try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       arguments: [key, Data(value)])
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let e as StorageError { throw e } catch {
            throw StorageError.sqlite(operation: operation, reason: "\(error)")
        }
    }

    private func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let e as StorageError { throw e } catch {
            throw StorageError.sqlite(operation: operation, reason: "\(error)")
        }
    }
}
