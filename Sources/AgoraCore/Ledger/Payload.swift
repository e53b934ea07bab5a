/// What a transaction asks the ledger to do: one case per module operation. The tag byte is
/// part of the protocol; new modules append cases with new tags and never reuse one.
public enum Payload: Hashable, Sendable, CanonicalCodable {
    /// bank: move `amount` to `to`; the sender also pays the chain's transfer fee in basis points.
    case transfer(to: Address, amount: Amount, memo: String)
    /// bank: a new account asks the faucet for its one-time grant (when the chain enables it).
    case faucet
    /// staking, admin only: set `publicKey`'s voting power from height H+2; 0 removes it.
    case validatorUpdate(publicKey: PublicKey, power: UInt64)
    /// staking: move `amount` of the sender's balance into the bond of the sender's key.
    case bond(amount: Amount)
    /// staking: move `amount` of the sender key's bond back to its balance.
    case unbond(amount: Amount)
    /// staking: a validator hands its power and bond to `newKey` from height H+2; `proof` is
    /// `newKey`'s signature over `KeyRotation.message(chainID:oldKey:)`.
    case rotateValidatorKey(newKey: PublicKey, proof: Signature)
    /// staking: proof of a double sign; slashes and removes the offender. Fee must be zero.
    case evidence(DuplicateVoteEvidence)
    /// groups: a new group with the sender as its first admin; its ID is
    /// `LedgerID.group(creator:nonce:)`.
    case createGroup(name: String, policy: GroupPolicy)
    /// groups, admin only: adds `member` with `role`; a first-time member gets the group faucet.
    case addGroupMember(group: Hash, member: Address, role: GroupRole)
    /// groups, admin only: removes `member` (never the last admin).
    case removeGroupMember(group: Hash, member: Address)
    /// groups, admin only: changes a member's role (never demotes the last admin).
    case setGroupRole(group: Hash, member: Address, role: GroupRole)
    /// groups, admin only: replaces the group's policy.
    case updateGroupPolicy(group: Hash, policy: GroupPolicy)
    /// groups: moves `amount` of the sender's balance into the group's treasury (anyone may fund).
    case fundGroup(group: Hash, amount: Amount)
    /// claims, members and admins only: publishes a claim; its ID is `LedgerID.claim(author:nonce:)`.
    case publishClaim(ClaimContent)
    /// claims, the author only: marks a claim retracted with a reason (1…`Limits.maxRetractionReasonBytes`
    /// bytes). The claim stays in history; default queries and context retrieval leave it out.
    case retractClaim(claim: Hash, reason: String)
    /// tasks, members and admins only: a task in a group, its reward escrowed from the sender;
    /// its ID is `LedgerID.task(creator:nonce:)`. See docs/tasks.md for every step's rules.
    case createTask(TaskSpec)
    /// tasks: the creator or a group admin assigns a pending task to a member, or a member takes
    /// it (`assignee` = the sender).
    case assignTask(task: Hash, assignee: Address)
    /// tasks, assignee only: assigned → in_progress.
    case startTask(task: Hash)
    /// tasks, assignee only: in_progress → completed; pays the escrowed reward to the assignee.
    case completeTask(task: Hash, result: TaskResult)
    /// tasks, assignee only: in_progress → failed; refunds the escrow to the creator.
    case failTask(task: Hash, reason: String)
    /// tasks, creator or group admin: a non-final task → cancelled; refunds the escrow.
    case cancelTask(task: Hash)
    /// tasks, anyone, once block time reaches the deadline: a non-final task → expired; refunds.
    case expireTask(task: Hash)
    /// market: an offer of an encrypted artifact; locks `terms.bond` from the seller's balance.
    /// Its ID is `LedgerID.offer(seller:nonce:)`.
    case createOffer(OfferTerms)
    /// market, seller only: closes the offer and returns what is left of its bond (no purchase
    /// may be open).
    case cancelOffer(offer: Hash)
    /// market: escrows the offer's price with a fresh one-time X25519 public key of the buyer.
    /// Its ID is `LedgerID.purchase(buyer:nonce:)`.
    case buyOffer(offer: Hash, buyerKey: Bytes32)
    /// market, seller only: the content key sealed to the purchase's buyer key (HPKE).
    case deliverKey(purchase: Hash, sealed: SealedContentKey)
    /// market, buyer only: reveals the purchase's one-time private key so that the chain opens
    /// the delivery and checks it against the offer's key commitment.
    case disputePurchase(purchase: Hash, buyerSecret: Bytes32)
    /// intents, members only: posts an offer or request; its ID is `LedgerID.intent(author:nonce:)`.
    case postIntent(IntentContent)
    /// intents, the author only: withdraws an open intent and returns its bond.
    case withdrawIntent(intent: Hash)
    /// intents: registers the sender as a mediator (or tops up its stake and sets its fee rate).
    case registerMediator(stake: Amount, feeBps: UInt16)
    /// intents, registered mediators: proposes a settlement; its ID is `LedgerID.settlement(mediator:nonce:)`.
    case proposeSettlement(SettlementProposal)
    /// intents, a party: accepts a settlement and escrows what it owes under it.
    case acceptSettlement(settlement: Hash)
    /// intents, a party or another mediator: challenges an accepted settlement within its window.
    case challengeSettlement(settlement: Hash, reason: String, bond: Amount)
    /// intents, admins of the settlement's group: resolves a challenge.
    case resolveChallenge(settlement: Hash, upheld: Bool)
    /// governance: a proposal with its first deposit, escrowed from the sender; its ID is the
    /// chain's next proposal number. Refused unless the chain's genesis enabled governance.
    case submitProposal(content: ProposalContent, deposit: Amount)
    /// governance: adds to a proposal's deposit while it is in its deposit period.
    case depositProposal(proposal: UInt64, amount: Amount)
    /// governance, bonded validators only: casts or changes the sender key's vote.
    case voteProposal(proposal: UInt64, option: VoteOption)

