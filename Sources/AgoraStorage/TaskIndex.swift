import AgoraCore
import AgoraState
import Foundation
import GRDB

/// The node's index of the tasks module: one row per task, inserted by its successful
/// `createTask` and updated by every later successful step (assignee, state, the position of the
/// transaction that carries the result or the reason). It is written inside the block's commit
/// transaction from the block and its receipts alone, like `ClaimIndex`, so it never disagrees
/// with the chain and a crash leaves it exactly as complete as the blocks. It serves what state
/// cannot: tasks by group, state and assignee, in creation order, with their text.
struct TaskIndex: BlockIndexer {
    func index(_ db: Database, _ batch: BlockStore.CommitBatch) throws {
        try TaskIndex.index(db, IndexedTransactions(block: batch.block, receipts: batch.receipts))
    }

    static func index(_ db: Database, _ txs: IndexedTransactions) throws {
        let height = txs.height
        let time = txs.time
        for (i, tx) in txs.items {
            let position = Schema.position(height: height, index: i)
            func step(_ task: Hash, _ state: TaskState, assignee: Address? = nil) throws {
                // The row exists: state only lets a step succeed on a task a committed (or earlier
                // in this block, already indexed) createTask made.
                try db.execute(sql: """
                    UPDATE tasks SET state = ?, assignee = COALESCE(?, assignee), updated_position = ?, updated_time = ? WHERE id = ?
                    """, arguments: [Int(state.rawValue), assignee.map { Data($0.bytes) }, position, time, Data(task.bytes)])
            }
            switch tx.body.payload {
            case let .createTask(spec):
                let id = LedgerID.task(creator: tx.sender, nonce: tx.body.nonce)
                try db.execute(sql: """
                    INSERT INTO tasks(position, id, group_id, creator, assignee, state, reward, deadline, created_time, updated_position, updated_time)
                    VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)
                    """, arguments: [position, Data(id.bytes), Data(spec.group.bytes), Data(tx.sender.bytes), Int(TaskState.pending.rawValue),
                                     Int64(spec.reward.units), spec.deadline.map { Int64(clamping: $0) }, time, position, time])
            case let .assignTask(task, assignee): try step(task, .assigned, assignee: assignee)
            case let .startTask(task): try step(task, .inProgress)
            case let .completeTask(task, _): try step(task, .completed)
            case let .failTask(task, _): try step(task, .failed)
            case let .cancelTask(task): try step(task, .cancelled)
            case let .expireTask(task): try step(task, .expired)
            default: continue
            }
        }
    }
}

/// A task as the index serves it: its specification from the creating transaction, where it
/// stands, and the result (or the reason it failed) from the transaction that finished it.
public struct IndexedTask: Sendable, Equatable {
    public var id: Hash
    public var creator: Address
    public var spec: TaskSpec
    public var assignee: Address?
    public var state: TaskState
    public var height: UInt64
    /// Block time (ms) of creation and of the last step.
    public var createdTime: UInt64
    public var updatedTime: UInt64
    public var transaction: Hash
    /// Set once completed.
    public var result: TaskResult?
    /// Set once failed (may be empty).
    public var failReason: String?
    /// The paging cursor: the position of the creating transaction.
    public var position: Int64
}

extension BlockStore {
    public struct TaskQuery: Sendable {
        public var group: Hash?
        public var state: TaskState?
        public var assignee: Address?
        /// Only tasks created after this position (the previous page's last `position`).
        public var after: Int64?
        public var limit: Int

        public init(group: Hash? = nil, state: TaskState? = nil, assignee: Address? = nil, after: Int64? = nil, limit: Int) {
            self.group = group
            self.state = state
            self.assignee = assignee
            self.after = after
            self.limit = limit
        }
    }

    static let taskColumns = """
        SELECT k.position, k.id, k.assignee, k.state, k.created_time, k.updated_time, k.updated_position,
               c.bytes AS create_bytes, c.id AS tx, u.bytes AS update_bytes
        FROM tasks k JOIN transactions c ON c.position = k.position JOIN transactions u ON u.position = k.updated_position
        """

    /// Tasks in creation order, filtered by any of group, state and assignee; every combination
    /// is served by an index that ends in position (see the v4-tasks migration).
    public func tasks(_ q: TaskQuery) throws -> [IndexedTask] {
        try read("list tasks") { db in
            var conditions = ["k.position > ?"]
            var args: [(any DatabaseValueConvertible)?] = [q.after ?? -1]
            if let g = q.group { conditions.append("k.group_id = ?"); args.append(Data(g.bytes)) }
            if let a = q.assignee { conditions.append("k.assignee = ?"); args.append(Data(a.bytes)) }
            if let s = q.state { conditions.append("k.state = ?"); args.append(Int(s.rawValue)) }
            args.append(q.limit)
            let sql = "\(BlockStore.taskColumns) WHERE \(conditions.joined(separator: " AND ")) ORDER BY k.position LIMIT ?"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(self.indexedTask)
        }
    }

    public func task(id: Hash) throws -> IndexedTask? {
        try read("task \(id)") { db in
            try Row.fetchOne(db, sql: "\(BlockStore.taskColumns) WHERE k.id = ?", arguments: [Data(id.bytes)]).map(self.indexedTask)
        }
    }

    private func indexedTask(_ row: Row) throws -> IndexedTask {
        let position: Int64 = try row.stored("position", of: "task index row")
        let what = "task at \(position)"
        func tx(_ column: String) throws -> Transaction {
            let bytes: Data = try row.stored(column, of: what)
            do { return try Transaction(bytes: Array(bytes)) } catch { throw StorageError.corrupt(what: "task transaction at \(position): \(error)") }
        }
        let create = try tx("create_bytes")
        let update = try tx("update_bytes")
        guard case let .createTask(spec) = create.body.payload, let id = Hash(bytes: try row.stored("id", of: what, as: Data.self)),
              let state = TaskState(rawValue: UInt8(clamping: try row.stored("state", of: what, as: Int.self)))
        else { throw StorageError.corrupt(what: "task index row at \(position)") }
        var result: TaskResult?
        var reason: String?
        switch update.body.payload {
        case let .completeTask(_, r): result = r
        case let .failTask(_, r): reason = r
        default: break
        }
        let assignee = try row.storedIfPresent("assignee", of: what, as: Data.self).map { Address(raw: Array($0)) }
        let created: Int64 = try row.stored("created_time", of: what), updated: Int64 = try row.stored("updated_time", of: what)
        return IndexedTask(id: id, creator: create.sender, spec: spec, assignee: assignee, state: state, height: Schema.split(position).height,
                           createdTime: UInt64(created), updatedTime: UInt64(updated), transaction: create.id, result: result,
                           failReason: reason, position: position)
    }
}
