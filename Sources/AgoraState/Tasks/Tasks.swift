import AgoraCore

/// The tasks module: a task lives in a group and moves pending → assigned → in_progress →
/// completed | failed, or to cancelled / expired from any non-final state. Each step has one kind
/// of party allowed to take it (docs/tasks.md has the table); membership and roles are read from
/// the state the transaction executes on, so a member removed earlier in the same block can no
/// longer act. An optional reward is escrowed from the creator at creation (with the payout fee)
/// and leaves the escrow exactly once: to the assignee (and the fee to the chain treasury) on
/// completion, or back to the creator on fail, cancel or expiry. Every function returns nil or why
/// the step failed; the executor then rolls the payload back, so nothing is half-applied.
public enum Tasks {
    public static func task(_ id: Hash, state: StateReader) throws -> TaskRecord? { try task(StateOverlay(base: state), id) }

    static func task(_ state: StateOverlay, _ id: Hash) throws -> TaskRecord? {
        guard let raw = try state.get(TaskKeys.task(id)) else { return nil }
        return try Bank.decode(TaskRecord.self, raw, "tasks/t")
    }

    static func setTask(_ state: StateOverlay, _ id: Hash, _ record: TaskRecord) throws {
        try state.set(TaskKeys.task(id), record.canonicalBytes)
    }

    /// The payout fee of a reward in `group`: the group's rate, never below the chain's.
    static func fee(_ reward: Amount, group: GroupRecord, bank: BankParams) -> Amount {
        reward.basisPoints(max(group.policy.transferFeeBps, bank.transferFeeBps))
    }

    static func create(_ state: StateOverlay, id: Hash, creator: Address, spec: TaskSpec, context: BlockContext,
                       bank: BankParams) throws -> ExecutionFailure? {
        guard let group = try Groups.group(state, spec.group) else { return .groupNotFound(spec.group) }
        guard let role = try Groups.membership(state, spec.group, creator)?.role else {
            return .notGroupMember(group: spec.group, address: creator)
        }
        guard role != .observer else { return .observerCannotTask(group: spec.group, address: creator) }
        if let deadline = spec.deadline, deadline <= context.timestamp {
            return .taskDeadlineInPast(deadline: deadline, now: context.timestamp)
        }
        let fee = fee(spec.reward, group: group, bank: bank)
        guard let escrow = try? spec.reward.adding(fee) else { return .arithmeticOverflow }
        if escrow > .zero {
            var account = try Bank.account(state, creator)
            guard let left = try? account.balance.subtracting(escrow) else {
                return .insufficientBalance(balance: account.balance, needed: escrow)
            }
            account.balance = left
            try Bank.setAccount(state, creator, account)
        }
        // The ID comes from the creator's address and nonce, which no other transaction can use.
        guard try task(state, id) == nil else { throw StateFault.corrupt(key: "tasks/t", error: TaskFault.idCollision(id)) }
        try setTask(state, id, TaskRecord(group: spec.group, creator: creator, assignee: nil, state: .pending, reward: spec.reward,
                                          fee: fee, deadline: spec.deadline, createdAt: context.height, updatedAt: context.height))
        return nil
    }

    /// The task, if `action` may leave its current state.
    private static func load(_ state: StateOverlay, _ id: Hash, _ action: TaskAction) throws -> Result<TaskRecord, ExecutionFailure> {
        guard let t = try task(state, id) else { return .failure(.taskNotFound(id)) }
        guard action.from.contains(t.state) else { return .failure(.taskWrongState(task: id, state: t.state, action: action)) }
        return .success(t)
    }

    /// A current member that may work on tasks (any role but observer), or why not.
    private static func worker(_ state: StateOverlay, _ group: Hash, _ address: Address) throws -> ExecutionFailure? {
        guard let role = try Groups.membership(state, group, address)?.role else { return .notGroupMember(group: group, address: address) }
        return role == .observer ? .observerCannotTask(group: group, address: address) : nil
    }

    /// Admins of the task's group, and its creator while it is still a member (any role: a
    /// creator demoted to observer may still withdraw its own task).
    private static func isManager(_ state: StateOverlay, _ t: TaskRecord, _ address: Address) throws -> Bool {
        guard let role = try Groups.membership(state, t.group, address)?.role else { return false }
        return role == .admin || address == t.creator
    }

    private static func beforeDeadline(_ id: Hash, _ t: TaskRecord, _ context: BlockContext) -> ExecutionFailure? {
        guard let d = t.deadline, context.timestamp >= d else { return nil }
        return .taskDeadlinePassed(task: id, deadline: d, now: context.timestamp)
    }

