import AgoraAPIModels
import AgoraClient
import AgoraCore
import Foundation
import MCP

/// The ledger as MCP resources:
/// - `agora://groups/{id}`: the group, its policy and members;
/// - `agora://threads/{claimId}`: every claim of the thread the claim is in;
/// - `agora://groups/{id}/claims`: the group's claim count at the node's height; with
///   `?afterHeight=N`, the claims committed after height N (a reader's last seen height);
/// - `agora://agents/{address}/proposals`: settlements proposed to that party, awaiting acceptance.
/// The last two are the ones a client can subscribe to (`ResourceWatch`). `resources/list` names
/// the first page of groups; the rest are reached through the templates.
enum LedgerResources {
    static let templates: [Resource.Template] = [
        .init(uriTemplate: "agora://groups/{id}", name: "group", title: "Group",
              description: "A group's policy, treasury, counts and members", mimeType: "application/json"),
        .init(uriTemplate: "agora://threads/{claimId}", name: "thread", title: "Claim thread",
              description: "The thread a claim belongs to, from its root, in commit order", mimeType: "application/json"),
        .init(uriTemplate: "agora://groups/{id}/claims{?afterHeight}", name: "group-claims", title: "New claims of a group",
              description: "Subscribe to learn of a group's new claims; read with ?afterHeight=N for the claims after height N",
              mimeType: "application/json"),
        .init(uriTemplate: "agora://agents/{address}/proposals", name: "proposals", title: "Settlements proposed to an agent",
              description: "Subscribe to learn of new settlement proposals to an address; read for those awaiting acceptance",
              mimeType: "application/json"),
    ]

    /// A parsed resource URI.
    enum Target: Equatable, Sendable {
        case group(Hash)
        case thread(Hash)
        case groupClaims(Hash, afterHeight: UInt64?)
        case proposals(Address)
    }

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
        let target = try parse(uri)
        do {
            return [.text(ToolCatalog.render(try await value(of: target, session)), uri: uri, mimeType: "application/json")]
        } catch let f as NodeGateway.Failure where f.isNotFound {
            throw MCPError.invalidParams("resource \(uri.prefix(200)) does not exist")
        } catch let f as NodeGateway.Failure {
            throw MCPError.internalError("reading \(uri.prefix(200)): \(f)")
        }
    }

    static func value(of target: Target, _ session: AgentSession) async throws -> Value {
        let gateway = session.gateway
        switch target {
        case let .group(id):
            let group = try await gateway.get("/api/v1/groups/\(id.hex)", as: API.GroupView.self)
            let members = try await gateway.get("/api/v1/groups/\(id.hex)/members?limit=500", as: API.ListView<API.MemberView>.self)
            return ["group": try Value(group), "members": try Value(members.items)]
        case let .thread(id):
            let thread = try await gateway.get("/api/v1/claims/\(id.hex)/thread?limit=500", as: API.ListView<API.ClaimView>.self)
            return ["claims": try Value(thread.items), "nextCursor": thread.nextCursor.map { .string($0) } ?? .null]
        case let .groupClaims(id, after):
            let height = try await session.status().height
            let group = try await gateway.get("/api/v1/groups/\(id.hex)", as: API.GroupView.self)
            var out: [String: Value] = ["group": .string(id.hex), "claimCount": .int(Int(group.claims)), "height": .int(Int(height))]
            if let after {
                let page = try await gateway.get("/api/v1/groups/\(id.hex)/claims?afterHeight=\(after)&limit=100", as: API.ListView<API.ClaimView>.self)
                out["claims"] = try Value(page.items)
                out["nextCursor"] = page.nextCursor.map { .string($0) } ?? .null
            }
            return .object(out)
        case let .proposals(party):
            let page = try await gateway.get("/api/v1/settlements?party=\(party)&status=proposed&limit=100", as: API.ListView<API.SettlementView>.self)
            return ["party": .string(party.description), "proposals": try Value(page.items), "nextCursor": page.nextCursor.map { .string($0) } ?? .null]
        }
    }

    static func parse(_ uri: String) throws -> Target {
        let prefix = "agora://"
        let shapes = "agora://groups/{id}, agora://groups/{id}/claims, agora://threads/{claimId} or agora://agents/{address}/proposals"
        guard uri.utf8.count <= 300, uri.hasPrefix(prefix) else { throw MCPError.invalidParams("resource URI \"\(uri.prefix(80))\" is not \(shapes)") }
        let pathAndQuery = uri.dropFirst(prefix.count).split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let parts = pathAndQuery[0].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let query = pathAndQuery.count > 1 ? String(pathAndQuery[1]) : nil
        func hash(_ s: String) throws -> Hash {
            guard s.utf8.count == 64, let h = Hash(hex: s.lowercased()) else {
                throw MCPError.invalidParams("resource URI \"\(uri.prefix(80))\": the ID is not 64 hex digits")
            }
            return h
        }
        switch (parts.count, parts.first, query) {
        case (2, "groups", nil): return .group(try hash(parts[1]))
        case (2, "threads", nil): return .thread(try hash(parts[1]))
        case (3, "groups", _) where parts[2] == "claims":
            var after: UInt64?
            if let query {
                guard query.hasPrefix("afterHeight="), let n = UInt64(query.dropFirst("afterHeight=".count)), n < UInt64(Int64.max) else {
                    throw MCPError.invalidParams("resource URI \"\(uri.prefix(80))\": the only query is afterHeight=N")
                }
                after = n
            }
            return .groupClaims(try hash(parts[1]), afterHeight: after)
        case (3, "agents", nil) where parts[2] == "proposals":
            guard let address = try? Address.parse(parts[1]) else {
                throw MCPError.invalidParams("resource URI \"\(uri.prefix(80))\": \"\(parts[1].prefix(64))\" is not an address")
            }
            return .proposals(address)
        default:
            throw MCPError.invalidParams("resource URI \"\(uri.prefix(80))\" is not \(shapes)")
        }
    }
}
