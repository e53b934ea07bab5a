import AgoraCore
import Foundation
import GRDB

/// Pruning block bodies (docs/operations.md, "Pruning"): below the node's *earliest height* the
/// transactions and receipts of blocks are deleted; headers and seals (the `blocks` rows) stay,
/// because light clients and state proofs verify against them and they are small.
///
/// The earliest height is persisted (`MetaKey.earliestHeight`) and moves in the same SQLite
/// transaction as the rows it deletes, so a reader's snapshot never sees a body half gone: a
/// read below it is `StorageError.pruned` naming the earliest height, a read at or above it is
/// whole. Each step is one small write transaction (a bounded number of heights and rows), run
/// by a background service between commits; a commit waits at most for one step.
///
/// Kept below the earliest height: the transaction rows that module records read their content
/// from (claims, tasks and their latest update, intents, settlements) — they belong to the
/// state, like the artifacts claims reference, which pruning never touches.
extension BlockStore {
    /// What one pruning step did.
    public struct PruneStep: Sendable, Equatable {
        /// The earliest height after the step (block bodies below it are gone).
        public var earliestHeight: UInt64
        /// Transaction rows deleted by the step.
        public var rowsDeleted: Int
    }

    /// The lowest height whose block body is stored (1 on a node that never pruned).
    public func earliestHeight() throws -> UInt64 {
        try read("earliest height") { db in try self.earliestHeight(db) }
    }

    func earliestHeight(_ db: Database) throws -> UInt64 {
        guard let raw = try meta(db, MetaKey.earliestHeight) else { return 1 }
        do { return try UInt64(canonicalBytes: raw) } catch { throw StorageError.corrupt(what: "earliest height in meta table: \(error)") }
    }

    /// Records that no block body below `height` is stored (a state-synced node starts at its
    /// snapshot). The earliest height never moves down and never past the head + 1.
    public func setEarliestHeight(_ height: UInt64) throws {
        try write("set earliest height") { db in
            let head = try self.head(db).height
            guard height <= head + 1 else {
                throw StorageError.corrupt(what: "earliest height \(height) would be above the head \(head) + 1")
            }
            if height > (try self.earliestHeight(db)) { try self.setMeta(db, MetaKey.earliestHeight, height.canonicalBytes) }
        }
    }

    /// One pruning step toward `target` (block bodies below it go): deletes the transaction
    /// rows of at most `maxHeights` heights and about `maxRows` rows (at least one height, so a
    /// block larger than `maxRows` still moves), then raises the earliest height past them.
    /// Returns nil when the earliest height is already at or past `target`.
    public func pruneStep(target: UInt64, maxHeights: UInt64 = 256, maxRows: Int = 2_000) throws -> PruneStep? {
        try write("prune block bodies") { db -> PruneStep? in
            let head = try self.head(db).height
            let goal = min(target, head)  // the head's own body is always kept
            let from = try self.earliestHeight(db)
            guard from < goal else { return nil }
            var to = min(goal, from + max(1, maxHeights))
            // The height of the row `maxRows` past the start bounds the step's size.
            if let nth = try Int64.fetchOne(db, sql: "SELECT position FROM transactions WHERE position >= ? ORDER BY position LIMIT 1 OFFSET ?",
                                            arguments: [Schema.position(height: from, index: 0), max(1, maxRows)]) {
                to = min(to, max(from + 1, Schema.split(nth).height))
            }
            let deleted = try Self.deleteBodies(db, from: from, to: to)
            try self.setMeta(db, MetaKey.earliestHeight, to.canonicalBytes)
            return PruneStep(earliestHeight: to, rowsDeleted: deleted)
        }
    }

    /// Deletes the transaction rows of heights `from..<to` that no module record reads.
    static func deleteBodies(_ db: Database, from: UInt64, to: UInt64) throws -> Int {
        let lo = Schema.position(height: from, index: 0)
        let hi = Schema.position(height: to, index: 0)
        try db.execute(sql: """
            DELETE FROM transactions WHERE position >= :lo AND position < :hi
              AND position NOT IN (SELECT position FROM claims WHERE position >= :lo AND position < :hi)
              AND position NOT IN (SELECT position FROM tasks WHERE position >= :lo AND position < :hi)
              AND position NOT IN (SELECT updated_position FROM tasks WHERE updated_position >= :lo AND updated_position < :hi)
              AND position NOT IN (SELECT position FROM intents WHERE position >= :lo AND position < :hi)
              AND position NOT IN (SELECT position FROM settlements WHERE position >= :lo AND position < :hi)
            """, arguments: ["lo": lo, "hi": hi])
        return db.changesCount
    }

    /// Throws `pruned` when `height`'s body is below the earliest height (inside a read).
    func requireBody(_ db: Database, height: UInt64, what: @autoclosure () -> String) throws {
        let earliest = try earliestHeight(db)
        if height < earliest { throw StorageError.pruned(what: what(), earliest: earliest) }
    }

    /// A block's header and the commit that finalised it, kept at every height (pruning keeps
    /// them): what light clients and peers verifying commits need.
    public func sealedHeader(height: UInt64) throws -> (header: BlockHeader, seal: Commit)? {
        try read("header \(height)") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT header, seal FROM blocks WHERE height = ?", arguments: [Int64(height)]) else {
                return nil
            }
            return (try decode(BlockHeader.self, try row.stored("header", of: "block \(height)"), "block \(height) header"),
                    try decode(Commit.self, try row.stored("seal", of: "block \(height)"), "block \(height) seal"))
        }
    }
}
