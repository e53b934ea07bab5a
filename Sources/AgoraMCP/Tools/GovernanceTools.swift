import AgoraAPIModels
import AgoraCore
import MCP

/// Governance (docs/governance.md): read the proposals, one with its votes and tally, and vote.
/// Only an agent whose key is a bonded validator of the current set may vote; anyone else gets
/// the chain's failure code back (`voter_not_bonded`), like a late vote (`proposal_wrong_status`).
enum GovernanceTools {
    static let all: [AgoraTool] = [list, get, vote]
    static let options = VoteOption.allCases.map(\.name)

    static let list = AgoraTool(
        "list_gov_proposals", title: "List governance proposals", "Governance proposals, newest first: kind, status, deposits, voting period and the final tally; 50 per page by default.",
        input: Schema.object([
            "limit": Schema.integer("Page size", minimum: 1, maximum: 500),
            "cursor": Schema.string("nextCursor of the previous page", maxLength: 32),
        ]),
        output: ToolOutput.view("ProposalPage"), effect: .reads
    ) { args, session in
        let path = try Paging.query(args, base: "/api/v1/gov/proposals", extra: [])
        try args.finish(consumed: ["limit", "cursor"])
        return try value(try await session.gateway.get(path, as: API.ListView<API.ProposalView>.self))
    }

    static let get = AgoraTool(
        "get_gov_proposal", title: "Get governance proposal", "One governance proposal: content, status, deposits, every vote, the tally and, if it passed but could not execute, why.",
        input: Schema.object(["proposal": Schema.integer("Proposal ID", minimum: 1, maximum: Int64.max)], required: ["proposal"]),
        output: ToolOutput.view("Proposal"), effect: .reads
    ) { args, session in
        let id = try args.integer("proposal", in: 1...Int64.max)
        try args.finish(consumed: ["proposal"])
        return try value(try await session.gateway.get("/api/v1/gov/proposals/\(id)", as: API.ProposalView.self))
    }

    static let vote = AgoraTool(
        "vote_gov_proposal", title: "Vote on a governance proposal",
        "Cast or change the agent's vote on a proposal in its voting period: yes, no, abstain or no_with_veto. Only bonded validators vote; the vote weighs the validator's bond.",
        input: Schema.object([
            "proposal": Schema.integer("Proposal ID", minimum: 1, maximum: Int64.max),
            "option": Schema.string("The vote", enumeration: options),
        ], required: ["proposal", "option"]),
        output: ToolOutput.committed(["proposal": Schema.integer("Proposal ID"), "option": Schema.string("The vote cast")]),
        effect: .addsIdempotently
    ) { args, session in
        let id = UInt64(try args.integer("proposal", in: 1...Int64.max))
        let text = try args.string("option", maxBytes: 16)
        guard let option = VoteOption(name: text) else {
            throw ToolError.invalidArgument(argument: "option", reason: "must be one of \(options.joined(separator: ", "))")
        }
        try args.finish(consumed: ["proposal", "option"])
        let (status, _) = try await session.commit { _, _ in .voteProposal(proposal: id, option: option) }
        return committed(status, extra: ["proposal": .int(Int(id)), "option": .string(option.name)])
    }
}
