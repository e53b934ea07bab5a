import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import AgoraStorage
import Hummingbird

/// The tasks module as a client reads it: tasks filtered by group, state and assignee in creation
/// order, and one task with its specification, where it stands and its result. Everything comes
/// from the SQLite task index written with each block (the text lives in the transactions it
/// points to); `overdue` is computed against the head block's time.
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
                query.assignee = try APIError.address(a, field: "assignee")
            }
            let headTime = chain.snapshot.head.timestamp
            let rows = try chain.queries.tasks(query)
            return try json(API.ListView(items: rows.map { API.TaskView($0, headTime: headTime) },
                                         nextCursor: rows.count == page.limit ? rows.last.map { String($0.position) } : nil))
        }

        router.get("/api/v1/tasks/{id}") { request, context in
            let id = try pathID(context, "task")
            let prove = try wantsProof(request)
            guard let t = try chain.queries.task(id: id) else { throw APIError.notFound("task_not_found", "task \(id) does not exist") }
            var view = API.TaskView(t, headTime: chain.snapshot.head.timestamp)
            if prove { view.proof = try stateProof(deps, TaskKeys.task(id)) }
            return try json(view)
        }
    }
}
