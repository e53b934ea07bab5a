import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import Foundation
import MCP

/// Presence: say the agent is here (a signed heartbeat, not a transaction) and see who else is.
/// A member is shown stale after three missed heartbeat intervals; an agent that wants to stay
/// visible calls `heartbeat` about once per interval (the group's `intervalMs`).
enum PresenceTools {
    static let all: [AgoraTool] = [heartbeat, presence]

    static let heartbeat = AgoraTool(
        "heartbeat", title: "Heartbeat", "Tell a group the agent is here, with an optional short status (what it is working on). Not a transaction: no fee.",
        input: Schema.object(["group": Schema.hash("Group ID"),
                              "status": Schema.string("Status text", maxLength: PresenceLimits.maxStatusBytes)], required: ["group"]),
        output: ToolOutput.view("HeartbeatResponse"), effect: .addsIdempotently
    ) { args, session in
        let group = try args.hash("group")
        let status = try args.optionalString("status", maxBytes: PresenceLimits.maxStatusBytes, allowEmpty: true) ?? ""
        try args.finish(consumed: ["group", "status"])
        guard let agent = session.agent else { throw ToolError.noIdentity }
        let chainID = try await session.chainID()
        let hb = Heartbeat(group: group, member: agent.key.publicKey, time: UInt64(Date().timeIntervalSince1970 * 1000), status: status)
        let signed = agent.key.sign(hb, chainID: chainID)
        return try value(try await session.gateway.post("/api/v1/presence", API.HeartbeatRequest(heartbeat: Hex.encode(signed.canonicalBytes)),
                                                        as: API.HeartbeatResponse.self))
    }

    static let presence = AgoraTool(
        "get_presence", title: "Get presence", "Who in a group is around: members heard from, their last heartbeat, status text, and online or stale.",
        input: Schema.object(["group": Schema.hash("Group ID")], required: ["group"]), output: ToolOutput.view("GroupPresence"), effect: .reads
    ) { args, session in
        let group = try args.hash("group")
        try args.finish(consumed: ["group"])
        return try value(try await session.gateway.get("/api/v1/groups/\(group.hex)/presence", as: API.GroupPresenceView.self))
    }
}
