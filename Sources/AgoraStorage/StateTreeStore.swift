import AgoraCore
import AgoraState
import Foundation
import GRDB

/// The state tree on disk (design: docs/state.md). Pages live in `state_nodes` keyed by (path,
/// version); a block's new pages, and the `state_stale` entries for the pages it replaced, commit
/// in the block's own SQLite transaction (`BlockCommit.swift`). Pruning deletes, in small batches
/// inside later block commits, the pages that went stale at or before the oldest height still
/// provable, so the tree's size follows the live state plus the proof window.
extension BlockStore {
    /// `StateTreeNodes` over one database connection (one consistent snapshot while it is used).
    struct DatabaseTreeNodes: StateTreeNodes {
        let db: Database

        func page(at path: NibblePath, version: UInt64) throws -> TreePage? {
            let stmt = try db.cachedStatement(sql: "SELECT page FROM state_nodes WHERE path = ? AND version = ?")
            guard let raw = try Data.fetchOne(stmt, arguments: [Data(path), Int64(version)]) else { return nil }
            return try decodePage(raw, path, version)
        }

        func rootPage(atOrBefore version: UInt64) throws -> (page: TreePage, version: UInt64)? {
            let stmt = try db.cachedStatement(sql: "SELECT version, page FROM state_nodes WHERE path = x'' AND version <= ? ORDER BY version DESC LIMIT 1")
            guard let row = try Row.fetchOne(stmt, arguments: [Int64(version)]) else { return nil }
            let v: Int64 = try row.stored("version", of: "state tree root")
            let raw: Data = try row.stored("page", of: "state tree root")
            return (try decodePage(raw, [], UInt64(v)), UInt64(v))
        }

        func decodePage(_ raw: Data, _ path: NibblePath, _ version: UInt64) throws -> TreePage {
            do { return try TreePage(canonicalBytes: Array(raw)) } catch {
                throw StorageError.corrupt(what: "state tree page \(Data(path).hexPrefix) of version \(version): \(error)")
            }
        }
    }

    /// The tree update a block at `version` would make on top of the tree at `base` (the head).
    /// Reads committed pages only; nothing is written until the block commits.
    public func stateTreeUpdate(base: UInt64, version: UInt64, writes: WriteSet) throws -> StateTree.Update {
        try read("state tree update") { db in
            try StateTree.update(DatabaseTreeNodes(db: db), base: base, version: version, writes: writes)
        }
    }

    /// A key's value at `height` (nil: the head, read in the same snapshot) with its proof, the
    /// block header at that height (whose `stateRoot` the proof verifies against) and the commit
    /// that finalised it, read in one snapshot. Heights outside the proof window are
    /// `StateProofUnavailable`. Headers, roots and pages of committed heights come from
    /// `proofReads` when it holds them (they never change once committed); when it holds all of
    /// a proof and the height is inside the window last seen, SQLite is not read at all.
    public func proveState(key: StateKey, height asked: UInt64?) throws -> ProvenState {
        // Everything on the path already in memory: no SQLite transaction at all.
        if let kept = proofReads.proveFromMemory(key: key, height: asked) { return kept }
        // The refusal leaves the read as a value: `read` turns whatever is thrown inside it into a
        // StorageError, and a height outside the window is the client's problem, not storage's.
        let outcome = try read("state proof") { db -> Result<ProvenState, StateProofUnavailable> in
            // The head's height alone (one cached meta read), not the whole head record.
            guard let head = try self.meta(db, MetaKey.headHeight).flatMap({ try? UInt64(canonicalBytes: $0) }) else {
                throw StorageError.notInitialized(path: self.path)
            }
            let height = asked ?? head
            guard height >= 1 else { return .failure(.genesis) }
            guard height <= head else { return .failure(.beyondHead(height: height, head: head)) }
            let oldest = try self.oldestProvableHeight(db)
            self.proofReads.publish(ProofReadCache.Window(head: head, oldest: oldest))
            guard height >= oldest else { return .failure(.pruned(height: height, oldest: max(oldest, 1))) }
            let sealed = try self.proofReads.header(height) { try self.sealedHeader(db, height) }
            let nodes = ProofReadCache.Nodes(base: DatabaseTreeNodes(db: db), cache: self.proofReads)
            let proven = try StateTree.prove(nodes, key: key.bytes, version: height)
            guard proven.root == sealed.header.stateRoot else {
                throw StorageError.corrupt(what: "state tree root at \(height) is \(proven.root), the header says \(sealed.header.stateRoot)")
            }
            return .success(ProvenState(key: key, height: height, value: proven.value, proof: proven.proof, header: sealed.header, seal: sealed.seal))
        }
        return try outcome.get()
    }

