import AgoraCore
import Foundation
import GRDB

/// The start-up check of the database (`storage.startupCheck`): before the node serves or signs
/// anything it proves that what it stands on is whole. A damaged file is refused with a
/// `StorageError.startupCheck` naming the file and the first problem found, instead of starting
/// and crashing or serving wrong answers later (issue 14: a truncated file started and reported
/// ready; a 16-byte flip went unnoticed).
///
/// - `headers`: the stored head against the block records (the head block exists, heights are
///   1…head with no gap, nothing above the head), and the header hash chain from block 1 to the
///   head (each header decodes, hashes to its recorded hash, names this chain and its height,
///   and links to its parent).
/// - `full` (the default): all of `headers`, plus SQLite's `PRAGMA quick_check` (every page of
///   the file: b-tree structure, record formats, free list), and each block's transactions
///   against its header's `txRoot` (count and Merkle root of their hashes).
///
/// The state table against the committed state digest, the head's state root and seal are
/// checked by `Chain.init` on every open, in both modes.
public enum StartupCheckMode: String, Sendable, CaseIterable {
    case full
    case headers
}

extension BlockStore {
    public struct CheckReport: Sendable, Equatable {
        public var mode: StartupCheckMode
        /// Blocks whose headers were walked.
        public var blocks: UInt64
        /// Transactions hashed against their block's `txRoot` (`full` only).
        public var transactions: Int
    }

    /// Runs the check; the first problem throws `StorageError.startupCheck(path:problem:)`.
    public func checkIntegrity(_ mode: StartupCheckMode) throws -> CheckReport {
        do {
            return try pool.read { db in
                if mode == .full { try self.quickCheck(db) }
                guard let chainID = try self.meta(db, MetaKey.chainID).flatMap({ String(validating: $0, as: UTF8.self) }) else {
                    throw StorageError.startupCheck(path: self.path, problem: "the meta table has no readable chain ID")
                }
                let head = try self.head(db)
                try self.checkHeights(db, head: head.height)
                return try self.walkHeaders(db, chainID: chainID, head: head, mode: mode)
            }
        } catch let e as StorageError {
            if case .startupCheck = e { throw classify(e, operation: "start-up check") }
            throw classify(StorageError.startupCheck(path: path, problem: e.description), operation: "start-up check")
        } catch {
            throw classify(StorageError.startupCheck(path: path, problem: "\(error)"), operation: "start-up check")
        }
    }

    /// SQLite's own page-level check; its first messages name what is broken.
    func quickCheck(_ db: Database) throws {
        let messages = try String.fetchAll(db, sql: "PRAGMA quick_check(10)")
        guard messages == ["ok"] else {
            throw StorageError.startupCheck(path: path, problem: "SQLite quick_check: " + messages.prefix(5).joined(separator: "; "))
        }
    }

    /// Heights are exactly 1…head: a block missing below the head, or one stored above it, means
    /// pages were lost or the head record is stale.
    func checkHeights(_ db: Database, head: UInt64) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, MIN(height) AS lo, MAX(height) AS hi FROM blocks") else {
            throw StorageError.startupCheck(path: path, problem: "the blocks table cannot be counted")
        }
        let count: Int64 = try row.stored("n", of: "block count")
        let low = try row.storedIfPresent("lo", of: "block count", as: Int64.self) ?? 0
        let high = try row.storedIfPresent("hi", of: "block count", as: Int64.self) ?? 0
        guard UInt64(high) == head else {
            throw StorageError.startupCheck(path: path, problem: "the recorded head is height \(head) but the highest stored block is \(high)")
        }
        // A state-synced node holds headers from its snapshot height on only (`firstHeaderHeight`).
        let first = try firstHeaderHeight(db)
        guard count == Int64(head) - Int64(first) + 1 || (head == 0 && count == 0), head == 0 || low == Int64(first) else {
            throw StorageError.startupCheck(path: path, problem: "\(count) blocks stored for heights 1…\(head) (lowest \(low)): blocks are missing")
        }
    }

    /// Block 1 to the head, in order: each header decodes, matches its row, and links to the
    /// previous one; the last one is the recorded head.
    func walkHeaders(_ db: Database, chainID: String, head: Head, mode: StartupCheckMode) throws -> CheckReport {
        let first = try firstHeaderHeight(db)
        var expected = first
        // Below a snapshot's header nothing is stored: the chain is walked from that header, whose
        // own link back cannot be checked here (its commit was verified by the light client).
        var previous = first > 1 ? (try decode(BlockHeader.self, try Data.fetchOne(db, sql: "SELECT header FROM blocks WHERE height = ?",
                                                                                  arguments: [Int64(first)]), "block \(first) header")).previousHash : Hash.zero
        var transactions = 0
        // Bodies below the earliest height are pruned on purpose: only headers are checked there.
        let earliest = try earliestHeight(db)
        let cursor = try Row.fetchCursor(db, sql: "SELECT height, hash, header, tx_count FROM blocks ORDER BY height")
        while let row = try cursor.next() {
            let height: Int64 = try row.stored("height", of: "block row")
            let what = "block \(height)"
            let stored: Data = try row.stored("hash", of: what)
            let header = try decode(BlockHeader.self, try row.stored("header", of: what), "\(what) header")
            let problem: String? =
                UInt64(height) != expected ? "block \(expected) is missing (found \(height) next)"
                : header.height != UInt64(height) ? "\(what) holds the header of height \(header.height)"
                : Array(stored) != header.hash.bytes ? "\(what) header hashes to \(header.hash), recorded \(Data(stored).hexPrefix)…"
                : header.chainID != chainID ? "\(what) is for chain \(header.chainID), not \(chainID)"
                : header.previousHash != previous ? "\(what) does not link to block \(height - 1) (previousHash \(header.previousHash))"
                : nil
            if let problem { throw StorageError.startupCheck(path: path, problem: problem) }
            if mode == .full, UInt64(height) >= earliest {
                transactions += try checkTransactions(db, header: header, count: try row.stored("tx_count", of: what))
            }
            previous = header.hash
            expected += 1
        }
        guard previous == head.hash else {
            throw StorageError.startupCheck(path: path, problem: "the recorded head hash \(head.hash) is not block \(head.height)'s hash \(previous)")
        }
        return CheckReport(mode: mode, blocks: expected - first, transactions: transactions)
    }

    /// A block's stored transactions are the ones its header commits to: the count, and the
    /// Merkle root of their hashes (a transaction's ID is the SHA-256 of its bytes).
    func checkTransactions(_ db: Database, header: BlockHeader, count: Int) throws -> Int {
        let ids = try Data.fetchAll(db, sql: "SELECT bytes FROM transactions WHERE position >= ? AND position < ? ORDER BY position",
                                    arguments: [Schema.position(height: header.height, index: 0),
                                                Schema.position(height: header.height + 1, index: 0)]).map { Hash.sha256($0) }
        guard ids.count == count else {
            throw StorageError.startupCheck(path: path, problem: "block \(header.height) has \(ids.count) stored transactions, its row says \(count)")
        }
        guard Merkle.root(ids) == header.txRoot else {
            throw StorageError.startupCheck(path: path, problem: "block \(header.height)'s stored transactions do not match its txRoot")
        }
        return ids.count
    }
}
