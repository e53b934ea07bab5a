import AgoraCore

/// The claims module: a member publishes signed text with tags, artifact references and an
/// optional parent (threads). Only members and admins publish (observers read); a reply's parent
/// must exist and belong to the same group; each claim pays the group's reward to the block
/// proposer from the group's treasury. Its author may later retract it with a reason: the claim
/// stays in history, marked (`claims/r/ID` holds the height), and the node's index leaves it out
/// of default queries and of context retrieval. State keeps a small record per claim for these
/// rules; the content stays in the transaction (which state keeps as a `TransactionOrigin`, see
/// Origins/) and the node's SQLite index serves the queries.
public enum Claims {
    static func publish(_ state: StateOverlay, id: Hash, author: Address, content: ClaimContent, context: BlockContext,
                        bank: BankParams, treasuryCredit: inout Amount) throws -> ExecutionFailure? {
        guard var group = try Groups.group(state, content.group) else { return .groupNotFound(content.group) }
        guard let role = try Groups.membership(state, content.group, author)?.role else {
            return .notGroupMember(group: content.group, address: author)
        }
        guard role.canPublish else { return .observerCannotPublish(group: content.group, address: author) }
        if let parent = content.parent {
            guard let p = try Groups.claim(state, parent) else { return .parentClaimNotFound(parent) }
            guard p.group == content.group else { return .parentClaimInOtherGroup(parent: parent, group: p.group) }
        }
        var sources: ClaimSources?
        if !content.sources.isEmpty {
            // Sources may be in any group: a claim credits what it builds on wherever it was said.
            switch try sourceAuthors(state, content.sources) {
            case let .failure(f): return f
            case let .success(authors): sources = ClaimSources(authors: authors, artifacts: content.artifacts.map(\.sha256))
            }
        }
        // No existence check of `id` here, unlike the low-volume modules: the ID hashes the
        // author with the nonce this very transaction consumes, so only a SHA-256 collision could
        // repeat it, and the read cost a random-key lookup on the busiest path (1.8% of CPU).
        try state.set(GroupKeys.claim(id), ClaimRecord(group: content.group, author: author, height: context.height).canonicalBytes)
        if let sources { try state.set(GroupKeys.sources(id), sources.canonicalBytes) }
        group.claims += 1
        let reward = group.policy.claimReward
        _ = try Groups.payout(state, &group, to: context.proposer, reward, bank: bank, treasuryCredit: &treasuryCredit)
        try Groups.setGroup(state, content.group, group)
        return nil
    }

    /// The author marks `claim` retracted. Membership is not required: an author who left the
    /// group may still withdraw what they said. A claim is retracted once.
    static func retract(_ state: StateOverlay, claim: Hash, sender: Address, height: UInt64) throws -> ExecutionFailure? {
        guard let record = try Groups.claim(state, claim) else { return .claimNotFound(claim) }
        guard record.author == sender else { return .notClaimAuthor(claim: claim, address: sender) }
        if let at = try retractedAt(state, claim) { return .claimAlreadyRetracted(claim: claim, height: at) }
        try state.set(GroupKeys.retraction(claim), height.canonicalBytes)
        return nil
    }

    /// The height `claim` was retracted at, or nil.
    static func retractedAt(_ state: StateOverlay, _ claim: Hash) throws -> UInt64? {
        guard let raw = try state.get(GroupKeys.retraction(claim)) else { return nil }
        return try Bank.decode(UInt64.self, raw, "claims/r")
    }

    public static func retractedAt(_ claim: Hash, state: StateReader) throws -> UInt64? { try retractedAt(StateOverlay(base: state), claim) }
}
