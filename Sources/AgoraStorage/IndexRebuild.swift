import AgoraCore
import AgoraState
import Foundation
import GRDB

/// Building the module indexes (claims and group roles, tasks, intents) from the state alone,
/// for a node that holds a state but not the blocks that made it — a state-synced node, whose
/// history starts at its snapshot. The state keeps every transaction those indexes read
/// (`TransactionOrigin`, under `origins/` in chain order), so the rebuild feeds them, height by
/// height, through the very functions a commit uses, and then takes intents' and settlements'
/// statuses from their state records (which is where a commit takes them from too): the result
/// is the index a node that replayed every block holds. The origins' transaction rows are
/// stored as well, as a pruned node keeps them (the indexes join them for content); the block
/// bodies around them stay absent (`earliest_height`). Reads go in bounded batches of state
/// rows, so memory does not grow with the state; everything runs in the caller's transaction.
extension BlockStore {
    /// What a rebuild read.
    public struct IndexRebuild: Sendable, Equatable {
        /// Origin records replayed (= transaction rows restored).
        public var transactions: Int
        /// Intent and settlement records whose status was applied.
        public var statusRecords: Int
    }

    /// Every table a module index owns; emptied before a rebuild so that it starts from nothing.
    static let indexTables = ["claims", "claim_tags", "claim_artifacts", "group_roles", "claim_words", "claim_word_df", "claim_book",
                              "tasks", "intents", "intent_words", "intent_word_df", "intent_book", "settlements", "settlement_parties"]

    /// Rebuilds every module index from the state, in one write transaction.
    @discardableResult
    public func rebuildIndexes(batch: Int = 1_000) throws -> IndexRebuild {
        try write("rebuild indexes from state") { db in try BlockStore.rebuildIndexes(db, batch: batch) }
    }

    static func rebuildIndexes(_ db: Database, batch: Int = 1_000) throws -> IndexRebuild {
        for table in indexTables { try db.execute(sql: "DELETE FROM \(table)") }
        let insertTx = try db.cachedStatement(sql: "INSERT OR IGNORE INTO transactions(position, id, sender, bytes, receipt) VALUES (?, ?, ?, ?, ?)")
        let transactions = try scanState(db, prefix: OriginKeys.prefix, batch: batch) { rows in
            var run: IndexedTransactions?
            for (key, value) in rows {
                let (position, origin) = try decodeOrigin(key: key, value: value)
                insertTx.setUncheckedArguments([position, Data(origin.transaction.id.bytes), Data(origin.transaction.sender.bytes),
                                                Data(origin.transaction.bytes), Data(origin.receipt.canonicalBytes)])
                try insertTx.execute()
                let (height, index) = Schema.split(position)
                if let r = run, r.height != height { try indexRun(db, r); run = nil }
                if run == nil { run = IndexedTransactions(height: height, time: Int64(clamping: origin.time), items: []) }
                run!.items.append((index, origin.transaction))
            }
            if let run { try indexRun(db, run) }
        }
        var statusRecords = 0
        for prefix in [IntentKeys.intentPrefix, IntentKeys.settlementPrefix] {
            statusRecords += try scanState(db, prefix: prefix, batch: batch) { rows in
                try IntentIndex.applyStatuses(db, rows.lazy.map { ($0.0, Optional($0.1)) })
            }
        }
        return IndexRebuild(transactions: transactions, statusRecords: statusRecords)
    }

    /// One height's origins through every index, in the order a commit runs them.
    private static func indexRun(_ db: Database, _ run: IndexedTransactions) throws {
        try ClaimIndex.index(db, run)
        try TaskIndex.index(db, run)
        try IntentIndex.index(db, run)
    }

    /// A state row under `origins/`, strictly: a key of the right shape, a record of the
    /// current version, a payload an index reads. The state was verified against a header's
    /// root, so anything else is a fault of this software, named rather than skipped.
    static func decodeOrigin(key: [UInt8], value: [UInt8]) throws -> (position: Int64, origin: TransactionOrigin) {
        guard let raw = OriginKeys.position(of: key), let position = Int64(exactly: raw) else {
            throw StorageError.corrupt(what: "state key \(Data(key).hexPrefix) under origins/ names no chain position")
        }
        let origin: TransactionOrigin
        do { origin = try TransactionOrigin(canonicalBytes: value) } catch {
            throw StorageError.corrupt(what: "origin record at position \(position): \(error)")
        }
        guard TransactionOrigin.isIndexed(origin.transaction.body.payload) else {
            throw StorageError.corrupt(what: "origin record at position \(position) holds a transaction no index reads")
        }
        return (position, origin)
    }

    /// Calls `body` with the state rows under `prefix` in key order, `batch` rows at a time;
    /// returns how many rows there were.
    static func scanState(_ db: Database, prefix: [UInt8], batch: Int, _ body: ([([UInt8], [UInt8])]) throws -> Void) throws -> Int {
        var end = prefix
        while end.last == 0xFF { end.removeLast() }
        end[end.count - 1] += 1
        var after = prefix
        var total = 0
        while true {
            let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM state WHERE key > ? AND key < ? ORDER BY key LIMIT ?",
                                        arguments: [Data(after), Data(end), max(1, batch)])
            guard let last = rows.last else { return total }
            let pairs = try rows.map { r -> ([UInt8], [UInt8]) in
                let key: Data = try r.stored("key", of: "state row")
                let value: Data = try r.stored("value", of: "state row \(key.hexPrefix)")
                return (Array(key), Array(value))
            }
            try body(pairs)
            total += rows.count
            after = Array(try last.stored("key", of: "state row", as: Data.self))
        }
    }
}
