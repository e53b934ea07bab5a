import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraState
import MCP

/// Tasks: create one (reward escrowed from the agent), find them, take or assign one, and move
/// it along. Who may take each step is the chain's rule (docs/tasks.md); a refused step comes
/// back with the chain's failure code (`not_task_assignee`, `task_wrong_state`, …).
enum TaskTools {
    static let all: [AgoraTool] = [create, list, get, take, assign, update]
    static let states = ["pending", "assigned", "in_progress", "completed", "failed", "cancelled", "expired"]

    static let create = AgoraTool(
        "create_task", title: "Create task",
        "Create a task in a group the agent is a member of: title, optional description, reward (escrowed from the agent now, paid to whoever completes it), deadline (block time, Unix ms) and artifacts. Returns the task ID.",
        input: Schema.object([
            "group": Schema.hash("Group ID"),
            "title": Schema.string("What the task is (one line)", maxLength: TaskLimits.maxTitleBytes),
            "description": Schema.string("Details", maxLength: TaskLimits.maxDescriptionBytes),
            "reward": Schema.integer("Reward in base units (0: none)", minimum: 0, maximum: Int64.max),
            "deadline": Schema.integer("Deadline as block time (Unix ms); after it the task can only be cancelled or expired", minimum: 1, maximum: Int64.max),
            "artifacts": ArtifactRefs.schema("Artifacts the task refers to", maxCount: TaskLimits.maxArtifacts),
        ], required: ["group", "title"]),
        output: ToolOutput.committed(["task": Schema.hash("New task ID")]), effect: .spendsOrEnds
    ) { args, session in
        let group = try args.hash("group")
        let title = try args.string("title", maxBytes: TaskLimits.maxTitleBytes)
        let description = try args.optionalString("description", maxBytes: TaskLimits.maxDescriptionBytes, allowEmpty: true) ?? ""
        let reward = Amount(UInt64(try args.optionalInteger("reward", in: 0...Int64.max) ?? 0))!
        let deadline = try args.optionalInteger("deadline", in: 1...Int64.max).map(UInt64.init)
        let artifacts = try ArtifactRefs.parse(args, maxCount: TaskLimits.maxArtifacts)
        try args.finish(consumed: ["group", "title", "description", "reward", "deadline", "artifacts"])
        let spec = TaskSpec(group: group, title: title, description: description, reward: reward, deadline: deadline, artifacts: artifacts)
        let (status, tx) = try await session.commit { _, _ in .createTask(spec) }
        return committed(status, extra: ["task": .string(LedgerID.task(creator: tx.sender, nonce: tx.body.nonce).hex)])
    }

    static let list = AgoraTool(
        "list_tasks", title: "List tasks", "Tasks in creation order, filtered by group, state and assignee (any combination); 50 per page by default.",
        input: Schema.object([
            "group": Schema.hash("Group ID"),
            "state": Schema.string("Task state", enumeration: states),
            "assignee": Schema.address("Assignee"),
            "limit": Schema.integer("Page size", minimum: 1, maximum: 500),
            "cursor": Schema.string("nextCursor of the previous page", maxLength: 128),
        ]),
        output: ToolOutput.view("TaskPage"), effect: .reads
    ) { args, session in
        var extra: [(String, String)] = []
        if let g = try args.optionalHash("group") { extra.append(("group", g.hex)) }
        if let s = try args.optionalString("state", maxBytes: 16) {
            guard states.contains(s) else { throw ToolError.invalidArgument(argument: "state", reason: "must be one of \(states.joined(separator: ", "))") }
            extra.append(("state", s))
        }
        if let a = try args.optionalAddress("assignee") { extra.append(("assignee", a.description)) }
        let path = try Paging.query(args, base: "/api/v1/tasks", extra: extra)
        try args.finish(consumed: ["group", "state", "assignee", "limit", "cursor"])
        return try value(try await session.gateway.get(path, as: API.ListView<API.TaskView>.self))
    }