    /// The header and commit of a committed height, from SQLite.
    private func sealedHeader(_ db: Database, _ height: UInt64) throws -> ProofReadCache.SealedHeader {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT header, seal FROM blocks WHERE height = ?"), arguments: [Int64(height)]) else {
            throw StorageError.corrupt(what: "block \(height) at or below the head is missing")
        }
        return ProofReadCache.SealedHeader(header: try decode(BlockHeader.self, try row.stored("header", of: "block \(height)"), "header \(height)"),
                                           seal: try decode(Commit.self, try row.stored("seal", of: "block \(height)"), "seal \(height)"))
    }

    public struct ProvenState: Sendable, Equatable {
        public var key: StateKey
        public var height: UInt64
        public var value: [UInt8]?
        public var proof: StateProof
        public var header: BlockHeader
        public var seal: Commit
    }

    /// The root of the tree in force at `height` (nil when no root is stored at or before it).
    public func stateTreeRoot(height: UInt64) throws -> Hash? {
        try read("state tree root") { db in try DatabaseTreeNodes(db: db).rootPage(atOrBefore: height)?.page.hash }
    }

    /// The lowest height whose proofs are still complete: pruning removed what older heights used.
    public func oldestProvableHeight() throws -> UInt64 {
        try read("state tree window") { db in try self.oldestProvableHeight(db) }
    }

    func oldestProvableHeight(_ db: Database) throws -> UInt64 {
        try meta(db, MetaKey.treePrunedThrough).flatMap { try? UInt64(canonicalBytes: $0) } ?? 0
    }

    /// Stores an update's pages and stale entries (inside the block's transaction).
    static func writeTree(_ db: Database, _ update: StateTree.Update) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO state_nodes(path, version, page) VALUES (?, ?, ?)")
        for (path, page) in update.written {
            insert.setUncheckedArguments([Data(path), Int64(update.version), Data(page.canonicalBytes)])
            try insert.execute()
        }
        let stale = try db.cachedStatement(sql: "INSERT OR IGNORE INTO state_stale(since, path, version) VALUES (?, ?, ?)")
        for ref in update.stale {
            stale.setUncheckedArguments([Int64(update.version), Data(ref.path), Int64(ref.version)])
            try stale.execute()
        }
    }

    /// Deletes up to `limit` pages that went stale at or before `through` (and their entries),
    /// oldest first; records `through` as the oldest provable height once nothing older is left.
    /// Returns the pages deleted.
    @discardableResult
    func pruneTree(_ db: Database, through: UInt64, limit: Int) throws -> Int {
        let rows = try Row.fetchAll(db, sql: "SELECT since, path, version FROM state_stale WHERE since <= ? ORDER BY since LIMIT ?",
                                    arguments: [Int64(through), limit])
        let deletePage = try db.cachedStatement(sql: "DELETE FROM state_nodes WHERE path = ? AND version = ?")
        let deleteStale = try db.cachedStatement(sql: "DELETE FROM state_stale WHERE since = ? AND path = ? AND version = ?")
        for row in rows {
            let since: Int64 = try row.stored("since", of: "state_stale row")
            let path: Data = try row.stored("path", of: "state_stale row")
            let version: Int64 = try row.stored("version", of: "state_stale row")
            deletePage.setUncheckedArguments([path, version])
            try deletePage.execute()
            deleteStale.setUncheckedArguments([since, path, version])
            try deleteStale.execute()
        }
        // Heights below the first stale entry still pending are complete again only from it on.
        let pending = try Int64.fetchOne(db, sql: "SELECT MIN(since) FROM state_stale WHERE since <= ?", arguments: [Int64(through)])
        let provable = pending.map { UInt64($0) } ?? through
        if provable > (try oldestProvableHeight(db)) { try setMeta(db, MetaKey.treePrunedThrough, provable.canonicalBytes) }
        return rows.count
    }

    /// Pages stored and stale entries waiting (for metrics and tests).
    public func stateTreeSize() throws -> (pages: Int, stale: Int) {
        try read("state tree size") { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM state_nodes") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM state_stale") ?? 0)
        }
    }
}

/// Why a state proof cannot be served at a height.
public enum StateProofUnavailable: Error, Equatable, Sendable, CustomStringConvertible {
    /// Older than the proof window (`state.proofHeights`): its tree pages are pruned.
    case pruned(height: UInt64, oldest: UInt64)
    /// Not committed yet.
    case beyondHead(height: UInt64, head: UInt64)
    /// Height 0 has no header or commit to check a proof against.
    case genesis

    public var description: String {
        switch self {
        case let .pruned(h, o): return "height \(h) is older than this node's proof window (oldest provable height \(o))"
        case let .beyondHead(h, head): return "height \(h) is above the committed head \(head)"
        case .genesis: return "height 0 (genesis) has no header or commit; ask for height 1 or later"
        }
    }
}
