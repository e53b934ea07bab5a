import AgoraCore
import AgoraState
import Foundation
import GRDB

/// Building a node's database from a snapshot (state sync), never in place: the whole database —
/// identity, state table, state tree at the snapshot height, that height's header and commit as
/// the head, the module indexes rebuilt from that state — is written to a staging file, checked (every chunk against the
/// manifest, the manifest root against the verified header, the rebuilt tree's root against the
/// header), and only then moved over `agora.sqlite` by one `rename`. A crash or a refusal at any
/// point leaves the old database as it was and the staging file to be deleted.
public enum StateRestore {
    public struct Result: Sendable, Equatable {
        public var height: UInt64
        public var entries: UInt64
        public var stateRoot: Hash
    }

    /// Writes the database at `stagingPath` (replacing any leftover there). `chunk(i)` returns
    /// chunk i's bytes as fetched; they are checked here again, so nothing unverified is stored.
    public static func build(stagingPath: String, identity: BlockStore.Identity, manifest: SnapshotManifest,
                             header: BlockHeader, seal: Commit, chunk: (Int) throws -> [UInt8]) throws -> Result {
        try checkAgreement(identity: identity, manifest: manifest, header: header, seal: seal)
        removeDatabase(at: stagingPath)
        let store = try BlockStore(path: stagingPath)
        do {
            // A refusal leaves the closure as a value: `write` would turn a thrown fault into a
            // StorageError (the staging file is deleted either way).
            let outcome = try store.write("restore snapshot \(manifest.height)") { db -> Swift.Result<Result, SnapshotFault> in
                do { return .success(try fill(db, store, identity: identity, manifest: manifest, header: header, seal: seal, chunk: chunk)) }
                catch let fault as SnapshotFault { return .failure(fault) }
            }
            let result = try outcome.get()
            try store.checkpointAndClose()
            return result
        } catch {
            try? store.close()
            removeDatabase(at: stagingPath)
            throw error
        }
    }

    static func fill(_ db: Database, _ store: BlockStore, identity: BlockStore.Identity, manifest: SnapshotManifest,
                     header: BlockHeader, seal: Commit, chunk: (Int) throws -> [UInt8]) throws -> Result {
                try store.writeIdentity(db, identity)
                let (changes, digest, entries) = try insertChunks(db, manifest: manifest, chunk: chunk)
                let tree = try StateTree.update(MemoryTreeNodes(), base: nil, version: manifest.height, changes: changes)
                guard tree.root == header.stateRoot else {
                    throw SnapshotFault.rebuiltRootMismatch(height: manifest.height, expected: header.stateRoot, got: tree.root)
                }
                try BlockStore.writeTree(db, tree)
                // The module indexes from the state's origins (IndexRebuild.swift), before the
                // database is installed: the API serves records made before the snapshot at once.
                try BlockStore.rebuildIndexes(db)
                try db.execute(sql: "INSERT INTO blocks(height, hash, header, seal, tx_count, timestamp) VALUES (?, ?, ?, ?, 0, ?)",
                               arguments: [Int64(header.height), Data(header.hash.bytes), Data(header.canonicalBytes),
                                           Data(seal.canonicalBytes), Int64(header.timestamp)])
                try store.setMeta(db, MetaKey.headHeight, header.height.canonicalBytes)
                try store.setMeta(db, MetaKey.headHash, header.hash.bytes)
                try store.setMeta(db, MetaKey.stateRoot, header.stateRoot.bytes)
                try store.setMeta(db, MetaKey.stateDigest, digest.bytes)
                // Bodies are stored from the next height on; the snapshot height keeps its header
                // and commit only (the head's seal is what the next block's lastCommit is checked by).
                try store.setMeta(db, MetaKey.earliestHeight, (header.height + 1).canonicalBytes)
                try store.setMeta(db, MetaKey.firstHeaderHeight, header.height.canonicalBytes)
                try store.setMeta(db, MetaKey.treePrunedThrough, header.height.canonicalBytes)
                return Result(height: header.height, entries: entries, stateRoot: tree.root)
    }

    /// The manifest, the verified header and its commit describe one snapshot of this chain.
    static func checkAgreement(identity: BlockStore.Identity, manifest: SnapshotManifest, header: BlockHeader, seal: Commit) throws {
        guard manifest.chainID == identity.chainID else { throw SnapshotFault.otherChain(expected: identity.chainID, got: manifest.chainID) }
        guard header.chainID == identity.chainID else { throw SnapshotFault.otherChain(expected: identity.chainID, got: header.chainID) }
        guard manifest.height == header.height, seal.height == header.height, seal.blockHash == header.hash else {
            throw StorageError.corrupt(what: "snapshot at \(manifest.height) restored with header \(header.height) / commit \(seal.height)")
        }
        guard manifest.stateRoot == header.stateRoot else {
            throw SnapshotFault.manifestRootMismatch(height: header.height, manifest: manifest.stateRoot, header: header.stateRoot)
        }
    }