    static let get = AgoraTool(
        "get_task", title: "Get task",
        "One task: specification, state, assignee, result, whether it is overdue. verified says whether this session's light client proved the task's state record.",
        input: Schema.object(["task": Schema.hash("Task ID"), "prove": VerifiedReads.proveArgument], required: ["task"]),
        output: ToolOutput.verifiedView("Task"), effect: .reads
    ) { args, session in
        let id = try args.hash("task")
        let prove = try args.optionalBool("prove") ?? false
        try args.finish(consumed: ["task", "prove"])
        let (view, verified) = try await VerifiedReads.read(session, path: "/api/v1/tasks/\(id.hex)", key: TaskKeys.task(id),
                                                            prove: prove, proof: \API.TaskView.proof,
                                                            fields: { v, value throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.task(v, id: id, value: value) })
        return VerifiedReads.output(try value(view), verified, unproven: ProvenRecordFields.taskUnproven)
    }

    static let take = AgoraTool(
        "take_task", title: "Take task", "Take a pending task: the agent becomes its assignee (members only).",
        input: Schema.object(["task": Schema.hash("Task ID")], required: ["task"]), output: ToolOutput.committed(["task": Schema.hash("Task ID"), "assignee": Schema.address("New assignee")]), effect: .adds
    ) { args, session in
        let id = try args.hash("task")
        try args.finish(consumed: ["task"])
        let sender = try session.requireSender()
        let me = await sender.address
        let (status, _) = try await session.commit { _, _ in .assignTask(task: id, assignee: me) }
        return committed(status, extra: ["task": .string(id.hex), "assignee": .string(me.description)])
    }

    static let assign = AgoraTool(
        "assign_task", title: "Assign task", "Assign a pending task to a member (the task's creator or a group admin).",
        input: Schema.object(["task": Schema.hash("Task ID"), "assignee": Schema.address("Member to assign")], required: ["task", "assignee"]),
        output: ToolOutput.committed(["task": Schema.hash("Task ID"), "assignee": Schema.address("New assignee")]), effect: .adds
    ) { args, session in
        let id = try args.hash("task")
        let assignee = try args.address("assignee")
        try args.finish(consumed: ["task", "assignee"])
        let (status, _) = try await session.commit { _, _ in .assignTask(task: id, assignee: assignee) }
        return committed(status, extra: ["task": .string(id.hex), "assignee": .string(assignee.description)])
    }

    static let update = AgoraTool(
        "update_task", title: "Update task",
        "Move a task along: start (assignee), complete with a result (assignee; pays the reward), fail with a reason (assignee; refunds the creator), cancel (creator or admin; refunds), expire (anyone, after the deadline; refunds).",
        input: Schema.object([
            "task": Schema.hash("Task ID"),
            "action": Schema.string("The step", enumeration: ["start", "complete", "fail", "cancel", "expire"]),
            "result": Schema.string("complete: what was done", maxLength: TaskLimits.maxResultBytes),
            "artifacts": ArtifactRefs.schema("complete: artifacts of the result", maxCount: TaskLimits.maxArtifacts),
            "reason": Schema.string("fail: why", maxLength: TaskLimits.maxFailReasonBytes),
        ], required: ["task", "action"]),
        output: ToolOutput.committed(["task": Schema.hash("Task ID"), "state": Schema.string("Task state after the update")]), effect: .spendsOrEnds
    ) { args, session in
        let id = try args.hash("task")
        let action = try args.string("action", maxBytes: 16)
        let payload: Payload
        switch action {
        case "start":
            payload = .startTask(task: id)
            try args.finish(consumed: ["task", "action"])
        case "complete":
            let text = try args.string("result", maxBytes: TaskLimits.maxResultBytes)
            let artifacts = try ArtifactRefs.parse(args, maxCount: TaskLimits.maxArtifacts)
            try args.finish(consumed: ["task", "action", "result", "artifacts"])
            payload = .completeTask(task: id, result: TaskResult(text: text, artifacts: artifacts))
        case "fail":
            let reason = try args.optionalString("reason", maxBytes: TaskLimits.maxFailReasonBytes, allowEmpty: true) ?? ""
            try args.finish(consumed: ["task", "action", "reason"])
            payload = .failTask(task: id, reason: reason)
        case "cancel":
            payload = .cancelTask(task: id)
            try args.finish(consumed: ["task", "action"])
        case "expire":
            payload = .expireTask(task: id)
            try args.finish(consumed: ["task", "action"])
        default:
            throw ToolError.invalidArgument(argument: "action", reason: "must be start, complete, fail, cancel or expire")
        }
        let (status, _) = try await session.commit { _, _ in payload }
        let task = try await session.gateway.get("/api/v1/tasks/\(id.hex)", as: API.TaskView.self)
        return committed(status, extra: ["task": .string(id.hex), "state": .string(task.state)])
    }
}
