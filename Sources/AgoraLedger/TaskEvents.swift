import AgoraCore
import AgoraState

/// The WebSocket events of the tasks module (module "tasks"), one per successful task
/// transaction: `tasks.created`, `tasks.assigned`, `tasks.started`, `tasks.completed`,
/// `tasks.failed`, `tasks.cancelled`, `tasks.expired`. Built from the transaction and the block's
/// own write set (where the task's record, with its group, creator and assignee, already is), so
/// publishing costs no state read. The accounts named are the sender, the creator and the
/// assignee, so a client filtering by its address sees every step of its tasks.
struct TaskEvents: ModuleEvents {
    var tags: [Payload.Tag] { [.createTask, .assignTask, .startTask, .completeTask, .failTask, .cancelTask, .expireTask] }

    func append(_ tx: Transaction, involved: [Address], block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        drafts.append(TaskEvents.draft(tx, height: block.height, timestamp: block.timestamp, writes: block.writes))
        block.metrics.taskOperation(tx.body.payload.kind)
    }

    static func draft(_ tx: Transaction, height: UInt64, timestamp: UInt64, writes: WriteSet) -> EventBus.Draft {
        let id: Hash
        let type: String
        var data: [String: JSONValue] = ["tx": .string(tx.id.hex), "sender": .string(tx.sender.description), "height": .uint(height),
                                         "time": .uint(timestamp)]
        switch tx.body.payload {
        case let .createTask(spec):
            id = LedgerID.task(creator: tx.sender, nonce: tx.body.nonce)
            type = "tasks.created"
            data["title"] = .string(spec.title)
            data["reward"] = .uint(spec.reward.units)
            data["deadline"] = spec.deadline.map { JSONValue.uint($0) } ?? .null
        case let .assignTask(task, _): id = task; type = "tasks.assigned"
        case let .startTask(task): id = task; type = "tasks.started"
        case let .completeTask(task, result):
            id = task; type = "tasks.completed"
            data["artifacts"] = .array(result.artifacts.map { .string($0.sha256.hex) })
        case let .failTask(task, reason): id = task; type = "tasks.failed"; data["reason"] = .string(reason)
        case let .cancelTask(task): id = task; type = "tasks.cancelled"
        case let .expireTask(task): id = task; type = "tasks.expired"
        default:
            preconditionFailure("TaskEvents.draft called for a \(tx.body.payload.kind) transaction")
        }
        data["task"] = .string(id.hex)
        var accounts = [tx.sender]
        // The record as the block left it: its group and creator never change, and once a task has
        // an assignee no later step changes it (assign leaves only from pending).
        if let record = record(id, in: writes) {
            data["group"] = .string(record.group.hex)
            data["creator"] = .string(record.creator.description)
            data["assignee"] = record.assignee.map { JSONValue.string($0.description) } ?? .null
            accounts.append(record.creator)
            if let a = record.assignee { accounts.append(a) }
        }
        switch tx.body.payload {
        case let .assignTask(_, assignee):
            data["assignee"] = .string(assignee.description)
            accounts.append(assignee)
        case .createTask:
            // A later step in the block may have assigned it; at creation nobody is.
            data["assignee"] = .null
            accounts = [tx.sender]
        default:
            break
        }
        var seen = Set<Address>()
        let frozen = data  // built eagerly: a var cannot be captured by the lazy field closure
        return .init(kind: .module, type: type, module: "tasks", txID: tx.id, accounts: accounts.filter { seen.insert($0).inserted }, data: frozen)
    }

    /// Binary search: write sets are sorted by key.
    static func record(_ id: Hash, in writes: WriteSet) -> TaskRecord? {
        let key = TaskKeys.task(id)
        var lo = 0, hi = writes.entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if writes.entries[mid].key < key { lo = mid + 1 } else { hi = mid }
        }
        guard lo < writes.entries.count, writes.entries[lo].key == key, let raw = writes.entries[lo].value else { return nil }
        return try? TaskRecord(canonicalBytes: raw)
    }
}
