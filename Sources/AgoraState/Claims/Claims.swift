import AgoraCore

/// The claims module: a member publishes signed text with tags, artifact references and an
/// optional parent (threads). Only members and admins publish (observers read); a reply's parent
/// must exist and belong to the same group; each claim pays the group's reward to the block
/// proposer from the group's treasury. State keeps a small record per claim for these rules; the
/// content stays in the transaction and the node's SQLite index serves the queries.
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
        // No existence check of `id` here, unlike the low-volume modules: the ID hashes the
        // author with the nonce this very transaction consumes, so only a SHA-256 collision could
        // repeat it, and the read cost a random-key lookup on the busiest path (1.8% of CPU).
        try state.set(GroupKeys.claim(id), ClaimRecord(group: content.group, author: author, height: context.height).canonicalBytes)
        group.claims += 1
        let reward = group.policy.claimReward
        _ = try Groups.payout(state, &group, to: context.proposer, reward, bank: bank, treasuryCredit: &treasuryCredit)
        try Groups.setGroup(state, content.group, group)
        return nil
    }
}
