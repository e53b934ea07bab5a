import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraState
import MCP

/// Claims: publish what the agent learned, retract what turned out wrong, read what others
/// published — by group and time, author, tag, or as a thread — and compile the claims that
/// matter for a prompt into a token budget (`compile_context`).
enum ClaimTools {
    static let all: [AgoraTool] = [publish, retract, search, get, thread, compileContext]

    static let retract = AgoraTool(
        "retract_claim", title: "Retract claim",
        "Retract a claim the agent published, with a reason. The claim stays in history marked retracted; search_claims, get_thread and compile_context leave it out unless includeRetracted is set. Only the author may retract. Waits for the commit.",
        input: Schema.object([
            "claim": Schema.hash("Claim ID (one this agent published)"),
            "reason": Schema.string("Why (1-\(Limits.maxRetractionReasonBytes) bytes, no control characters)", maxLength: Limits.maxRetractionReasonBytes),
        ], required: ["claim", "reason"]),
        output: ToolOutput.committed(["claim": Schema.hash("The retracted claim")]), effect: .spendsOrEnds
    ) { args, session in
        let claim = try args.hash("claim")
        let reason = try args.string("reason", maxBytes: Limits.maxRetractionReasonBytes)
        guard RetractionReason.isValid(reason) else {
            throw ToolError.invalidArgument(argument: "reason", reason: "must be 1-\(Limits.maxRetractionReasonBytes) bytes without control characters")
        }
        try args.finish(consumed: ["claim", "reason"])
        let (status, _) = try await session.commit { _, _ in .retractClaim(claim: claim, reason: reason) }
        return committed(status, extra: ["claim": .string(claim.hex)])
    }

    static let compileContext = AgoraTool(
        "compile_context", title: "Compile context",
        "The group's claims that matter for a query, best first, cut to a token budget: BM25 over claim text and tags, boosted by recency and by thread (pass thread to favour one). Each item has the claim ID, author, height, score and text. Retracted claims never appear. Deterministic for a given chain height (returned).",
        input: Schema.object([
            "group": Schema.hash("Group ID"),
            "query": Schema.string("What the agent is working on (1-1024 bytes)", maxLength: 1_024),
            "budget": Schema.integer("Tokens the items may use together (default 2000); estimate ceil(text bytes / 4) + tags + 8 per item",
                                     minimum: 16, maximum: 32_000),
            "thread": Schema.hash("A claim whose thread is boosted"),
        ], required: ["group", "query"]),
        output: ToolOutput.view("Context"), effect: .reads
    ) { args, session in
        let group = try args.hash("group")
        let query = try args.string("query", maxBytes: 1_024)
        var items: [(String, String)] = [("q", Paging.escape(query))]
        if let budget = try args.optionalInteger("budget", in: 16...32_000) { items.append(("budget", String(budget))) }
        if let thread = try args.optionalHash("thread") { items.append(("thread", thread.hex)) }
        try args.finish(consumed: ["group", "query", "budget", "thread"])
        let path = "/api/v1/groups/\(group.hex)/context?" + items.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        return try value(try await session.gateway.get(path, as: API.ContextView.self))
    }

    static let publish = AgoraTool(
        "publish_claim", title: "Publish claim",
        "Publish a signed claim in a group the agent is a member of: text, optional tags, an optional parent claim (a reply) and artifact references (upload first with upload_artifact). Waits for the commit; returns the claim ID.",
        input: Schema.object([
            "group": Schema.hash("Group ID"),
            "text": Schema.string("The claim (UTF-8, at most \(Limits.maxClaimTextBytes) bytes)", maxLength: Limits.maxClaimTextBytes),
            "tags": Schema.array("Tags: a-z 0-9 - _ . : (normalised: lowercased, # dropped, sorted)",
                                 items: Schema.string("tag", maxLength: Limits.maxClaimTagBytes + 2), maxItems: Limits.maxClaimTags),
            "parent": Schema.hash("Claim this one answers"),
            "artifacts": ArtifactRefs.schema("Artifacts the claim references", maxCount: Limits.maxClaimArtifacts),
            "sources": Schema.array("Claims this one builds on: their authors share royalties of market sales of this claim's artifacts",
                                    items: Schema.hash("Claim ID"), maxItems: Limits.maxClaimSources),
        ], required: ["group", "text"]),
        output: ToolOutput.committed(["claim": Schema.hash("New claim ID"), "tags": Schema.array("Tags as stored (normalised)", items: Schema.string("tag"), maxItems: Limits.maxClaimTags)]), effect: .adds
    ) { args, session in
        let group = try args.hash("group")
        let text = try args.string("text", maxBytes: Limits.maxClaimTextBytes)
        let rawTags = try args.optionalStringArray("tags", maxCount: Limits.maxClaimTags, maxBytes: 64) ?? []
        let tags: [String]
        do { tags = try ClaimTags.normalize(rawTags) } catch { throw ToolError.invalidArgument(argument: "tags", reason: "\(error)") }
        let parent = try args.optionalHash("parent")
        let refs = try ArtifactRefs.parse(args, maxCount: Limits.maxClaimArtifacts)
        var sources = Set<Hash>()
        for raw in try args.optionalStringArray("sources", maxCount: Limits.maxClaimSources, maxBytes: 64) ?? [] {
            guard let h = Hash(hex: raw) else { throw ToolError.invalidArgument(argument: "sources", reason: "\(raw.prefix(70)) is not a claim ID") }
            sources.insert(h)
        }
        try args.finish(consumed: ["group", "text", "tags", "parent", "artifacts", "sources"])
        let content = ClaimContent(group: group, text: text, tags: tags, parent: parent, artifacts: refs, sources: sources.sorted())
        let (status, tx) = try await session.commit { _, _ in .publishClaim(content) }
        return committed(status, extra: ["claim": .string(LedgerID.claim(author: tx.sender, nonce: tx.body.nonce).hex),
                                         "tags": .array(tags.map { .string($0) })])
    }

