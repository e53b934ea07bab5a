import AgoraCore
import AgoraServices
import AgoraState
import AgoraStorage
import Hummingbird

/// The tasks module as a client reads it: tasks filtered by group, state and assignee in creation
/// order, and one task with its specification, where it stands and its result. Everything comes
/// from the SQLite task index written with each block (the text lives in the transactions it
/// points to); `overdue` is computed against the head block's time.
extension API {
    public struct TaskView: Codable, Sendable, Equatable {
        public var id: String
        public var group: String
        public var creator: String
        public var title: String
        public var description: String
        /// Escrowed at creation, paid to the assignee on completion.
        public var reward: UInt64
        /// Block time (ms), or null.
        public var deadline: UInt64?
        public var artifacts: [ClaimView.ArtifactView]
        /// null while pending.
        public var assignee: String?
        /// pending, assigned, in_progress, completed, failed, cancelled or expired.
        public var state: String
        /// Not final and the head block's time has reached the deadline: only cancel and expire remain.
        public var overdue: Bool
        public var height: UInt64
        public var createdTime: UInt64
        public var updatedTime: UInt64
        /// The creating transaction.
        public var transaction: String
        /// Set once completed.
        public var result: ResultView?
        /// Set once failed (may be empty).
        public var failReason: String?

        public struct ResultView: Codable, Sendable, Equatable {
            public var text: String
            public var artifacts: [ClaimView.ArtifactView]
        }

        init(_ t: IndexedTask, headTime: UInt64) {
            id = t.id.hex; group = t.spec.group.hex; creator = t.creator.description; title = t.spec.title
            description = t.spec.description; reward = t.spec.reward.units; deadline = t.spec.deadline
            artifacts = t.spec.artifacts.map { ClaimView.ArtifactView(sha256: $0.sha256.hex, size: $0.size) }
            assignee = t.assignee?.description; state = t.state.name
            overdue = !t.state.isFinal && t.spec.deadline.map { headTime >= $0 } == true
            height = t.height; createdTime = t.createdTime; updatedTime = t.updatedTime; transaction = t.transaction.hex
            result = t.result.map { r in ResultView(text: r.text, artifacts: r.artifacts.map { ClaimView.ArtifactView(sha256: $0.sha256.hex, size: $0.size) }) }
            failReason = t.failReason
        }

        public func encode(to encoder: Encoder) throws {
            // Explicit nulls for the optional fields, as the OpenAPI document promises.
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(group, forKey: .group); try c.encode(creator, forKey: .creator)
            try c.encode(title, forKey: .title); try c.encode(description, forKey: .description); try c.encode(reward, forKey: .reward)
            try c.encode(deadline, forKey: .deadline); try c.encode(artifacts, forKey: .artifacts); try c.encode(assignee, forKey: .assignee)
            try c.encode(state, forKey: .state); try c.encode(overdue, forKey: .overdue); try c.encode(height, forKey: .height)
            try c.encode(createdTime, forKey: .createdTime); try c.encode(updatedTime, forKey: .updatedTime)
            try c.encode(transaction, forKey: .transaction); try c.encode(result, forKey: .result); try c.encode(failReason, forKey: .failReason)
        }
    }
}

extension APIRoutes {
    static let taskRouteTable: [(method: String, path: String)] = [("GET", "/api/v1/tasks"), ("GET", "/api/v1/tasks/{id}")]

    static func addTaskRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/tasks") { request, _ in
            let page = try Page(request)
            let q = request.uri.queryParameters
            var query = BlockStore.TaskQuery(after: try page.int64Cursor(), limit: page.limit)
            if let g = q["group"], !g.isEmpty {
                guard let id = Hash(hex: String(g)) else { throw APIError.badRequest("invalid_id", "group ID \"\(g)\" is not 32 hex bytes") }
                guard try Groups.group(id, state: chain.queries.state) != nil else {
                    throw APIError.notFound("group_not_found", "group \(id) does not exist")
                }
                query.group = id
            }
            if let s = q["state"], !s.isEmpty {
                guard let state = TaskState(name: String(s)) else {
                    throw APIError.badRequest("invalid_state", "state \"\(s)\" is not one of \(TaskState.allCases.map(\.name).joined(separator: ", "))")
                }
                query.state = state
            }
            if let a = q["assignee"], !a.isEmpty {
                guard let parsed = Address(String(a)) else { throw APIError.badRequest("invalid_address", "assignee \"\(a)\" is not an ag1 address") }
                query.assignee = parsed
            }
            let headTime = chain.snapshot.head.timestamp
            let rows = try chain.queries.tasks(query)
            return try json(API.ListView(items: rows.map { API.TaskView($0, headTime: headTime) },
                                         nextCursor: rows.count == page.limit ? rows.last.map { String($0.position) } : nil))
        }

        router.get("/api/v1/tasks/{id}") { _, context in
            let id = try pathID(context, "task")
            guard let t = try chain.queries.task(id: id) else { throw APIError.notFound("task_not_found", "task \(id) does not exist") }
            return try json(API.TaskView(t, headTime: chain.snapshot.head.timestamp))
        }
    }
}
