/// The values that the `tasks` payloads carry: a task's specification (group, title, description,
/// reward, deadline, artifacts), the result its assignee reports, the task's lifecycle states,
/// and the task ID. Like the claims payloads they decode strictly — texts over their limits,
/// unsorted artifact lists and a zero deadline are refused by the decoder — so one task has one
/// encoding and the rules never see a value a client could have meant two ways.

/// Size limits of the task payloads (part of the protocol, like `Limits`).
public enum TaskLimits {
    /// A title is a line: what the task is, shown in lists.
    public static let maxTitleBytes = 256
    /// The description may be empty; long material goes in artifacts.
    public static let maxDescriptionBytes = 8 * 1024
    /// What the assignee reports on completion.
    public static let maxResultBytes = 8 * 1024
    /// Why the assignee gave up (may be empty).
    public static let maxFailReasonBytes = 1024
    public static let maxArtifacts = 16
}

/// Where a task stands. Stored as its raw byte; the last four are final: nothing moves a task
/// out of them, and a final task holds no escrow.
public enum TaskState: UInt8, Sendable, Hashable, CaseIterable, CanonicalCodable, CustomStringConvertible {
    case pending = 1
    case assigned = 2
    case inProgress = 3
    /// The assignee reported a result; the reward went to it.
    case completed = 4
    /// The assignee gave up; the reward went back to the creator.
    case failed = 5
    /// The creator or an admin withdrew it; the reward went back to the creator.
    case cancelled = 6
    /// Its deadline passed and someone closed it with `expireTask`; the reward went back.
    case expired = 7

    public var name: String {
        switch self {
        case .pending: return "pending"
        case .assigned: return "assigned"
        case .inProgress: return "in_progress"
        case .completed: return "completed"
        case .failed: return "failed"
        case .cancelled: return "cancelled"
        case .expired: return "expired"
        }
    }

    public init?(name: String) {
        guard let s = TaskState.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }

    public var description: String { name }
    public var isFinal: Bool { rawValue >= TaskState.completed.rawValue }

    public func encode(to writer: inout CanonicalWriter) { writer.write(rawValue) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("task.state")
        guard let s = TaskState(rawValue: raw) else { throw .unknownTag(type: "task.state", tag: raw) }
        self = s
    }
}

/// What a `createTask` asks for. The creator and creation time come from the transaction and
/// its block; the ID from the creator's address and nonce (`LedgerID.task`).
public struct TaskSpec: Hashable, Sendable, CanonicalCodable {
    public var group: Hash
    /// 1–256 bytes of UTF-8.
    public var title: String
    /// 0–8 KiB of UTF-8.
    public var description: String
    /// Escrowed from the creator at creation and paid to the assignee on completion; zero: none.
    public var reward: Amount
    /// Block time (ms) from which the task can no longer be worked on and anyone may expire it;
    /// nil: no deadline. Never 0 (the decoder refuses it, so "none" has one encoding).
    public var deadline: UInt64?
    /// Sorted by hash, no duplicates.
    public var artifacts: [ArtifactRef]

    public init(group: Hash, title: String, description: String = "", reward: Amount = .zero, deadline: UInt64? = nil,
                artifacts: [ArtifactRef] = []) {
        self.group = group
        self.title = title
        self.description = description
        self.reward = reward
        self.deadline = deadline
        self.artifacts = artifacts
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(group)
        writer.writeString(title)
        writer.writeString(description)
        writer.write(reward)
        writer.writeOptional(deadline)
        writer.writeArray(artifacts)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        group = try reader.read(Hash.self)
        title = try reader.readString("task.title", limit: TaskLimits.maxTitleBytes)
        guard !title.isEmpty else { throw .nonCanonical(field: "task.title", reason: "empty") }
        description = try reader.readString("task.description", limit: TaskLimits.maxDescriptionBytes)
        reward = try reader.read(Amount.self)
        deadline = try reader.readOptional(UInt64.self, "task.deadline")
        if deadline == 0 { throw .nonCanonical(field: "task.deadline", reason: "0; omit the deadline instead") }
        artifacts = try TaskSpec.readArtifacts(&reader, "task.artifacts")
    }

    static func readArtifacts(_ reader: inout CanonicalReader, _ field: String) throws(CodecError) -> [ArtifactRef] {
        let list = try reader.readArray(ArtifactRef.self, field, limit: TaskLimits.maxArtifacts)
        for i in list.indices.dropFirst() where !(list[i - 1] < list[i]) {
            throw .nonCanonical(field: field, reason: "not sorted by hash and unique")
        }
        return list
    }
}

/// What the assignee reports when it completes a task: text and optional artifact references
/// (the work product itself lives in the artifact store).
public struct TaskResult: Hashable, Sendable, CanonicalCodable {
    /// 1 B–8 KiB of UTF-8.
    public var text: String
    /// Sorted by hash, no duplicates.
    public var artifacts: [ArtifactRef]

    public init(text: String, artifacts: [ArtifactRef] = []) {
        self.text = text
        self.artifacts = artifacts
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeString(text)
        writer.writeArray(artifacts)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        text = try reader.readString("task.result", limit: TaskLimits.maxResultBytes)
        guard !text.isEmpty else { throw .nonCanonical(field: "task.result", reason: "empty") }
        artifacts = try TaskSpec.readArtifacts(&reader, "task.result.artifacts")
    }
}

extension LedgerID {
    static let taskDomain = Array("agora/task/v1\u{0}".utf8)

    /// task ID = SHA-256("agora/task/v1\0" ‖ creator ‖ nonce): known before the transaction is
    /// sent, so a creator can assign its own task in the same block.
    public static func task(creator: Address, nonce: UInt64) -> Hash {
        Hash.sha256(parts: [taskDomain, creator.bytes, nonce.canonicalBytes])
    }
}

// The `tasks` payloads' codec (tags 21–27). `Payload` routes here by `Tag.module`.
extension Payload {
    func encodeTaskFields(to writer: inout CanonicalWriter) {
        switch self {
        case let .createTask(spec):
            writer.write(spec)
        case let .assignTask(task, assignee):
            writer.write(task)
            writer.write(assignee)
        case let .startTask(task), let .cancelTask(task), let .expireTask(task):
            writer.write(task)
        case let .completeTask(task, result):
            writer.write(task)
            writer.write(result)
        case let .failTask(task, reason):
            writer.write(task)
            writer.writeString(reason)
        default:
            misrouted(.tasks)
        }
    }

    static func decodeTasks(_ tag: Tag, from reader: inout CanonicalReader) throws(CodecError) -> Payload {
        switch tag {
        case .createTask:
            return .createTask(try reader.read(TaskSpec.self))
        case .assignTask:
            let task = try reader.read(Hash.self)
            return .assignTask(task: task, assignee: try reader.read(Address.self))
        case .startTask:
            return .startTask(task: try reader.read(Hash.self))
        case .completeTask:
            let task = try reader.read(Hash.self)
            return .completeTask(task: task, result: try reader.read(TaskResult.self))
        case .failTask:
            let task = try reader.read(Hash.self)
            return .failTask(task: task, reason: try reader.readString("task.failReason", limit: TaskLimits.maxFailReasonBytes))
        case .cancelTask:
            return .cancelTask(task: try reader.read(Hash.self))
        case .expireTask:
            return .expireTask(task: try reader.read(Hash.self))
        default:
            throw misroutedTag(tag)
        }
    }
}