    public enum Tag: UInt8, Sendable {
        case transfer = 1
        case faucet = 2
        case validatorUpdate = 3
        case bond = 4
        case unbond = 5
        case rotateValidatorKey = 6
        case evidence = 7
        case createGroup = 8
        case addGroupMember = 9
        case removeGroupMember = 10
        case setGroupRole = 11
        case updateGroupPolicy = 12
        case fundGroup = 13
        case publishClaim = 14
        case createTask = 21
        case assignTask = 22
        case startTask = 23
        case completeTask = 24
        case failTask = 25
        case cancelTask = 26
        case expireTask = 27
        case createOffer = 15
        case cancelOffer = 16
        case buyOffer = 17
        case deliverKey = 18
        case disputePurchase = 19
        // 20 is reserved for the market (settlement runs at the end of each block, not by payload).
        // 15–27 belong to the market and tasks modules.
        case postIntent = 28
        case withdrawIntent = 29
        case registerMediator = 30
        case proposeSettlement = 31
        case acceptSettlement = 32
        case challengeSettlement = 33
        case resolveChallenge = 34
        // 35–39 are reserved for intents.
        case retractClaim = 40
        /// `publishClaim` of a claim that names sources (royalty parents).
        case publishClaimWithSources = 41
        /// `createOffer` of an offer that pays a royalty to a claim's sources.
        case createOfferWithRoyalty = 42
        // 48–55 belong to governance.
        case submitProposal = 48
        case depositProposal = 49
        case voteProposal = 50
    }

    public var tag: Tag {
        switch self {
        case .transfer: return .transfer
        case .faucet: return .faucet
        case .validatorUpdate: return .validatorUpdate
        case .bond: return .bond
        case .unbond: return .unbond
        case .rotateValidatorKey: return .rotateValidatorKey
        case .evidence: return .evidence
        case .createGroup: return .createGroup
        case .addGroupMember: return .addGroupMember
        case .removeGroupMember: return .removeGroupMember
        case .setGroupRole: return .setGroupRole
        case .updateGroupPolicy: return .updateGroupPolicy
        case .fundGroup: return .fundGroup
        case let .publishClaim(c): return c.sources.isEmpty ? .publishClaim : .publishClaimWithSources
        case .retractClaim: return .retractClaim
        case .createTask: return .createTask
        case .assignTask: return .assignTask
        case .startTask: return .startTask
        case .completeTask: return .completeTask
        case .failTask: return .failTask
        case .cancelTask: return .cancelTask
        case .expireTask: return .expireTask
        case let .createOffer(t): return t.royalty == nil ? .createOffer : .createOfferWithRoyalty
        case .cancelOffer: return .cancelOffer
        case .buyOffer: return .buyOffer
        case .deliverKey: return .deliverKey
        case .disputePurchase: return .disputePurchase
        case .postIntent: return .postIntent
        case .withdrawIntent: return .withdrawIntent
        case .registerMediator: return .registerMediator
        case .proposeSettlement: return .proposeSettlement
        case .acceptSettlement: return .acceptSettlement
        case .challengeSettlement: return .challengeSettlement
        case .resolveChallenge: return .resolveChallenge
        case .submitProposal: return .submitProposal
        case .depositProposal: return .depositProposal
        case .voteProposal: return .voteProposal
        }
    }