    static func assign(_ state: StateOverlay, task id: Hash, sender: Address, assignee: Address,
                       context: BlockContext) throws -> ExecutionFailure? {
        let taking = assignee == sender
        var t: TaskRecord
        switch try load(state, id, taking ? .take : .assign) {
        case let .success(r): t = r
        case let .failure(f): return f
        }
        if !taking, try !isManager(state, t, sender) { return .notTaskManager(task: id, address: sender) }
        if let f = try worker(state, t.group, assignee) { return f }
        if let f = beforeDeadline(id, t, context) { return f }
        t.assignee = assignee
        t.state = .assigned
        t.updatedAt = context.height
        try setTask(state, id, t)
        return nil
    }

    /// start, complete and fail: the assignee, still a member that may work on tasks, before the deadline.
    private static func assigneeStep(_ state: StateOverlay, _ id: Hash, _ sender: Address, _ action: TaskAction,
                                     _ context: BlockContext) throws -> Result<TaskRecord, ExecutionFailure> {
        let t: TaskRecord
        switch try load(state, id, action) {
        case let .success(r): t = r
        case let .failure(f): return .failure(f)
        }
        guard t.assignee == sender else { return .failure(.notTaskAssignee(task: id, address: sender)) }
        if let f = try worker(state, t.group, sender) { return .failure(f) }
        if let f = beforeDeadline(id, t, context) { return .failure(f) }
        return .success(t)
    }

    static func start(_ state: StateOverlay, task id: Hash, sender: Address, context: BlockContext) throws -> ExecutionFailure? {
        switch try assigneeStep(state, id, sender, .start, context) {
        case var .success(t):
            t.state = .inProgress
            t.updatedAt = context.height
            try setTask(state, id, t)
            return nil
        case let .failure(f): return f
        }
    }

    static func complete(_ state: StateOverlay, task id: Hash, sender: Address, context: BlockContext, bank: BankParams,
                         treasuryCredit: inout Amount) throws -> ExecutionFailure? {
        switch try assigneeStep(state, id, sender, .complete, context) {
        case var .success(t):
            if t.reward > .zero, let f = try Bank.credit(state, sender, t.reward, params: bank) { return f }
            // The fee was escrowed with the reward: it moves to the treasury, the supply is unchanged.
            treasuryCredit = try treasuryCredit.adding(t.fee)
            t.state = .completed
            t.updatedAt = context.height
            try setTask(state, id, t)
            return nil
        case let .failure(f): return f
        }
    }

    static func fail(_ state: StateOverlay, task id: Hash, sender: Address, context: BlockContext, bank: BankParams) throws -> ExecutionFailure? {
        switch try assigneeStep(state, id, sender, .fail, context) {
        case let .success(t): return try close(state, id, t, .failed, context: context, bank: bank)
        case let .failure(f): return f
        }
    }

    static func cancel(_ state: StateOverlay, task id: Hash, sender: Address, context: BlockContext, bank: BankParams) throws -> ExecutionFailure? {
        switch try load(state, id, .cancel) {
        case let .success(t):
            // No deadline check: withdrawing an overdue task is what a creator should do.
            guard try isManager(state, t, sender) else { return .notTaskManager(task: id, address: sender) }
            return try close(state, id, t, .cancelled, context: context, bank: bank)
        case let .failure(f): return f
        }
    }

    static func expire(_ state: StateOverlay, task id: Hash, context: BlockContext, bank: BankParams) throws -> ExecutionFailure? {
        switch try load(state, id, .expire) {
        case let .success(t):
            guard let d = t.deadline, context.timestamp >= d else {
                return .taskDeadlineNotReached(task: id, deadline: t.deadline, now: context.timestamp)
            }
            return try close(state, id, t, .expired, context: context, bank: bank)
        case let .failure(f): return f
        }
    }

    /// Ends a task without a payout: the whole escrow (reward and fee) goes back to the creator.
    private static func close(_ state: StateOverlay, _ id: Hash, _ task: TaskRecord, _ final: TaskState, context: BlockContext,
                              bank: BankParams) throws -> ExecutionFailure? {
        var t = task
        let escrow = t.escrow
        if escrow > .zero, let f = try Bank.credit(state, t.creator, escrow, params: bank) { return f }
        t.state = final
        t.updatedAt = context.height
        try setTask(state, id, t)
        return nil
    }
}

/// A fault of the node's own state found by the tasks module (never the transaction's fault).
public enum TaskFault: Error, CustomStringConvertible {
    case idCollision(Hash)
    public var description: String {
        switch self {
        case let .idCollision(id): return "task \(id) already exists although its creator's nonce is fresh"
        }
    }
}
