import AgoraCore

// The tasks module's state: the record kept per task (`TaskRecord`), the transition table as data
// (`TaskAction.from` / `.to`, which the rules and the tests both read, so the documented table,
// the code and the test of every forbidden transition cannot drift apart), and the state keys.

/// What state keeps of a task: the fields the rules read (group, creator, assignee, state,
/// deadline) and the escrow it holds. The title, description and result stay in their
/// transactions; the node's SQLite task index serves them. The escrow (`reward` + `fee`) is part of
/// `bank/supply` while the task is not final, and zero once it is.
public struct TaskRecord: Hashable, Sendable, CanonicalCodable {
    public var group: Hash
    public var creator: Address
    public var assignee: Address?
    public var state: TaskState
    /// What the assignee receives on completion.
    public var reward: Amount
    /// The payout fee, fixed at creation (`reward` × max(group, chain) transferFeeBps): goes to
    /// the chain treasury on completion, back to the creator otherwise.
    public var fee: Amount
    public var deadline: UInt64?
    public var createdAt: UInt64
    /// Height of the last change of state.
    public var updatedAt: UInt64

    public init(group: Hash, creator: Address, assignee: Address?, state: TaskState, reward: Amount, fee: Amount,
                deadline: UInt64?, createdAt: UInt64, updatedAt: UInt64) {
        self.group = group
        self.creator = creator
        self.assignee = assignee
        self.state = state
        self.reward = reward
        self.fee = fee
        self.deadline = deadline
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Funds the task holds now (zero once final).
    public var escrow: Amount { state.isFinal ? .zero : ((try? reward.adding(fee)) ?? .max) }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(group)
        writer.write(creator)
        writer.writeOptional(assignee)
        writer.write(state)
        writer.write(reward)
        writer.write(fee)
        writer.writeOptional(deadline)
        writer.write(createdAt)
        writer.write(updatedAt)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        group = try reader.read(Hash.self)
        creator = try reader.read(Address.self)
        assignee = try reader.readOptional(Address.self, "task.assignee")
        state = try reader.read(TaskState.self)
        reward = try reader.read(Amount.self)
        fee = try reader.read(Amount.self)
        deadline = try reader.readOptional(UInt64.self, "task.deadline")
        createdAt = try reader.readUInt64("task.createdAt")
        updatedAt = try reader.readUInt64("task.updatedAt")
    }
}

/// A step of a task's lifecycle, named in `taskWrongState` failures. `assign` and `take` are one
/// payload (`assignTask`); which one it is depends on whether the sender assigns itself.
public enum TaskAction: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case assign = 1, take = 2, start = 3, complete = 4, fail = 5, cancel = 6, expire = 7

    public var description: String {
        switch self {
        case .assign: return "assign"
        case .take: return "take"
        case .start: return "start"
        case .complete: return "complete"
        case .fail: return "fail"
        case .cancel: return "cancel"
        case .expire: return "expire"
        }
    }

    /// The states this step leaves from (the transition table of docs/tasks.md).
    public var from: Set<TaskState> {
        switch self {
        case .assign, .take: return [.pending]
        case .start: return [.assigned]
        case .complete, .fail: return [.inProgress]
        case .cancel, .expire: return [.pending, .assigned, .inProgress]
        }
    }

    public var to: TaskState {
        switch self {
        case .assign, .take: return .assigned
        case .start: return .inProgress
        case .complete: return .completed
        case .fail: return .failed
        case .cancel: return .cancelled
        case .expire: return .expired
        }
    }
}

/// Where tasks live in the state store.
public enum TaskKeys {
    public static let taskPrefix = Array("tasks/t/".utf8)
    public static func task(_ id: Hash) -> StateKey { StateKey(taskPrefix + id.bytes) }
}
