import AgoraCore

/// The `tasks` module's execution failures (codes 101–108: missing tasks, who may manage or work on
/// one, its states and deadlines): each case's stable code, message and canonical encoding. The
/// cases themselves are declared in `ExecutionFailure` (Execution/Outcomes.swift), which routes
/// here by `module`; a code number is never reused.
extension ExecutionFailure {
    /// The stable code of a tasks failure (`code` routes here by `module`).
    var taskCode: String {
        switch self {
        case .taskNotFound: return "task_not_found"
        case .observerCannotTask: return "observer_cannot_task"
        case .notTaskManager: return "not_task_manager"
        case .notTaskAssignee: return "not_task_assignee"
        case .taskWrongState: return "task_wrong_state"
        case .taskDeadlinePassed: return "task_deadline_passed"
        case .taskDeadlineNotReached: return "task_deadline_not_reached"
        case .taskDeadlineInPast: return "task_deadline_in_past"
        default: misrouted(.tasks)
        }
    }

    var taskDescription: String {
        switch self {
        case let .taskNotFound(t): return "task \(t) does not exist"
        case let .observerCannotTask(g, a): return "\(a) is an observer of group \(g) and cannot create, take or work on tasks"
        case let .notTaskManager(t, a): return "\(a) is neither the creator (as a current member) of task \(t) nor an admin of its group"
        case let .notTaskAssignee(t, a): return "\(a) is not the assignee of task \(t)"
        case let .taskWrongState(t, s, a): return "task \(t) is \(s): \(a) is not allowed from there"
        case let .taskDeadlinePassed(t, d, n): return "task \(t) passed its deadline \(d) (block time \(n)); it can only be cancelled or expired"
        case let .taskDeadlineNotReached(t, d, n):
            return d.map { "task \(t) has deadline \($0), block time is \(n)" } ?? "task \(t) has no deadline and never expires"
        case let .taskDeadlineInPast(d, n): return "deadline \(d) is not after the block time \(n)"
        default: misrouted(.tasks)
        }
    }

    func encodeTaskFailure(to writer: inout CanonicalWriter) {
        switch self {
        case let .taskNotFound(t): writer.write(UInt8(101)); writer.write(t)
        case let .observerCannotTask(g, a): writer.write(UInt8(102)); writer.write(g); writer.write(a)
        case let .notTaskManager(t, a): writer.write(UInt8(103)); writer.write(t); writer.write(a)
        case let .notTaskAssignee(t, a): writer.write(UInt8(104)); writer.write(t); writer.write(a)
        case let .taskWrongState(t, s, a): writer.write(UInt8(105)); writer.write(t); writer.write(s); writer.write(a.rawValue)
        case let .taskDeadlinePassed(t, d, n): writer.write(UInt8(106)); writer.write(t); writer.write(d); writer.write(n)
        case let .taskDeadlineNotReached(t, d, n): writer.write(UInt8(107)); writer.write(t); writer.writeOptional(d); writer.write(n)
        case let .taskDeadlineInPast(d, n): writer.write(UInt8(108)); writer.write(d); writer.write(n)
        default: misrouted(.tasks)
        }
    }

    static func decodeTaskFailure(_ tag: UInt8, from reader: inout CanonicalReader) throws(CodecError) -> ExecutionFailure {
        switch tag {
        case 101: return .taskNotFound(try reader.read(Hash.self))
        case 102: return .observerCannotTask(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 103: return .notTaskManager(task: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 104: return .notTaskAssignee(task: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 105:
            let task = try reader.read(Hash.self)
            let state = try reader.read(TaskState.self)
            let raw = try reader.readUInt8("failure.taskAction")
            guard let action = TaskAction(rawValue: raw) else { throw .unknownTag(type: "failure.taskAction", tag: raw) }
            return .taskWrongState(task: task, state: state, action: action)
        case 106: return .taskDeadlinePassed(task: try reader.read(Hash.self), deadline: try reader.readUInt64("failure.deadline"),
                                           now: try reader.readUInt64("failure.now"))
        case 107: return .taskDeadlineNotReached(task: try reader.read(Hash.self), deadline: try reader.readOptional(UInt64.self, "failure.deadline"),
                                               now: try reader.readUInt64("failure.now"))
        case 108: return .taskDeadlineInPast(deadline: try reader.readUInt64("failure.deadline"), now: try reader.readUInt64("failure.now"))
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }
}
