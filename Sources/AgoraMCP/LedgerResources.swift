import AgoraAPIModels
import AgoraClient
import AgoraCore
import MCP

/// Groups and threads as MCP resources: `agora://groups/{id}` (the group, its policy and
/// members) and `agora://threads/{claimId}` (every claim of the thread the claim is in).
/// `resources/list` names the first page of groups; threads are reached through the template.
enum LedgerResources {
    static let templates: [Resource.Template] = [
        .init(uriTemplate: "agora://groups/{id}", name: "group", title: "Group",
              description: "A group's policy, treasury, counts and members", mimeType: "application/json"),
        .init(uriTemplate: "agora://threads/{claimId}", name: "thread", title: "Claim thread",
              description: "The thread a claim belongs to, from its root, in commit order", mimeType: "application/json"),
    ]

    static func list(_ session: AgentSession) async throws -> [Resource] {
        let groups: API.ListView<API.GroupView>
        do { groups = try await session.gateway.get("/api/v1/groups?limit=100", as: API.ListView<API.GroupView>.self) } catch {
            throw MCPError.internalError("cannot list groups: \(error)")
        }
        return groups.items.map {
            Resource(name: $0.name, uri: "agora://groups/\($0.id)", title: $0.name,
                     description: "group with \($0.members) members and \($0.claims) claims", mimeType: "application/json")
        }
    }

    static func read(_ uri: String, _ session: AgentSession) async throws -> [Resource.Content] {
        let (kind, id) = try parse(uri)
        do {
            let result: Value
            switch kind {
            case "groups":
                let group = try await session.gateway.get("/api/v1/groups/\(id.hex)", as: API.GroupView.self)
                let members = try await session.gateway.get("/api/v1/groups/\(id.hex)/members?limit=500", as: API.ListView<API.MemberView>.self)
                result = ["group": try Value(group), "members": try Value(members.items)]
            default:
                let thread = try await session.gateway.get("/api/v1/claims/\(id.hex)/thread?limit=500", as: API.ListView<API.ClaimView>.self)
                result = ["claims": try Value(thread.items), "nextCursor": thread.nextCursor.map { .string($0) } ?? .null]
            }
            return [.text(ToolCatalog.render(result), uri: uri, mimeType: "application/json")]
        } catch let f as NodeGateway.Failure where f.isNotFound {
            throw MCPError.invalidParams("resource \(uri) does not exist")
        } catch let f as NodeGateway.Failure {
            throw MCPError.internalError("reading \(uri): \(f)")
        }
    }

    static func parse(_ uri: String) throws -> (String, Hash) {
        let prefix = "agora://"
        guard uri.utf8.count <= 200, uri.hasPrefix(prefix) else {
            throw MCPError.invalidParams("resource URI \"\(uri.prefix(80))\" is not agora://groups/{id} or agora://threads/{claimId}")
        }
        let parts = uri.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "groups" || parts[0] == "threads" else {
            throw MCPError.invalidParams("resource URI \"\(uri.prefix(80))\" is not agora://groups/{id} or agora://threads/{claimId}")
        }
        guard parts[1].utf8.count == 64, let id = Hash(hex: String(parts[1]).lowercased()) else {
            throw MCPError.invalidParams("resource URI \"\(uri.prefix(80))\": the ID is not 64 hex digits")
        }
        return (String(parts[0]), id)
    }
}
