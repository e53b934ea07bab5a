import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraState
import AgoraCrypto
import AgoraLedger
import ArgumentParser
import Foundation

/// `agora tx task create|assign|take|start|complete|fail|cancel|expire`, `agora query tasks|task|presence`
/// and `agora presence heartbeat`: the tasks and presence modules from the command line. Task
/// subcommands build one payload each, check it against the codec's limits before signing (a bad
/// argument is exit 2, not a refused transaction) and go through `submit`. The heartbeat command
/// signs a heartbeat for the node's chain and posts it, once or every N seconds.
extension Tx {
    struct TaskTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "task", abstract: "Create tasks and move them through their lifecycle (docs/tasks.md).",
            subcommands: [Create.self, Assign.self, Take.self, Start.self, Complete.self, Fail.self, Cancel.self, Expire.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a task in a group (members and admins); the reward is escrowed. Prints the task ID.")
            @OptionGroup var options: TxOptions
            @Option(help: "Group ID (64 hex digits).") var group: String
            @Option(help: "Title (1-256 bytes).") var title: String
            @Option(help: "Description (at most 8 KiB), or @path of a file holding it.") var description: String = ""
            @Option(help: "Reward in base units, escrowed from the sender with the payout fee.") var reward: UInt64 = 0
            @Option(help: "Deadline as block time in ms since 1970.") var deadline: UInt64?
            @Option(help: "Deadline as seconds from now (instead of --deadline).") var deadlineIn: UInt64?
            @Option(help: "An artifact: SHA256HEX:SIZE, or @path of a file to hash (repeat).") var artifact: [String] = []

            func run() async throws {
                try await runCommand {
                    guard !title.isEmpty, title.utf8.count <= TaskLimits.maxTitleBytes else {
                        throw CLIError(Exit.invalidInput, "--title must be 1-\(TaskLimits.maxTitleBytes) bytes")
                    }
                    let body = try readText(description)
                    guard body.utf8.count <= TaskLimits.maxDescriptionBytes else {
                        throw CLIError(Exit.invalidInput, "--description is over \(TaskLimits.maxDescriptionBytes) bytes")
                    }
                    guard let value = Amount(reward) else { throw CLIError(Exit.invalidInput, "--reward is above 2^63-1") }
                    var due = deadline
                    if let s = deadlineIn {
                        guard due == nil else { throw CLIError(Exit.invalidInput, "give --deadline or --deadline-in, not both") }
                        due = UInt64(Date().timeIntervalSince1970 * 1000) + s * 1000
                    }
                    guard due != 0 else { throw CLIError(Exit.invalidInput, "--deadline must be above 0") }
                    let refs = try artifacts(artifact)
                    let spec = TaskSpec(group: try hashArgument(group, "group"), title: title, description: body, reward: value, deadline: due, artifacts: refs)
                    let tx = try await submit(.createTask(spec), options: options)
                    print("task \(LedgerID.task(creator: tx.sender, nonce: tx.body.nonce).hex)")
                }
            }
        }

        struct Assign: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Assign a pending task to a member (the task's creator or a group admin).")
            @OptionGroup var options: TxOptions
            @Option(help: "Task ID (64 hex digits).") var task: String
            @Option(help: "The assignee's ag1… address.") var assignee: String

            func run() async throws {
                try await runCommand {
                    let a = try addressArgument(assignee, "--assignee")
                    try await submit(.assignTask(task: try hashArgument(task, "task"), assignee: a), options: options)
                }
            }
        }

        struct Take: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Take a pending task for yourself (members and admins).")
            @OptionGroup var options: TxOptions
            @Option(help: "Task ID (64 hex digits).") var task: String

            func run() async throws {
                try await runCommand {
                    let id = try hashArgument(task, "task")
                    try await submit(options: options) { _, sender in .assignTask(task: id, assignee: sender.address) }
                }
            }
        }

        struct Start: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Start an assigned task (the assignee).")
            @OptionGroup var options: TxOptions
            @Option(help: "Task ID (64 hex digits).") var task: String

            func run() async throws {
                try await runCommand { try await submit(.startTask(task: try hashArgument(task, "task")), options: options) }
            }
        }

        struct Complete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Complete a task in progress with a result (the assignee); pays the reward.")
            @OptionGroup var options: TxOptions
            @Option(help: "Task ID (64 hex digits).") var task: String
            @Option(help: "The result (1 B-8 KiB), or @path of a file holding it.") var result: String
            @Option(help: "An artifact: SHA256HEX:SIZE, or @path of a file to hash (repeat).") var artifact: [String] = []

            func run() async throws {
                try await runCommand {
                    let text = try readText(result)
                    guard !text.isEmpty, text.utf8.count <= TaskLimits.maxResultBytes else {
                        throw CLIError(Exit.invalidInput, "--result must be 1-\(TaskLimits.maxResultBytes) bytes")
                    }
                    let r = TaskResult(text: text, artifacts: try artifacts(artifact))
                    try await submit(.completeTask(task: try hashArgument(task, "task"), result: r), options: options)
                }
            }
        }

        struct Fail: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Give up a task in progress (the assignee); refunds the creator.")
            @OptionGroup var options: TxOptions
            @Option(help: "Task ID (64 hex digits).") var task: String
            @Option(help: "Why (at most 1 KiB).") var reason: String = ""

            func run() async throws {
                try await runCommand {
                    guard reason.utf8.count <= TaskLimits.maxFailReasonBytes else {
                        throw CLIError(Exit.invalidInput, "--reason is over \(TaskLimits.maxFailReasonBytes) bytes")
                    }
                    try await submit(.failTask(task: try hashArgument(task, "task"), reason: reason), options: options)
                }
            }
        }

        struct Cancel: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Cancel a task that is not final (its creator or a group admin); refunds the creator.")
            @OptionGroup var options: TxOptions
            @Option(help: "Task ID (64 hex digits).") var task: String

            func run() async throws {
                try await runCommand { try await submit(.cancelTask(task: try hashArgument(task, "task")), options: options) }
            }
        }

        struct Expire: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Close a task past its deadline (anyone); refunds the creator.")
            @OptionGroup var options: TxOptions
            @Option(help: "Task ID (64 hex digits).") var task: String

            func run() async throws {
                try await runCommand { try await submit(.expireTask(task: try hashArgument(task, "task")), options: options) }
            }
        }
    }
}