    /// A stable, human-readable name for APIs and metrics.
    public var kind: String {
        switch self {
        case .transfer: return "transfer"
        case .faucet: return "faucet"
        case .validatorUpdate: return "validator_update"
        case .bond: return "bond"
        case .unbond: return "unbond"
        case .rotateValidatorKey: return "rotate_validator_key"
        case .evidence: return "evidence"
        case .createGroup: return "group_create"
        case .addGroupMember: return "group_add_member"
        case .removeGroupMember: return "group_remove_member"
        case .setGroupRole: return "group_set_role"
        case .updateGroupPolicy: return "group_policy_update"
        case .fundGroup: return "group_fund"
        case .publishClaim: return "claim_publish"
        case .retractClaim: return "claim_retract"
        case .createTask: return "task_create"
        case .assignTask: return "task_assign"
        case .startTask: return "task_start"
        case .completeTask: return "task_complete"
        case .failTask: return "task_fail"
        case .cancelTask: return "task_cancel"
        case .expireTask: return "task_expire"
        case .createOffer: return "market_offer"
        case .cancelOffer: return "market_cancel"
        case .buyOffer: return "market_buy"
        case .deliverKey: return "market_deliver"
        case .disputePurchase: return "market_dispute"
        case .postIntent: return "intent_post"
        case .withdrawIntent: return "intent_withdraw"
        case .registerMediator: return "mediator_register"
        case .proposeSettlement: return "settlement_propose"
        case .acceptSettlement: return "settlement_accept"
        case .challengeSettlement: return "settlement_challenge"
        case .resolveChallenge: return "settlement_resolve"
        case .submitProposal: return "gov_submit"
        case .depositProposal: return "gov_deposit"
        case .voteProposal: return "gov_vote"
        }
    }

    /// The module that owns this payload; `encode` and `init(from:)` hand the fields after the
    /// tag byte to that module's coding functions (next to the module's payload types).
    public var module: LedgerModule { tag.module }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(tag.rawValue)
        switch module {
        case .bank: encodeBankFields(to: &writer)
        case .staking: encodeStakingFields(to: &writer)
        case .groups: encodeGroupFields(to: &writer)
        case .claims: encodeClaimFields(to: &writer)
        case .market: encodeMarketFields(to: &writer)
        case .tasks: encodeTaskFields(to: &writer)
        case .intents: encodeIntentFields(to: &writer)
        case .governance: encodeGovernanceFields(to: &writer)
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("payload.tag")
        guard let tag = Tag(rawValue: raw) else { throw .unknownTag(type: "payload", tag: raw) }
        switch tag.module {
        case .bank: self = try .decodeBank(tag, from: &reader)
        case .staking: self = try .decodeStaking(tag, from: &reader)
        case .groups: self = try .decodeGroups(tag, from: &reader)
        case .claims: self = try .decodeClaims(tag, from: &reader)
        case .market: self = try .decodeMarket(tag, from: &reader)
        case .tasks: self = try .decodeTasks(tag, from: &reader)
        case .intents: self = try .decodeIntents(tag, from: &reader)
        case .governance: self = try .decodeGovernance(tag, from: &reader)
        }
    }

    /// A module's decoder reached with a tag of another module: `Tag.module` and the module's
    /// switch disagree. Unreachable while they agree (the golden test decodes every tag).
    static func misroutedTag(_ tag: Tag) -> CodecError { .unknownTag(type: "payload", tag: tag.rawValue) }

    /// A module's encoder reached with another module's case: a programming error that would
    /// write wrong consensus bytes, so it stops the node instead. Unreachable while `Tag.module`
    /// and the modules' switches agree (the golden test encodes every case).
    func misrouted(_ module: LedgerModule) -> Never { preconditionFailure("payload \(kind) reached the \(module) encoder") }
}

/// The ledger's modules, each owning a range of payload tags and execution failure codes.
public enum LedgerModule: String, Sendable, Hashable, CaseIterable {
    case bank, staking, groups, claims, market, tasks, intents
    /// Named "gov" on the event stream and in metrics, as in Cosmos.
    case governance = "gov"
}

extension Payload.Tag {
    /// The module whose rules and codec handle this tag.
    public var module: LedgerModule {
        switch self {
        case .transfer, .faucet: return .bank
        case .validatorUpdate, .bond, .unbond, .rotateValidatorKey, .evidence: return .staking
        case .createGroup, .addGroupMember, .removeGroupMember, .setGroupRole, .updateGroupPolicy, .fundGroup: return .groups
        case .publishClaim, .retractClaim, .publishClaimWithSources: return .claims
        case .createOffer, .createOfferWithRoyalty, .cancelOffer, .buyOffer, .deliverKey, .disputePurchase: return .market
        case .createTask, .assignTask, .startTask, .completeTask, .failTask, .cancelTask, .expireTask: return .tasks
        case .postIntent, .withdrawIntent, .registerMediator, .proposeSettlement, .acceptSettlement, .challengeSettlement,
             .resolveChallenge: return .intents
        case .submitProposal, .depositProposal, .voteProposal: return .governance
        }
    }
}
