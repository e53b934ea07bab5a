import AgoraCore
import AgoraState
import Foundation
import GRDB
import Synchronization

/// The chain on disk: blocks, transactions with receipts, and state, in one SQLite database in
/// WAL mode with `synchronous=FULL`. A block and everything it changed commit in one SQLite
/// transaction, so after a crash the database holds either the whole block or none of it.
///
/// One writer (the block producer) and many readers (API) share the file: GRDB's pool gives
/// readers snapshot isolation, so a reader never sees half a block.
///
/// This file owns opening the database, the chain's identity and head, state reads and the
/// start-up digest; committing is in `BlockCommit.swift` (with the module indexes it writes
/// through `BlockIndexer.swift`), history reads in `BlockReads.swift`, peers in `PeerRecords.swift`.
public final class BlockStore: Sendable {
    public let path: String
    let pool: DatabasePool
    /// The first corruption a read or write met at run time (sticky: the bytes on disk do not
    /// heal). Health reports it and the node stays not ready until an operator acts.
    private let fault = Mutex<StorageError?>(nil)
    /// Headers, roots and tree pages of committed heights that proofs read (ProofReadCache.swift).
    let proofReads = ProofReadCache()

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
            try Schema.refuseOlderFormat(pool, path: path)
            try Schema.migrator.migrate(pool)
        } catch let e as StorageError {
            throw e
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
            let tree = try StateTree.update(MemoryTreeNodes(), base: nil, version: 0, writes: genesis.state)
            guard tree.root == genesis.stateRoot else {
                throw StorageError.corrupt(what: "genesis state tree root \(tree.root) differs from the resolved \(genesis.stateRoot)")
            }
            try BlockStore.writeTree(db, tree)
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
                let k: Data = try row.stored("key", of: "state row")
                let v: Data = try row.stored("value", of: "state row \(Data(k).hexPrefix)")
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

    /// A minimal write transaction, fsynced like a block commit: proves the file is writable.
    public func probeWrite() throws {
        try write("write probe") { db in
            try db.execute(sql: "UPDATE meta SET value = value WHERE key = ?", arguments: [MetaKey.chainID])
        }
    }

    /// The corruption met at run time, if any (see `fault`).
    public var corruption: StorageError? { fault.withLock { $0 } }

    /// A clean stop: moves every committed page from the WAL into `agora.sqlite` and truncates
    /// the WAL to zero bytes, so the main file alone holds every committed block (a backup or an
    /// operator that copies only it loses nothing), then closes. Returns the WAL frames copied.
    @discardableResult
    public func checkpointAndClose() throws -> Int {
        let frames: Int
        do {
            frames = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate).checkpointedFrameCount }
        } catch {
            throw classify(error, operation: "checkpoint at close")
        }
        try close()
        return frames
    }

    /// Moves committed pages from the WAL into the main file and truncates the WAL (for size
    /// measurements: the file the node keeps, without the WAL's transient growth).
    public func checkpoint() throws {
        do { _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) } } catch {
            throw classify(error, operation: "checkpoint")
        }
    }

    public func close() throws {
        do { try pool.close() } catch { throw classify(error, operation: "close") }
    }

    // MARK: Helpers

    func decode<T: CanonicalDecodable>(_ type: T.Type, _ data: Data?, _ what: String) throws -> T {
        guard let data else { throw StorageError.corrupt(what: "\(what) is missing") }
        do { return try T(canonicalBytes: Array(data)) } catch { throw StorageError.corrupt(what: "\(what): \(error)") }
    }

    func meta(_ db: Database, _ key: String) throws -> [UInt8]? {
        // A cached statement: every proof and head read asks the meta table, and preparing the
        // statement each time (SQLite's parser and GRDB's authorizer) was a tenth of a proof's cost.
        try Data.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = ?"), arguments: [key]).map { Array($0) }
    }

    func setMeta(_ db: Database, _ key: String, _ value: [UInt8]) throws {
        try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       arguments: [key, Data(value)])
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw classify(error, operation: operation) }
    }

    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw classify(error, operation: operation) }
    }

    /// Every database error becomes a typed `StorageError`: damage (SQLite's own verdict, or a
    /// row that does not decode) is remembered in `fault`, a full disk is `diskFull`.
    func classify(_ error: any Error, operation: String) -> StorageError {
        let typed: StorageError
        switch error {
        case let e as StorageError:
            typed = e
        case let e as DatabaseError where e.resultCode == .SQLITE_CORRUPT || e.resultCode == .SQLITE_NOTADB:
            typed = .malformed(path: path, operation: operation, reason: e.message ?? "\(e.resultCode)")
        case let e as DatabaseError where e.resultCode == .SQLITE_FULL:
            typed = .diskFull(path: path, operation: operation)
        case let e as RowDecodingError:
            typed = .corrupt(what: "\(operation): \(e)")
        default:
            typed = .sqlite(operation: operation, reason: "\(error)")
        }
        if typed.isCorruption { fault.withLock { if $0 == nil { $0 = typed } } }
        return typed
    }
}

extension Data {
    /// The first bytes in hex, to name a record by its key in a message.
    var hexPrefix: String { prefix(12).map { String(format: "%02x", $0) }.joined() }
}