private func hashArgument(_ text: String, _ what: String) throws -> Hash {
    guard let id = Hash(hex: text) else { throw CLIError(Exit.invalidInput, "\(what) ID \(text) is not 64 hex digits") }
    return id
}

/// The text itself, or the contents of the file after `@`.
private func readText(_ text: String) throws -> String {
    guard text.hasPrefix("@") else { return text }
    guard let data = FileManager.default.contents(atPath: String(text.dropFirst())) else {
        throw CLIError(Exit.invalidInput, "cannot read \(text.dropFirst())")
    }
    return String(decoding: data, as: UTF8.self)
}

private func artifacts(_ list: [String]) throws -> [ArtifactRef] {
    let refs = try Set(list.map(parseArtifact)).sorted()
    guard refs.count <= TaskLimits.maxArtifacts else { throw CLIError(Exit.invalidInput, "at most \(TaskLimits.maxArtifacts) --artifact") }
    return refs
}

extension Query {
    struct TasksQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tasks", abstract: "Tasks in creation order, by group, state and assignee.")
        @OptionGroup var node: NodeOption
        @Option(help: "Group ID (64 hex digits).") var group: String?
        @Option(help: "pending, assigned, in_progress, completed, failed, cancelled or expired.") var state: String?
        @Option(help: "Only tasks assigned to this ag1… address.") var assignee: String?
        @Option(help: "nextCursor of the previous page.") var cursor: String = ""
        @Option(help: "Page size (1-500).") var limit: Int = 50

        func run() async throws {
            try await runCommand {
                var path = "/api/v1/tasks?limit=\(limit)&cursor=\(cursor)"
                if let group { path += "&group=\(try hashArgument(group, "group").hex)" }
                if let state {
                    guard let s = TaskState(name: state) else { throw CLIError(Exit.invalidInput, "--state \(state) is not a task state") }
                    path += "&state=\(s.name)"
                }
                if let assignee {
                    path += "&assignee=\(try addressArgument(assignee, "--assignee"))"
                }
                printJSON(try await node.client.get(path, as: API.ListView<API.TaskView>.self))
            }
        }
    }

    struct TaskQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "task", abstract: "A task by ID.")
        @OptionGroup var node: NodeOption
        @OptionGroup var verification: VerifyOptions
        @Argument(help: "Task ID (64 hex digits).") var id: String

        func run() async throws {
            try await runCommand {
                let tid = try hashArgument(id, "task")
                try await queryRecord(node, verification, path: "/api/v1/tasks/\(tid.hex)", key: TaskKeys.task(tid), as: API.TaskView.self,
                                      proof: \.proof, withoutProof: { var v = $0; v.proof = nil; return v },
                                      proven: { v, value in try provenFields(v) { () throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.task(v, id: tid, value: value) } })
            }
        }
    }

    struct PresenceQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "presence", abstract: "Who in a group is online or stale.")
        @OptionGroup var node: NodeOption
        @Argument(help: "Group ID (64 hex digits).") var group: String

        func run() async throws {
            try await runCommand {
                printJSON(try await node.client.get("/api/v1/groups/\(try hashArgument(group, "group").hex)/presence", as: API.GroupPresenceView.self))
            }
        }
    }
}

struct PresenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "presence", abstract: "Announce presence in a group.", subcommands: [Heartbeat.self])

    struct Heartbeat: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign and send a heartbeat, once or every --every seconds until interrupted.")
        @OptionGroup var node: NodeOption
        @OptionGroup var keys: KeysOption
        @Option(help: "Member key: a name in the key directory or a file path.") var key: String
        @Option(help: "Group ID (64 hex digits).") var group: String
        @Option(help: "Status text (at most 256 bytes).") var status: String = ""
        @Option(help: "Repeat every this many seconds (keep it at or below the node's presence interval).") var every: Double?

        func run() async throws {
            try await runCommand {
                let gid = try hashArgument(group, "group")
                guard status.utf8.count <= PresenceLimits.maxStatusBytes else {
                    throw CLIError(Exit.invalidInput, "--status is over \(PresenceLimits.maxStatusBytes) bytes")
                }
                if let every, every < 1 { throw CLIError(Exit.invalidInput, "--every must be at least 1 second (the node refuses faster)") }
                let signer = try unlockKey(keys.path(for: key))
                let client = node.client
                let chainID = try await client.get("/api/v1/status", as: API.StatusView.self).chainID
                while true {
                    let hb = AgoraCore.Heartbeat(group: gid, member: signer.publicKey, time: UInt64(Date().timeIntervalSince1970 * 1000), status: status)
                    let signed = signer.sign(hb, chainID: chainID)
                    let r = try await client.post("/api/v1/presence", API.HeartbeatRequest(heartbeat: Hex.encode(signed.canonicalBytes)),
                                                  as: API.HeartbeatResponse.self)
                    print("heartbeat \(r.status) \(r.member) \(r.time)")
                    guard let every else { return }
                    try await Task.sleep(for: .milliseconds(Int64(every * 1000)))
                }
            }
        }
    }
}
