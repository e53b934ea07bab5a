import AgoraAPIModels
import AgoraCore
import Foundation
import MCP

/// Groups: list and read them, create one, manage members. Membership rules are the chain's;
/// a refused step comes back as the chain's failure code (`not_group_admin`, …).
enum GroupTools {
    static let all: [AgoraTool] = [listGroups, getGroup, createGroup, addMember]

    static let listGroups = AgoraTool(
        "list_groups", title: "List groups", "Groups on the chain, 50 per page by default; pass nextCursor back as cursor for more.",
        input: Schema.object(["limit": Schema.integer("Page size", minimum: 1, maximum: 500),
                              "cursor": Schema.string("nextCursor of the previous page", maxLength: 128)]),
        output: ToolOutput.view("GroupPage"), effect: .reads
    ) { args, session in
        let path = try Paging.query(args, base: "/api/v1/groups")
        try args.finish(consumed: ["limit", "cursor"])
        return try value(try await session.gateway.get(path, as: API.ListView<API.GroupView>.self))
    }

    static let getGroup = AgoraTool(
        "get_group", title: "Get group", "A group's policy, treasury and counts, with its first 100 members and their roles.",
        input: Schema.object(["group": Schema.hash("Group ID")], required: ["group"]), output: ToolOutput.object(["group": Schema.view("Group"), "members": Schema.array("First 100 members", items: Schema.view("Member"), maxItems: 100)], required: ["group", "members"]), effect: .reads
    ) { args, session in
        let id = try args.hash("group")
        try args.finish(consumed: ["group"])
        let group = try await session.gateway.get("/api/v1/groups/\(id.hex)", as: API.GroupView.self)
        let members = try await session.gateway.get("/api/v1/groups/\(id.hex)/members?limit=100", as: API.ListView<API.MemberView>.self)
        return ["group": try value(group), "members": try value(members.items)]
    }

    static let createGroup = AgoraTool(
        "create_group", title: "Create group", "Create a group with the session's agent as its only admin. Returns the group ID.",
        input: Schema.object(["name": Schema.string("Group name", maxLength: Limits.maxGroupNameBytes)], required: ["name"]),
        output: ToolOutput.committed(["group": Schema.hash("New group ID")]), effect: .adds
    ) { args, session in
        let name = try args.string("name", maxBytes: Limits.maxGroupNameBytes)
        guard GroupName.isValid(name) else { throw ToolError.invalidArgument(argument: "name", reason: "must not hold control characters") }
        try args.finish(consumed: ["name"])
        let (status, tx) = try await session.commit { _, _ in .createGroup(name: name, policy: .none) }
        return committed(status, extra: ["group": .string(LedgerID.group(creator: tx.sender, nonce: tx.body.nonce).hex)])
    }

    static let addMember = AgoraTool(
        "add_group_member", title: "Add group member", "Admins only: add an address to a group as admin, member or observer.",
        input: Schema.object(["group": Schema.hash("Group ID"), "member": Schema.address("New member"),
                              "role": Schema.string("Role", enumeration: ["admin", "member", "observer"])],
                             required: ["group", "member", "role"]),
        output: ToolOutput.committed(["group": Schema.hash("Group ID"), "member": Schema.address("Member"), "role": Schema.string("Role", enumeration: ["admin", "member", "observer"])]), effect: .adds
    ) { args, session in
        let group = try args.hash("group")
        let member = try args.address("member")
        let roleName = try args.string("role", maxBytes: 16)
        guard let role = GroupRole(name: roleName) else { throw ToolError.invalidArgument(argument: "role", reason: "must be admin, member or observer") }
        try args.finish(consumed: ["group", "member", "role"])
        let (status, _) = try await session.commit { _, _ in .addGroupMember(group: group, member: member, role: role) }
        return committed(status, extra: ["group": .string(group.hex), "member": .string(member.description), "role": .string(role.name)])
    }
}

/// `limit` and `cursor` as every list endpoint takes them.
enum Paging {
    /// Free text as a query parameter value: everything but unreserved characters percent-encoded.
    static func escape(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func query(_ args: ToolArguments, base: String, extra: [(String, String)] = []) throws -> String {
        var items = extra
        if let limit = try args.optionalInteger("limit", in: 1...500) { items.append(("limit", String(limit))) }
        if let cursor = try args.optionalString("cursor", maxBytes: 128) {
            guard cursor.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "&") && $0 != UInt8(ascii: "#") }) else {
                throw ToolError.invalidArgument(argument: "cursor", reason: "is not one a list returned")
            }
            items.append(("cursor", cursor))
        }
        guard !items.isEmpty else { return base }
        return base + "?" + items.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }
}