    /// Every chunk, verified and decoded in order, into the state table; returns the tree
    /// changes, the state digest and the entry count.
    static func insertChunks(_ db: Database, manifest: SnapshotManifest,
                             chunk: (Int) throws -> [UInt8]) throws -> ([StateTree.Change], StateDigest, UInt64) {
        let insert = try db.cachedStatement(sql: "INSERT INTO state(key, value) VALUES (?, ?)")
        var changes: [StateTree.Change] = []
        changes.reserveCapacity(Int(min(manifest.entryCount, 10_000_000)))
        var digest = StateDigest()
        var last: [UInt8]?
        for index in 0..<manifest.chunkCount {
            let decoded = try verifiedChunk(try chunk(index), index: index, manifest: manifest)
            if let last, let first = decoded.entries.first, !last.lexicographicallyPrecedes(first.key) {
                throw SnapshotFault.malformedChunk(height: manifest.height, index: index, reason: "its first key is not above the previous chunk's last")
            }
            for e in decoded.entries {
                insert.setUncheckedArguments([Data(e.key), Data(e.value)])
                try insert.execute()
                digest.add(key: e.key, value: e.value)
                changes.append(StateTree.Change(keyHash: StateTreeHashing.keyHash(e.key), value: e.value))
            }
            last = decoded.entries.last?.key
        }
        // The tree takes its changes in key-hash order (the chunks are in key order).
        changes.sort { $0.keyHash < $1.keyHash }
        guard UInt64(changes.count) == manifest.entryCount else {
            throw SnapshotFault.entryCountMismatch(height: manifest.height, manifest: manifest.entryCount, chunks: UInt64(changes.count))
        }
        return (changes, digest, UInt64(changes.count))
    }

    /// A chunk's bytes against the manifest: size, hash, then strict decoding.
    public static func verifiedChunk(_ bytes: [UInt8], index: Int, manifest: SnapshotManifest) throws(SnapshotFault) -> SnapshotChunk {
        guard bytes.count <= SnapshotManifest.maxChunkBytes else {
            throw .oversize(what: "chunk \(index) of the snapshot at \(manifest.height)", bytes: bytes.count, limit: SnapshotManifest.maxChunkBytes)
        }
        guard index >= 0, index < manifest.chunkCount else { throw .unrequested(what: "chunk \(index) of a \(manifest.chunkCount)-chunk snapshot") }
        let got = Hash.sha256(bytes)
        guard got == manifest.chunkHashes[index] else {
            throw .chunkHashMismatch(height: manifest.height, index: index, expected: manifest.chunkHashes[index], got: got)
        }
        do { return try SnapshotChunk(canonicalBytes: bytes) } catch {
            throw .malformedChunk(height: manifest.height, index: index, reason: "\(error)")
        }
    }

    /// Moves a finished staging database over the live one: the live file's WAL is already
    /// checkpointed and closed by the caller; one `rename` switches, then the directory is synced.
    public static func install(stagingPath: String, livePath: String) throws {
        let fm = FileManager.default
        for suffix in ["-wal", "-shm"] {
            try? fm.removeItem(atPath: livePath + suffix)
            try? fm.removeItem(atPath: stagingPath + suffix)
        }
        guard rename(stagingPath, livePath) == 0 else {
            throw StorageError.sqlite(operation: "install restored database", reason: "rename \(stagingPath) → \(livePath): errno \(errno)")
        }
        SnapshotFiles.syncDirectory((livePath as NSString).deletingLastPathComponent)
    }

    public static func removeDatabase(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

extension BlockStore {
    func writeIdentity(_ db: Database, _ identity: Identity) throws {
        try setMeta(db, MetaKey.chainID, Array(identity.chainID.utf8))
        try setMeta(db, MetaKey.genesisHash, identity.genesisHash.bytes)
        try setMeta(db, MetaKey.genesisTime, identity.genesisTime.canonicalBytes)
        try setMeta(db, MetaKey.validatorSet, identity.validatorSet.canonicalBytes)
    }

    /// The lowest height whose header is stored: 1, or a state-synced node's snapshot height
    /// (pruning keeps every header; a restored snapshot has none below its own).
    public func firstHeaderHeight() throws -> UInt64 {
        try read("first header height") { db in try self.firstHeaderHeight(db) }
    }

    func firstHeaderHeight(_ db: Database) throws -> UInt64 {
        guard let raw = try meta(db, MetaKey.firstHeaderHeight) else { return 1 }
        do { return try UInt64(canonicalBytes: raw) } catch { throw StorageError.corrupt(what: "first header height in meta table: \(error)") }
    }
}
