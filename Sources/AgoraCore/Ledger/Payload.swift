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
        case .publishClaim: return .publishClaim
        case .createTask: return .createTask
        case .assignTask: return .assignTask
        case .startTask: return .startTask
        case .completeTask: return .completeTask
        case .failTask: return .failTask
        case .cancelTask: return .cancelTask
        case .expireTask: return .expireTask
        case .createOffer: return .createOffer
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
        }
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(tag.rawValue)
        switch self {
        case let .transfer(to, amount, memo):
            writer.write(to)
            writer.write(amount)
            writer.writeString(memo)
        case .faucet:
            break
        case let .validatorUpdate(key, power):
            writer.write(key)
            writer.write(power)
        case let .bond(amount), let .unbond(amount):
            writer.write(amount)
        case let .rotateValidatorKey(newKey, proof):
            writer.write(newKey)
            writer.write(proof)
        case let .evidence(evidence):
            writer.write(evidence)
        case let .createGroup(name, policy):
            writer.writeString(name)
            writer.write(policy)
        case let .addGroupMember(group, member, role), let .setGroupRole(group, member, role):
            writer.write(group)
            writer.write(member)
            writer.write(role)
        case let .removeGroupMember(group, member):
            writer.write(group)
            writer.write(member)
        case let .updateGroupPolicy(group, policy):
            writer.write(group)
            writer.write(policy)
        case let .fundGroup(group, amount):
            writer.write(group)
            writer.write(amount)
        case let .publishClaim(content):
            writer.write(content)
        case let .createTask(spec):
            writer.write(spec)
        case let .assignTask(task, assignee):
            writer.write(task)
            writer.write(assignee)
        case let .startTask(task), let .cancelTask(task), let .expireTask(task):
            writer.write(task)
        case let .completeTask(task, result):
            writer.write(task)
            writer.write(result)
        case let .failTask(task, reason):
            writer.write(task)
            writer.writeString(reason)
        case let .createOffer(terms):
            writer.write(terms)
        case let .cancelOffer(offer):
            writer.write(offer)
        case let .buyOffer(offer, buyerKey):
            writer.write(offer)
            writer.write(buyerKey)
        case let .deliverKey(purchase, sealed):
            writer.write(purchase)
            writer.write(sealed)
        case let .disputePurchase(purchase, secret):
            writer.write(purchase)
            writer.write(secret)
        case let .postIntent(content):
            writer.write(content)
        case let .withdrawIntent(intent):
            writer.write(intent)
        case let .registerMediator(stake, feeBps):
            writer.write(stake)
            writer.write(feeBps)
        case let .proposeSettlement(proposal):
            writer.write(proposal)
        case let .acceptSettlement(settlement):
            writer.write(settlement)
        case let .challengeSettlement(settlement, reason, bond):
            writer.write(settlement)
            writer.writeString(reason)
            writer.write(bond)
        case let .resolveChallenge(settlement, upheld):
            writer.write(settlement)
            writer.write(upheld)
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("payload.tag")
        guard let tag = Tag(rawValue: raw) else { throw .unknownTag(type: "payload", tag: raw) }
        switch tag {
        case .transfer:
            let to = try reader.read(Address.self)
            let amount = try reader.read(Amount.self)
            let memo = try reader.readString("transfer.memo", limit: Limits.maxMemoBytes)
            self = .transfer(to: to, amount: amount, memo: memo)
        case .faucet:
            self = .faucet
        case .validatorUpdate:
            let key = try reader.read(PublicKey.self)
            self = .validatorUpdate(publicKey: key, power: try reader.readUInt64("validatorUpdate.power"))
        case .bond:
            self = .bond(amount: try reader.read(Amount.self))
        case .unbond:
            self = .unbond(amount: try reader.read(Amount.self))
        case .rotateValidatorKey:
            let key = try reader.read(PublicKey.self)
            self = .rotateValidatorKey(newKey: key, proof: try reader.read(Signature.self))
        case .evidence:
            // Bounded by construction: two votes, each with a chain ID of at most 64 bytes.
            self = .evidence(try reader.read(DuplicateVoteEvidence.self))
        case .createGroup:
            let name = try reader.readString("group.name", limit: Limits.maxGroupNameBytes)
            guard GroupName.isValid(name) else { throw .nonCanonical(field: "group.name", reason: "empty or holds control characters") }
            self = .createGroup(name: name, policy: try reader.read(GroupPolicy.self))
        case .addGroupMember:
            let group = try reader.read(Hash.self)
            let member = try reader.read(Address.self)
            self = .addGroupMember(group: group, member: member, role: try reader.read(GroupRole.self))
        case .removeGroupMember:
            let group = try reader.read(Hash.self)
            self = .removeGroupMember(group: group, member: try reader.read(Address.self))
        case .setGroupRole:
            let group = try reader.read(Hash.self)
            let member = try reader.read(Address.self)
            self = .setGroupRole(group: group, member: member, role: try reader.read(GroupRole.self))
        case .updateGroupPolicy:
            let group = try reader.read(Hash.self)
            self = .updateGroupPolicy(group: group, policy: try reader.read(GroupPolicy.self))
        case .fundGroup:
            let group = try reader.read(Hash.self)
            self = .fundGroup(group: group, amount: try reader.read(Amount.self))
        case .publishClaim:
            self = .publishClaim(try reader.read(ClaimContent.self))
        case .createTask:
            self = .createTask(try reader.read(TaskSpec.self))
        case .assignTask:
            let task = try reader.read(Hash.self)
            self = .assignTask(task: task, assignee: try reader.read(Address.self))
        case .startTask:
            self = .startTask(task: try reader.read(Hash.self))
        case .completeTask:
            let task = try reader.read(Hash.self)
            self = .completeTask(task: task, result: try reader.read(TaskResult.self))
        case .failTask:
            let task = try reader.read(Hash.self)
            self = .failTask(task: task, reason: try reader.readString("task.failReason", limit: TaskLimits.maxFailReasonBytes))
        case .cancelTask:
            self = .cancelTask(task: try reader.read(Hash.self))
        case .expireTask:
            self = .expireTask(task: try reader.read(Hash.self))
        case .createOffer:
            self = .createOffer(try reader.read(OfferTerms.self))
        case .cancelOffer:
            self = .cancelOffer(offer: try reader.read(Hash.self))
        case .buyOffer:
            let offer = try reader.read(Hash.self)
            self = .buyOffer(offer: offer, buyerKey: try reader.read(Bytes32.self))
        case .deliverKey:
            let purchase = try reader.read(Hash.self)
            self = .deliverKey(purchase: purchase, sealed: try reader.read(SealedContentKey.self))
        case .disputePurchase:
            let purchase = try reader.read(Hash.self)
            self = .disputePurchase(purchase: purchase, buyerSecret: try reader.read(Bytes32.self))
        case .postIntent:
            self = .postIntent(try reader.read(IntentContent.self))
        case .withdrawIntent:
            self = .withdrawIntent(intent: try reader.read(Hash.self))
        case .registerMediator:
            let stake = try reader.read(Amount.self)
            let bps = try reader.readUInt16("mediator.feeBps")
            guard bps <= 10_000 else { throw .nonCanonical(field: "mediator.feeBps", reason: "\(bps) is above 10000") }
            self = .registerMediator(stake: stake, feeBps: bps)
        case .proposeSettlement:
            self = .proposeSettlement(try reader.read(SettlementProposal.self))
        case .acceptSettlement:
            self = .acceptSettlement(settlement: try reader.read(Hash.self))
        case .challengeSettlement:
            let settlement = try reader.read(Hash.self)
            let reason = try reader.readString("challenge.reason", limit: Limits.maxChallengeReasonBytes)
            guard !reason.isEmpty else { throw .nonCanonical(field: "challenge.reason", reason: "empty") }
            self = .challengeSettlement(settlement: settlement, reason: reason, bond: try reader.read(Amount.self))
        case .resolveChallenge:
            let settlement = try reader.read(Hash.self)
            self = .resolveChallenge(settlement: settlement, upheld: try reader.readBool("resolve.upheld"))
        }
    }
}