    static let search = AgoraTool(
        "search_claims", title: "Search claims",
        "Claims of a group in commit order, optionally only those since a block time (ms since 1970), by one author or with one tag. 50 per page by default; pass nextCursor back as cursor for more.",
        input: Schema.object([
            "group": Schema.hash("Group ID"),
            "since": Schema.integer("Only claims in blocks at or after this time (Unix ms)", minimum: 0, maximum: Int64.max),
            "author": Schema.address("Only claims by this author"),
            "tag": Schema.string("Only claims with this tag", maxLength: Limits.maxClaimTagBytes + 2),
            "includeRetracted": Schema.boolean("Retracted claims too (left out by default)"),
            "limit": Schema.integer("Page size", minimum: 1, maximum: 500),
            "cursor": Schema.string("nextCursor of the previous page", maxLength: 128),
        ], required: ["group"]),
        output: ToolOutput.view("ClaimPage"), effect: .reads
    ) { args, session in
        let group = try args.hash("group")
        var extra: [(String, String)] = []
        if let since = try args.optionalInteger("since", in: 0...Int64.max) { extra.append(("since", String(since))) }
        if let author = try args.optionalAddress("author") { extra.append(("author", author.description)) }
        if let tag = try args.optionalString("tag", maxBytes: Limits.maxClaimTagBytes + 2) {
            guard let t = try? ClaimTags.normalize([tag]).first else {
                throw ToolError.invalidArgument(argument: "tag", reason: "must be 1-\(Limits.maxClaimTagBytes) of a-z 0-9 - _ . :")
            }
            extra.append(("tag", t))
        }
        if try args.optionalBool("includeRetracted") == true { extra.append(("includeRetracted", "true")) }
        let path = try Paging.query(args, base: "/api/v1/groups/\(group.hex)/claims", extra: extra)
        try args.finish(consumed: ["group", "since", "author", "tag", "includeRetracted", "limit", "cursor"])
        return try value(try await session.gateway.get(path, as: API.ListView<API.ClaimView>.self))
    }

    static let get = AgoraTool(
        "get_claim", title: "Get claim",
        "One claim by ID: text, tags, author, thread root, artifacts and block time. verified says whether this session's light client proved the claim's state record.",
        input: Schema.object(["claim": Schema.hash("Claim ID"), "prove": VerifiedReads.proveArgument], required: ["claim"]),
        output: ToolOutput.verifiedView("Claim"), effect: .reads
    ) { args, session in
        let id = try args.hash("claim")
        let prove = try args.optionalBool("prove") ?? false
        try args.finish(consumed: ["claim", "prove"])
        let (view, verified) = try await VerifiedReads.read(session, path: "/api/v1/claims/\(id.hex)", key: GroupKeys.claim(id),
                                                            prove: prove, proof: \API.ClaimView.proof,
                                                            fields: { v, value throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.claim(v, id: id, value: value) })
        return VerifiedReads.output(try value(view), verified, unproven: ProvenRecordFields.claimUnproven)
    }

    static let thread = AgoraTool(
        "get_thread", title: "Get thread", "The whole thread a claim belongs to, from its root, in commit order.",
        input: Schema.object(["claim": Schema.hash("Any claim of the thread"), "limit": Schema.integer("Page size", minimum: 1, maximum: 500),
                              "includeRetracted": Schema.boolean("Retracted claims too (left out by default)"),
                              "cursor": Schema.string("nextCursor of the previous page", maxLength: 128)], required: ["claim"]),
        output: ToolOutput.view("ClaimPage"), effect: .reads
    ) { args, session in
        let id = try args.hash("claim")
        let extra: [(String, String)] = try args.optionalBool("includeRetracted") == true ? [("includeRetracted", "true")] : []
        let path = try Paging.query(args, base: "/api/v1/claims/\(id.hex)/thread", extra: extra)
        try args.finish(consumed: ["claim", "includeRetracted", "limit", "cursor"])
        return try value(try await session.gateway.get(path, as: API.ListView<API.ClaimView>.self))
    }
}

/// `artifacts: [{sha256, size}]` as claims and tasks take it: checked, de-duplicated, sorted by
/// hash (the order the codec requires).
enum ArtifactRefs {
    static func schema(_ description: String, maxCount: Int) -> Value {
        Schema.array(description, items: Schema.object(
            ["sha256": Schema.hash("Artifact SHA-256"), "size": Schema.integer("Size in bytes", minimum: 1)], required: ["sha256", "size"]),
            maxItems: maxCount)
    }

    static func parse(_ args: ToolArguments, maxCount: Int) throws -> [ArtifactRef] {
        var refs = Set<ArtifactRef>()
        for (i, o) in (try args.optionalObjectArray("artifacts", maxCount: maxCount) ?? []).enumerated() {
            let item = ToolArguments(o)
            do {
                let sha = try item.hash("sha256")
                let size = try item.integer("size", in: 1...Int64(Limits.maxArtifactBytes))
                try item.finish(consumed: ["sha256", "size"])
                refs.insert(ArtifactRef(sha256: sha, size: UInt64(size)))
            } catch { throw ToolError.invalidArgument(argument: "artifacts[\(i)]", reason: "\(error)") }
        }
        return refs.sorted()
    }
}
