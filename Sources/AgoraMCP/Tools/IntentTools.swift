import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraState
import MCP

/// Intents for agents, end to end: post what the agent wants or offers (plain language plus
/// optional structured terms), list its own intents, list the settlements mediators proposed to
/// it (with the score parts that explain each match), accept one (escrowing what it owes), and
/// challenge an accepted one within its window. Signing tools wait for the commit and report the
/// ledger's typed failure (`not_settlement_party`, `intent_not_open`, …) when the payload fails.
enum IntentTools {
    static let all: [AgoraTool] = [post, get, mine, proposals, accept, challenge]

    static let post = AgoraTool(
        "post_intent", title: "Post intent",
        "Post an offer or a request in a group the agent is a member of: text in plain language and optional structured terms like \"asset=gpu-hours amount=10..20 price=500..800 deadline=900\" (price in base units for the whole amount, deadline a block height). Mediators match it with complementary intents and propose settlements. Returns the intent ID.",
        input: Schema.object([
            "group": Schema.hash("Group ID"),
            "kind": Schema.string("offer or request", enumeration: ["offer", "request"]),
            "text": Schema.string("What the agent wants or offers (UTF-8, at most \(Limits.maxIntentTextBytes) bytes)", maxLength: Limits.maxIntentTextBytes),
            "terms": Schema.string("Structured terms: asset=… amount=N..M price=N..M deadline=H, all optional", maxLength: 512),
            "bond": Schema.integer("Bond held while the intent is open (base units)", minimum: 0, maximum: Int64.max),
        ], required: ["group", "kind", "text"]),
        output: ToolOutput.committed(["intent": Schema.hash("New intent ID")]), effect: .spendsOrEnds
    ) { args, session in
        let group = try args.hash("group")
        let kindText = try args.string("kind", maxBytes: 16)
        guard let kind = IntentKind(name: kindText) else { throw ToolError.invalidArgument(argument: "kind", reason: "must be offer or request") }
        let text = try args.string("text", maxBytes: Limits.maxIntentTextBytes)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ToolError.invalidArgument(argument: "text", reason: "is blank")
        }
        let termsText = try args.optionalString("terms", maxBytes: 512, allowEmpty: true) ?? ""
        let terms: IntentTerms
        do { terms = try IntentTerms.parse(termsText) } catch { throw ToolError.invalidArgument(argument: "terms", reason: "\(error)") }
        let bond = try args.optionalInteger("bond", in: 0...Int64.max) ?? 0
        try args.finish(consumed: ["group", "kind", "text", "terms", "bond"])
        let content = IntentContent(group: group, kind: kind, text: text, terms: terms, bond: Amount(UInt64(bond))!)
        let (status, tx) = try await session.commit { _, _ in .postIntent(content) }
        return committed(status, extra: ["intent": .string(LedgerID.intent(author: tx.sender, nonce: tx.body.nonce).hex)])
    }

    static let get = AgoraTool(
        "get_intent", title: "Get intent",
        "One intent by ID: kind, text, terms, bond, status. verified says whether this session's light client proved the intent's state record.",
        input: Schema.object(["intent": Schema.hash("Intent ID"), "prove": VerifiedReads.proveArgument], required: ["intent"]),
        output: ToolOutput.verifiedView("Intent"), effect: .reads
    ) { args, session in
        let id = try args.hash("intent")
        let prove = try args.optionalBool("prove") ?? false
        try args.finish(consumed: ["intent", "prove"])
        let (view, verified) = try await VerifiedReads.read(session, path: "/api/v1/intents/\(id.hex)", key: IntentKeys.intent(id),
                                                            prove: prove, proof: \API.IntentView.proof,
                                                            fields: { v, value throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.intent(v, id: id, value: value) })
        return VerifiedReads.output(try value(view), verified, unproven: ProvenRecordFields.intentUnproven)
    }

    static let mine = AgoraTool(
        "list_my_intents", title: "List my intents",
        "The agent's own intents in commit order with their status (open, matched, settled, withdrawn), optionally only one status.",
        input: Schema.object([
            "status": Schema.string("Only this status", enumeration: ["open", "matched", "settled", "withdrawn"]),
            "limit": Schema.integer("Page size", minimum: 1, maximum: 500),
            "cursor": Schema.string("nextCursor of the previous page", maxLength: 128),
        ]),
        output: ToolOutput.view("IntentPage"), effect: .reads
    ) { args, session in
        guard let agent = session.agent else { throw ToolError.noIdentity }
        var extra = [("author", agent.key.address.description)]
        if let s = try args.optionalString("status", maxBytes: 16) {
            guard ["open", "matched", "settled", "withdrawn"].contains(s) else {
                throw ToolError.invalidArgument(argument: "status", reason: "must be open, matched, settled or withdrawn")
            }
            extra.append(("status", s))
        }
        let path = try Paging.query(args, base: "/api/v1/intents", extra: extra)
        try args.finish(consumed: ["status", "limit", "cursor"])
        return try value(try await session.gateway.get(path, as: API.ListView<API.IntentView>.self))
    }

    static let proposals = AgoraTool(
        "list_proposals", title: "List settlement proposals",
        "Settlements mediators proposed that the agent is a party of: intents paired, terms text, payments, the mediator's fee, deadlines, who accepted, and the matcher's score parts (kind, terms, text, total; thousandths). Default: those still awaiting acceptance.",
        input: Schema.object([
            "status": Schema.string("proposed (default), accepted, challenged, finalised, refunded, expired or all",
                                    enumeration: ["proposed", "accepted", "challenged", "finalised", "refunded", "expired", "all"]),
            "limit": Schema.integer("Page size", minimum: 1, maximum: 500),
            "cursor": Schema.string("nextCursor of the previous page", maxLength: 128),
        ]),
        output: ToolOutput.view("SettlementPage"), effect: .reads
    ) { args, session in
        guard let agent = session.agent else { throw ToolError.noIdentity }
        var extra = [("party", agent.key.address.description)]
        let s = try args.optionalString("status", maxBytes: 16) ?? "proposed"
        guard ["proposed", "accepted", "challenged", "finalised", "refunded", "expired", "all"].contains(s) else {
            throw ToolError.invalidArgument(argument: "status", reason: "must be proposed, accepted, challenged, finalised, refunded, expired or all")
        }
        if s != "all" { extra.append(("status", s)) }
        let path = try Paging.query(args, base: "/api/v1/settlements", extra: extra)
        try args.finish(consumed: ["status", "limit", "cursor"])
        return try value(try await session.gateway.get(path, as: API.ListView<API.SettlementView>.self))
    }

    static let accept = AgoraTool(
        "accept_settlement", title: "Accept settlement",
        "Accept a proposed settlement the agent is a party of. Escrows what the agent owes under it (its payments, their transfer fee and its share of the mediator fee); when every party accepted, the settlement pays out after its challenge window.",
        input: Schema.object(["settlement": Schema.hash("Settlement ID")], required: ["settlement"]),
        output: ToolOutput.committed(["settlement": Schema.hash("Settlement ID")]), effect: .spendsOrEnds
    ) { args, session in
        let id = try args.hash("settlement")
        try args.finish(consumed: ["settlement"])
        let (status, _) = try await session.commit { _, _ in .acceptSettlement(settlement: id) }
        return committed(status, extra: ["settlement": .string(id.hex)])
    }

    static let challenge = AgoraTool(
        "challenge_settlement", title: "Challenge settlement",
        "Challenge an accepted settlement before its window closes (parties and other mediators), with a reason and a bond (at least 10). The group's admins resolve it: upheld refunds the parties and slashes the mediator; rejected forfeits the bond.",
        input: Schema.object([
            "settlement": Schema.hash("Settlement ID"),
            "reason": Schema.string("Why (at most \(Limits.maxChallengeReasonBytes) bytes)", maxLength: Limits.maxChallengeReasonBytes),
            "bond": Schema.integer("Bond (base units, at least 10)", minimum: 10, maximum: Int64.max),
        ], required: ["settlement", "reason"]),
        output: ToolOutput.committed(["settlement": Schema.hash("Settlement ID")]), effect: .spendsOrEnds
    ) { args, session in
        let id = try args.hash("settlement")
        let reason = try args.string("reason", maxBytes: Limits.maxChallengeReasonBytes)
        let bond = try args.optionalInteger("bond", in: 10...Int64.max) ?? 10
        try args.finish(consumed: ["settlement", "reason", "bond"])
        let (status, _) = try await session.commit { _, _ in .challengeSettlement(settlement: id, reason: reason, bond: Amount(UInt64(bond))!) }
        return committed(status, extra: ["settlement": .string(id.hex)])
    }
}
