import AgoraCore

/// Why a transaction cannot be included in a block at all. A block proposer drops such a
/// transaction; a block that contains one is invalid. Each case carries what was wrong.
public enum Rejection: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String)
    case tooLarge(size: Int, limit: Int)
    case invalidSignature
    case wrongChain(expected: String, got: String)
    case expired(expiresAt: UInt64, height: UInt64)
    /// Replay: this nonce was already used.
    case nonceTooLow(expected: UInt64, got: UInt64)
    /// A gap: earlier nonces are missing.
    case nonceTooHigh(expected: UInt64, got: UInt64)
    case feeTooLow(minimum: Amount, got: Amount)
    case insufficientFundsForFee(balance: Amount, fee: Amount)
    case faucetDisabled
    case faucetAlreadyClaimed
    case faucetFeeMustBeZero(Amount)
    case faucetExhausted
    /// Evidence is free to submit (a proof of a real double sign cannot be mass-produced).
    case evidenceFeeMustBeZero(Amount)
    case invalidEvidence(DuplicateVoteEvidence.Invalid)
    case evidenceTooOld(height: UInt64, current: UInt64, maxAge: UInt64)
    case evidenceFromFuture(height: UInt64, current: UInt64)
    /// The offender (or the key its bond moved to) is already tombstoned.
    case evidenceAlreadyPunished(PublicKey)
    /// The new key's signature over `KeyRotation.message` does not verify.
    case invalidRotationProof(newKey: PublicKey)

    /// Stable machine-readable code for APIs, metrics and logs.
    public var code: String {
        switch self {
        case .malformed: return "malformed"
        case .tooLarge: return "too_large"
        case .invalidSignature: return "invalid_signature"
        case .wrongChain: return "wrong_chain"
        case .expired: return "expired"
        case .nonceTooLow: return "nonce_too_low"
        case .nonceTooHigh: return "nonce_too_high"
        case .feeTooLow: return "fee_too_low"
        case .insufficientFundsForFee: return "insufficient_funds_for_fee"
        case .faucetDisabled: return "faucet_disabled"
        case .faucetAlreadyClaimed: return "faucet_already_claimed"
        case .faucetFeeMustBeZero: return "faucet_fee_must_be_zero"
        case .faucetExhausted: return "faucet_exhausted"
        case .evidenceFeeMustBeZero: return "evidence_fee_must_be_zero"
        case .invalidEvidence: return "evidence_invalid"
        case .evidenceTooOld: return "evidence_too_old"
        case .evidenceFromFuture: return "evidence_from_future"
        case .evidenceAlreadyPunished: return "evidence_already_punished"
        case .invalidRotationProof: return "invalid_rotation_proof"
        }
    }

    public var description: String {
        switch self {
        case let .malformed(why): return "malformed transaction: \(why)"
        case let .tooLarge(size, limit): return "transaction is \(size) bytes, limit \(limit)"
        case .invalidSignature: return "signature does not verify against the sender key"
        case let .wrongChain(expected, got): return "chain ID \(got) does not match this chain (\(expected))"
        case let .expired(at, h): return "transaction expired at height \(at); chain is at \(h)"
        case let .nonceTooLow(e, g): return "nonce \(g) already used; account expects \(e)"
        case let .nonceTooHigh(e, g): return "nonce \(g) skips ahead; account expects \(e)"
        case let .feeTooLow(m, g): return "fee \(g) below the minimum \(m)"
        case let .insufficientFundsForFee(b, f): return "balance \(b) cannot pay fee \(f)"
        case .faucetDisabled: return "the faucet is disabled on this chain"
        case .faucetAlreadyClaimed: return "this account already took its faucet grant"
        case let .faucetFeeMustBeZero(f): return "faucet claims carry fee 0, got \(f)"
        case .faucetExhausted: return "the faucet grant would exceed the supply or balance cap"
        case let .evidenceFeeMustBeZero(f): return "evidence carries fee 0, got \(f)"
        case let .invalidEvidence(why): return "invalid evidence: \(why)"
        case let .evidenceTooOld(h, c, m): return "evidence from height \(h) is more than \(m) heights before \(c)"
        case let .evidenceFromFuture(h, c): return "evidence from height \(h) is not before or at height \(c)"
        case let .evidenceAlreadyPunished(k): return "validator \(k) is already tombstoned"
        case let .invalidRotationProof(k): return "rotation proof does not verify against the new key \(k)"
        }
    }
}

/// Why an included transaction's payload failed. The sender still paid the fee and used the
/// nonce; nothing else changed.
public enum ExecutionFailure: Error, Hashable, Sendable, CustomStringConvertible, CanonicalCodable {
    case insufficientBalance(balance: Amount, needed: Amount)
    case recipientBalanceCap(maximum: Amount, resulting: UInt64)
    case zeroAmount
    case arithmeticOverflow
    /// staking: only the chain's staking admin may change the validator set.
    case notStakingAdmin(sender: Address)
    case insufficientBond(bond: Amount, minimum: Amount)
    case validatorSetWouldBeEmpty
    case tooManyValidators(limit: UInt32)
    case totalPowerTooHigh(maximum: UInt64)
    case notAValidator(PublicKey)
    case keyTombstoned(PublicKey)
    /// The key rotated to another and can no longer bond or validate.
    case keyRetired(PublicKey)
    /// A rotation must target a key that never bonded or validated.
    case rotationTargetInUse(PublicKey)
    /// Unbonding below the minimum while the key was or will be a validator within the
    /// evidence window.
    case bondLocked(PublicKey)
    case unbondAboveBond(bond: Amount, requested: Amount)
    case groupNotFound(Hash)
    /// groups: membership and policy change only by an admin of the group.
    case notGroupAdmin(group: Hash, address: Address)
    case notGroupMember(group: Hash, address: Address)
    /// claims: observers read but do not publish.
    case observerCannotPublish(group: Hash, address: Address)
    case alreadyGroupMember(group: Hash, address: Address)
    /// groups: a group always keeps at least one admin.
    case lastGroupAdmin(group: Hash, address: Address)
    case roleUnchanged(group: Hash, address: Address, role: GroupRole)
    case invalidGroupPolicy(GroupPolicyViolation)
    case parentClaimNotFound(Hash)
    /// claims: threads stay inside one group; `group` is the parent's.
    case parentClaimInOtherGroup(parent: Hash, group: Hash)
    // tasks (encoded from tag 101 on, clear of the tags other modules append after 25)
    case taskNotFound(Hash)
    /// tasks: observers read; they neither create, take nor work on tasks.
    case observerCannotTask(group: Hash, address: Address)
    /// tasks: assigning someone else and cancelling need the task's creator (still a member) or a group admin.
    case notTaskManager(task: Hash, address: Address)
    /// tasks: starting, completing and failing are the assignee's steps.
    case notTaskAssignee(task: Hash, address: Address)
    /// tasks: `action` is not a step out of `state` (every forbidden transition).
    case taskWrongState(task: Hash, state: TaskState, action: TaskAction)
    /// tasks: the deadline passed; only cancel and expire remain.
    case taskDeadlinePassed(task: Hash, deadline: UInt64, now: UInt64)
    /// tasks: expire before the deadline, or on a task without one.
    case taskDeadlineNotReached(task: Hash, deadline: UInt64?, now: UInt64)
    /// tasks: a new task's deadline must be after the block time it is created at.
    case taskDeadlineInPast(deadline: UInt64, now: UInt64)
    // market (codec tags 64-95, kept apart from the other modules' so parallel work cannot collide)
    case offerNotFound(Hash)
    case purchaseNotFound(Hash)
    /// market: the offer was cancelled or slashed.
    case offerNotOpen(offer: Hash, status: OfferStatus)
    case offerExpired(offer: Hash, expiresAt: UInt64)
    /// market: an offer must still be buyable in the block that creates it.
    case offerExpiryNotInFuture(expiresAt: UInt64, blockTime: UInt64)
    case cannotBuyOwnOffer(offer: Hash)
    /// market: one open purchase per buyer and offer (a second escrow would be a mistake, not a sale).
    case offerAlreadyPurchased(offer: Hash, purchase: Hash)
    case notOfferSeller(offer: Hash, address: Address)
    case notPurchaseSeller(purchase: Hash, address: Address)
    case notPurchaseBuyer(purchase: Hash, address: Address)
    case purchaseNotAwaitingDelivery(purchase: Hash, status: PurchaseStatus)
    case deliveryDeadlinePassed(purchase: Hash, deadline: UInt64)
    case purchaseNotDelivered(purchase: Hash, status: PurchaseStatus)
    case disputeWindowClosed(purchase: Hash, deadline: UInt64)
    /// market: the revealed private key is not the one the purchase's buyer key belongs to.
    case disputeKeyMismatch(purchase: Hash)
    /// market: the delivery opens to a key matching the offer's commitment; the seller was honest.
    case deliveredKeyValid(purchase: Hash)
    case offerHasOpenPurchases(offer: Hash, count: UInt32)

    // intents (failure tags from 100 so that other modules' appended tags cannot collide)
    case intentNotFound(Hash)
    case intentNotOpen(Hash)
    case notIntentAuthor(intent: Hash, address: Address)
    case intentExpired(intent: Hash, deadline: UInt64)
    case mediatorNotRegistered(Address)
    case mediatorStakeTooLow(stake: Amount, minimum: Amount)
    case intentsInDifferentGroups(Hash)
    case duplicateParty(Address)
    case mediatorIsParty(Address)
    case noComplementaryIntents
    case paymentOutsideParties(Address)
    case mediatorFeeAboveRate(fee: Amount, maximum: Amount)
    case settlementNotFound(Hash)
    case settlementNotOpen(Hash)
    case acceptDeadlinePassed(settlement: Hash, acceptBy: UInt64)
    case notSettlementParty(settlement: Hash, address: Address)
    case alreadyAccepted(settlement: Hash, address: Address)
    case settlementNotChallengeable(Hash)
    case challengeWindowClosed(settlement: Hash, finalizeAt: UInt64)
    case notEntitledToChallenge(settlement: Hash, address: Address)
    case challengeBondTooLow(bond: Amount, minimum: Amount)
    case settlementNotChallenged(Hash)
    case acceptDeadlineInvalid(acceptBy: UInt64, height: UInt64)

    public var code: String {
        switch self {
        case .insufficientBalance: return "insufficient_balance"
        case .recipientBalanceCap: return "recipient_balance_cap"
        case .zeroAmount: return "zero_amount"
        case .arithmeticOverflow: return "arithmetic_overflow"
        case .notStakingAdmin: return "not_staking_admin"
        case .insufficientBond: return "insufficient_bond"
        case .validatorSetWouldBeEmpty: return "validator_set_would_be_empty"
        case .tooManyValidators: return "too_many_validators"
        case .totalPowerTooHigh: return "total_power_too_high"
        case .notAValidator: return "not_a_validator"
        case .keyTombstoned: return "key_tombstoned"
        case .keyRetired: return "key_retired"
        case .rotationTargetInUse: return "rotation_target_in_use"
        case .bondLocked: return "bond_locked"
        case .unbondAboveBond: return "unbond_above_bond"
        case .groupNotFound: return "group_not_found"
        case .notGroupAdmin: return "not_group_admin"
        case .notGroupMember: return "not_group_member"
        case .observerCannotPublish: return "observer_cannot_publish"
        case .alreadyGroupMember: return "already_group_member"
        case .lastGroupAdmin: return "last_group_admin"
        case .roleUnchanged: return "role_unchanged"
        case .invalidGroupPolicy: return "invalid_group_policy"
        case .parentClaimNotFound: return "parent_claim_not_found"
        case .parentClaimInOtherGroup: return "parent_claim_in_other_group"
        case .taskNotFound: return "task_not_found"
        case .observerCannotTask: return "observer_cannot_task"
        case .notTaskManager: return "not_task_manager"
        case .notTaskAssignee: return "not_task_assignee"
        case .taskWrongState: return "task_wrong_state"
        case .taskDeadlinePassed: return "task_deadline_passed"
        case .taskDeadlineNotReached: return "task_deadline_not_reached"
        case .taskDeadlineInPast: return "task_deadline_in_past"
        case .offerNotFound: return "offer_not_found"
        case .purchaseNotFound: return "purchase_not_found"
        case .offerNotOpen: return "offer_not_open"
        case .offerExpired: return "offer_expired"
        case .offerExpiryNotInFuture: return "offer_expiry_not_in_future"
        case .cannotBuyOwnOffer: return "cannot_buy_own_offer"
        case .offerAlreadyPurchased: return "offer_already_purchased"
        case .notOfferSeller: return "not_offer_seller"
        case .notPurchaseSeller: return "not_purchase_seller"
        case .notPurchaseBuyer: return "not_purchase_buyer"
        case .purchaseNotAwaitingDelivery: return "purchase_not_awaiting_delivery"
        case .deliveryDeadlinePassed: return "delivery_deadline_passed"
        case .purchaseNotDelivered: return "purchase_not_delivered"
        case .disputeWindowClosed: return "dispute_window_closed"
        case .disputeKeyMismatch: return "dispute_key_mismatch"
        case .deliveredKeyValid: return "delivered_key_valid"
        case .offerHasOpenPurchases: return "offer_has_open_purchases"
        case .intentNotFound: return "intent_not_found"
        case .intentNotOpen: return "intent_not_open"
        case .notIntentAuthor: return "not_intent_author"
        case .intentExpired: return "intent_expired"
        case .mediatorNotRegistered: return "mediator_not_registered"
        case .mediatorStakeTooLow: return "mediator_stake_too_low"
        case .intentsInDifferentGroups: return "intents_in_different_groups"
        case .duplicateParty: return "duplicate_party"
        case .mediatorIsParty: return "mediator_is_party"
        case .noComplementaryIntents: return "no_complementary_intents"
        case .paymentOutsideParties: return "payment_outside_parties"
        case .mediatorFeeAboveRate: return "mediator_fee_above_rate"
        case .settlementNotFound: return "settlement_not_found"
        case .settlementNotOpen: return "settlement_not_open"
        case .acceptDeadlinePassed: return "accept_deadline_passed"
        case .notSettlementParty: return "not_settlement_party"
        case .alreadyAccepted: return "already_accepted"
        case .settlementNotChallengeable: return "settlement_not_challengeable"
        case .challengeWindowClosed: return "challenge_window_closed"
        case .notEntitledToChallenge: return "not_entitled_to_challenge"
        case .challengeBondTooLow: return "challenge_bond_too_low"
        case .settlementNotChallenged: return "settlement_not_challenged"
        case .acceptDeadlineInvalid: return "accept_deadline_invalid"
        }
    }

    public var description: String {
        switch self {
        case let .insufficientBalance(b, n): return "balance \(b) is less than \(n) (amount plus transfer fee)"
        case let .recipientBalanceCap(m, r): return "recipient balance would be \(r), above the cap \(m)"
        case .zeroAmount: return "transfer amount must be positive"
        case .arithmeticOverflow: return "amount arithmetic overflowed"
        case let .notStakingAdmin(s): return "\(s) is not the chain's staking admin"
        case let .insufficientBond(b, m): return "bond \(b) is below the minimum \(m)"
        case .validatorSetWouldBeEmpty: return "the change would leave no validator"
        case let .tooManyValidators(l): return "the change would exceed \(l) validators"
        case let .totalPowerTooHigh(m): return "the change would raise total voting power above \(m)"
        case let .notAValidator(k): return "\(k) is not in the validator set"
        case let .keyTombstoned(k): return "\(k) was punished for double-signing and can never validate again"
        case let .keyRetired(k): return "\(k) rotated to another key and can no longer bond or validate"
        case let .rotationTargetInUse(k): return "\(k) already bonded or validated; rotate to a fresh key"
        case let .bondLocked(k): return "\(k) is a validator within the evidence window; its bond cannot go below the minimum"
        case let .unbondAboveBond(b, r): return "cannot unbond \(r): the bond is \(b)"
        case let .groupNotFound(g): return "group \(g) does not exist"
        case let .notGroupAdmin(g, a): return "\(a) is not an admin of group \(g)"
        case let .notGroupMember(g, a): return "\(a) is not a member of group \(g)"
        case let .observerCannotPublish(g, a): return "\(a) is an observer of group \(g) and cannot publish"
        case let .alreadyGroupMember(g, a): return "\(a) is already a member of group \(g)"
        case let .lastGroupAdmin(g, a): return "\(a) is the last admin of group \(g); add another admin first"
        case let .roleUnchanged(g, a, r): return "\(a) already has role \(r) in group \(g)"
        case let .invalidGroupPolicy(v): return "invalid group policy: \(v)"
        case let .parentClaimNotFound(c): return "parent claim \(c) does not exist"
        case let .parentClaimInOtherGroup(c, g): return "parent claim \(c) belongs to another group (\(g))"
        case let .taskNotFound(t): return "task \(t) does not exist"
        case let .observerCannotTask(g, a): return "\(a) is an observer of group \(g) and cannot create, take or work on tasks"
        case let .notTaskManager(t, a): return "\(a) is neither the creator (as a current member) of task \(t) nor an admin of its group"
        case let .notTaskAssignee(t, a): return "\(a) is not the assignee of task \(t)"
        case let .taskWrongState(t, s, a): return "task \(t) is \(s): \(a) is not allowed from there"
        case let .taskDeadlinePassed(t, d, n): return "task \(t) passed its deadline \(d) (block time \(n)); it can only be cancelled or expired"
        case let .taskDeadlineNotReached(t, d, n):
            return d.map { "task \(t) has deadline \($0), block time is \(n)" } ?? "task \(t) has no deadline and never expires"
        case let .taskDeadlineInPast(d, n): return "deadline \(d) is not after the block time \(n)"
        case let .offerNotFound(o): return "offer \(o) does not exist"
        case let .purchaseNotFound(p): return "purchase \(p) does not exist"
        case let .offerNotOpen(o, s): return "offer \(o) is \(s) and can no longer be bought or cancelled"
        case let .offerExpired(o, t): return "offer \(o) expired at block time \(t) ms"
        case let .offerExpiryNotInFuture(t, now): return "offer expiry \(t) ms is not after the block time \(now) ms"
        case let .cannotBuyOwnOffer(o): return "the seller cannot buy its own offer \(o)"
        case let .offerAlreadyPurchased(o, p): return "this buyer already has an open purchase \(p) of offer \(o)"
        case let .notOfferSeller(o, a): return "\(a) is not the seller of offer \(o)"
        case let .notPurchaseSeller(p, a): return "\(a) is not the seller of purchase \(p)"
        case let .notPurchaseBuyer(p, a): return "\(a) is not the buyer of purchase \(p)"
        case let .purchaseNotAwaitingDelivery(p, s): return "purchase \(p) is \(s), not awaiting delivery"
        case let .deliveryDeadlinePassed(p, t): return "the delivery deadline of purchase \(p) passed at block time \(t) ms"
        case let .purchaseNotDelivered(p, s): return "purchase \(p) is \(s); only a delivered purchase can be disputed"
        case let .disputeWindowClosed(p, t): return "the dispute window of purchase \(p) closed at block time \(t) ms"
        case let .disputeKeyMismatch(p): return "the revealed private key does not belong to the buyer key of purchase \(p)"
        case let .deliveredKeyValid(p): return "the key delivered for purchase \(p) matches the offer's commitment; dispute rejected"
        case let .offerHasOpenPurchases(o, n): return "offer \(o) has \(n) open purchase(s); they must settle first"
        case let .intentNotFound(i): return "intent \(i) does not exist"
        case let .intentNotOpen(i): return "intent \(i) is not open (withdrawn, matched or settled)"
        case let .notIntentAuthor(i, a): return "\(a) is not the author of intent \(i)"
        case let .intentExpired(i, d): return "intent \(i) expired at height \(d)"
        case let .mediatorNotRegistered(a): return "\(a) is not a registered mediator"
        case let .mediatorStakeTooLow(s, m): return "mediator stake \(s) is below the minimum \(m)"
        case let .intentsInDifferentGroups(i): return "intent \(i) is in another group than the first intent"
        case let .duplicateParty(a): return "\(a) authored more than one of the intents"
        case let .mediatorIsParty(a): return "mediator \(a) authored one of the intents"
        case .noComplementaryIntents: return "a settlement needs at least one offer and one request"
        case let .paymentOutsideParties(a): return "payment names \(a), who is not a party"
        case let .mediatorFeeAboveRate(f, m): return "mediator fee \(f) is above the registered rate allows (\(m))"
        case let .settlementNotFound(i): return "settlement \(i) does not exist"
        case let .settlementNotOpen(i): return "settlement \(i) no longer awaits acceptance"
        case let .acceptDeadlinePassed(i, h): return "settlement \(i) could be accepted until height \(h)"
        case let .notSettlementParty(i, a): return "\(a) is not a party of settlement \(i)"
        case let .alreadyAccepted(i, a): return "\(a) already accepted settlement \(i)"
        case let .settlementNotChallengeable(i): return "settlement \(i) is not in its challenge window"
        case let .challengeWindowClosed(i, h): return "the challenge window of settlement \(i) closes at height \(h)"
        case let .notEntitledToChallenge(i, a): return "\(a) is neither a party of settlement \(i) nor another registered mediator"
        case let .challengeBondTooLow(b, m): return "challenge bond \(b) is below the minimum \(m)"
        case let .settlementNotChallenged(i): return "settlement \(i) has no open challenge"
        case let .acceptDeadlineInvalid(a, h): return "acceptBy \(a) must be between the current height \(h) and \(IntentRules.maxAcceptWindow) heights after it"
        }
    }

    public func encode(to writer: inout CanonicalWriter) {
        switch self {
        case let .insufficientBalance(b, n): writer.write(UInt8(1)); writer.write(b); writer.write(n)
        case let .recipientBalanceCap(m, r): writer.write(UInt8(2)); writer.write(m); writer.write(r)
        case .zeroAmount: writer.write(UInt8(3))
        case .arithmeticOverflow: writer.write(UInt8(4))
        case let .notStakingAdmin(s): writer.write(UInt8(5)); writer.write(s)
        case let .insufficientBond(b, m): writer.write(UInt8(6)); writer.write(b); writer.write(m)
        case .validatorSetWouldBeEmpty: writer.write(UInt8(7))
        case let .tooManyValidators(l): writer.write(UInt8(8)); writer.write(l)
        case let .totalPowerTooHigh(m): writer.write(UInt8(9)); writer.write(m)
        case let .notAValidator(k): writer.write(UInt8(10)); writer.write(k)
        case let .keyTombstoned(k): writer.write(UInt8(11)); writer.write(k)
        case let .keyRetired(k): writer.write(UInt8(12)); writer.write(k)
        case let .rotationTargetInUse(k): writer.write(UInt8(13)); writer.write(k)
        case let .bondLocked(k): writer.write(UInt8(14)); writer.write(k)
        case let .unbondAboveBond(b, r): writer.write(UInt8(15)); writer.write(b); writer.write(r)
        case let .groupNotFound(g): writer.write(UInt8(16)); writer.write(g)
        case let .notGroupAdmin(g, a): writer.write(UInt8(17)); writer.write(g); writer.write(a)
        case let .notGroupMember(g, a): writer.write(UInt8(18)); writer.write(g); writer.write(a)
        case let .observerCannotPublish(g, a): writer.write(UInt8(19)); writer.write(g); writer.write(a)
        case let .alreadyGroupMember(g, a): writer.write(UInt8(20)); writer.write(g); writer.write(a)
        case let .lastGroupAdmin(g, a): writer.write(UInt8(21)); writer.write(g); writer.write(a)
        case let .roleUnchanged(g, a, r): writer.write(UInt8(22)); writer.write(g); writer.write(a); writer.write(r)
        case let .invalidGroupPolicy(v): writer.write(UInt8(23)); writer.write(v.rawValue)
        case let .parentClaimNotFound(c): writer.write(UInt8(24)); writer.write(c)
        case let .parentClaimInOtherGroup(c, g): writer.write(UInt8(25)); writer.write(c); writer.write(g)
        case let .taskNotFound(t): writer.write(UInt8(101)); writer.write(t)
        case let .observerCannotTask(g, a): writer.write(UInt8(102)); writer.write(g); writer.write(a)
        case let .notTaskManager(t, a): writer.write(UInt8(103)); writer.write(t); writer.write(a)
        case let .notTaskAssignee(t, a): writer.write(UInt8(104)); writer.write(t); writer.write(a)
        case let .taskWrongState(t, s, a): writer.write(UInt8(105)); writer.write(t); writer.write(s); writer.write(a.rawValue)
        case let .taskDeadlinePassed(t, d, n): writer.write(UInt8(106)); writer.write(t); writer.write(d); writer.write(n)
        case let .taskDeadlineNotReached(t, d, n): writer.write(UInt8(107)); writer.write(t); writer.writeOptional(d); writer.write(n)
        case let .taskDeadlineInPast(d, n): writer.write(UInt8(108)); writer.write(d); writer.write(n)
        case let .offerNotFound(o): writer.write(UInt8(64)); writer.write(o)
        case let .purchaseNotFound(p): writer.write(UInt8(65)); writer.write(p)
        case let .offerNotOpen(o, s): writer.write(UInt8(66)); writer.write(o); writer.write(s.rawValue)
        case let .offerExpired(o, t): writer.write(UInt8(67)); writer.write(o); writer.write(t)
        case let .offerExpiryNotInFuture(t, now): writer.write(UInt8(68)); writer.write(t); writer.write(now)
        case let .cannotBuyOwnOffer(o): writer.write(UInt8(69)); writer.write(o)
        case let .offerAlreadyPurchased(o, p): writer.write(UInt8(70)); writer.write(o); writer.write(p)
        case let .notOfferSeller(o, a): writer.write(UInt8(71)); writer.write(o); writer.write(a)
        case let .notPurchaseSeller(p, a): writer.write(UInt8(72)); writer.write(p); writer.write(a)
        case let .notPurchaseBuyer(p, a): writer.write(UInt8(73)); writer.write(p); writer.write(a)
        case let .purchaseNotAwaitingDelivery(p, s): writer.write(UInt8(74)); writer.write(p); writer.write(s.rawValue)
        case let .deliveryDeadlinePassed(p, t): writer.write(UInt8(75)); writer.write(p); writer.write(t)
        case let .purchaseNotDelivered(p, s): writer.write(UInt8(76)); writer.write(p); writer.write(s.rawValue)
        case let .disputeWindowClosed(p, t): writer.write(UInt8(77)); writer.write(p); writer.write(t)
        case let .disputeKeyMismatch(p): writer.write(UInt8(78)); writer.write(p)
        case let .deliveredKeyValid(p): writer.write(UInt8(79)); writer.write(p)
        case let .offerHasOpenPurchases(o, n): writer.write(UInt8(80)); writer.write(o); writer.write(n)
        case let .intentNotFound(i): writer.write(UInt8(128)); writer.write(i)
        case let .intentNotOpen(i): writer.write(UInt8(129)); writer.write(i)
        case let .notIntentAuthor(i, a): writer.write(UInt8(130)); writer.write(i); writer.write(a)
        case let .intentExpired(i, d): writer.write(UInt8(131)); writer.write(i); writer.write(d)
        case let .mediatorNotRegistered(a): writer.write(UInt8(132)); writer.write(a)
        case let .mediatorStakeTooLow(s, m): writer.write(UInt8(133)); writer.write(s); writer.write(m)
        case let .intentsInDifferentGroups(i): writer.write(UInt8(134)); writer.write(i)
        case let .duplicateParty(a): writer.write(UInt8(135)); writer.write(a)
        case let .mediatorIsParty(a): writer.write(UInt8(136)); writer.write(a)
        case .noComplementaryIntents: writer.write(UInt8(137))
        case let .paymentOutsideParties(a): writer.write(UInt8(138)); writer.write(a)
        case let .mediatorFeeAboveRate(f, m): writer.write(UInt8(139)); writer.write(f); writer.write(m)
        case let .settlementNotFound(i): writer.write(UInt8(140)); writer.write(i)
        case let .settlementNotOpen(i): writer.write(UInt8(141)); writer.write(i)
        case let .acceptDeadlinePassed(i, h): writer.write(UInt8(142)); writer.write(i); writer.write(h)
        case let .notSettlementParty(i, a): writer.write(UInt8(143)); writer.write(i); writer.write(a)
        case let .alreadyAccepted(i, a): writer.write(UInt8(144)); writer.write(i); writer.write(a)
        case let .settlementNotChallengeable(i): writer.write(UInt8(145)); writer.write(i)
        case let .challengeWindowClosed(i, h): writer.write(UInt8(146)); writer.write(i); writer.write(h)
        case let .notEntitledToChallenge(i, a): writer.write(UInt8(147)); writer.write(i); writer.write(a)
        case let .challengeBondTooLow(b, m): writer.write(UInt8(148)); writer.write(b); writer.write(m)
        case let .settlementNotChallenged(i): writer.write(UInt8(149)); writer.write(i)
        case let .acceptDeadlineInvalid(a, h): writer.write(UInt8(150)); writer.write(a); writer.write(h)
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let tag = try reader.readUInt8("failure.tag")
        switch tag {
        case 1: self = .insufficientBalance(balance: try reader.read(Amount.self), needed: try reader.read(Amount.self))
        case 2: self = .recipientBalanceCap(maximum: try reader.read(Amount.self), resulting: try reader.readUInt64("failure.resulting"))
        case 3: self = .zeroAmount
        case 4: self = .arithmeticOverflow
        case 5: self = .notStakingAdmin(sender: try reader.read(Address.self))
        case 6: self = .insufficientBond(bond: try reader.read(Amount.self), minimum: try reader.read(Amount.self))
        case 7: self = .validatorSetWouldBeEmpty
        case 8: self = .tooManyValidators(limit: try reader.readUInt32("failure.limit"))
        case 9: self = .totalPowerTooHigh(maximum: try reader.readUInt64("failure.maximum"))
        case 10: self = .notAValidator(try reader.read(PublicKey.self))
        case 11: self = .keyTombstoned(try reader.read(PublicKey.self))
        case 12: self = .keyRetired(try reader.read(PublicKey.self))
        case 13: self = .rotationTargetInUse(try reader.read(PublicKey.self))
        case 14: self = .bondLocked(try reader.read(PublicKey.self))
        case 15: self = .unbondAboveBond(bond: try reader.read(Amount.self), requested: try reader.read(Amount.self))
        case 16: self = .groupNotFound(try reader.read(Hash.self))
        case 17: self = .notGroupAdmin(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 18: self = .notGroupMember(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 19: self = .observerCannotPublish(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 20: self = .alreadyGroupMember(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 21: self = .lastGroupAdmin(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 22: self = .roleUnchanged(group: try reader.read(Hash.self), address: try reader.read(Address.self),
                                       role: try reader.read(GroupRole.self))
        case 23:
            let raw = try reader.readUInt8("failure.violation")
            guard let v = GroupPolicyViolation(rawValue: raw) else { throw .unknownTag(type: "failure.violation", tag: raw) }
            self = .invalidGroupPolicy(v)
        case 24: self = .parentClaimNotFound(try reader.read(Hash.self))
        case 25: self = .parentClaimInOtherGroup(parent: try reader.read(Hash.self), group: try reader.read(Hash.self))
        case 101: self = .taskNotFound(try reader.read(Hash.self))
        case 102: self = .observerCannotTask(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 103: self = .notTaskManager(task: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 104: self = .notTaskAssignee(task: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 105:
            let task = try reader.read(Hash.self)
            let state = try reader.read(TaskState.self)
            let raw = try reader.readUInt8("failure.taskAction")
            guard let action = TaskAction(rawValue: raw) else { throw .unknownTag(type: "failure.taskAction", tag: raw) }
            self = .taskWrongState(task: task, state: state, action: action)
        case 106: self = .taskDeadlinePassed(task: try reader.read(Hash.self), deadline: try reader.readUInt64("failure.deadline"),
                                             now: try reader.readUInt64("failure.now"))
        case 107: self = .taskDeadlineNotReached(task: try reader.read(Hash.self), deadline: try reader.readOptional(UInt64.self, "failure.deadline"),
                                                 now: try reader.readUInt64("failure.now"))
        case 108: self = .taskDeadlineInPast(deadline: try reader.readUInt64("failure.deadline"), now: try reader.readUInt64("failure.now"))
        case 64: self = .offerNotFound(try reader.read(Hash.self))
        case 65: self = .purchaseNotFound(try reader.read(Hash.self))
        case 66: self = .offerNotOpen(offer: try reader.read(Hash.self), status: try Self.offerStatus(&reader))
        case 67: self = .offerExpired(offer: try reader.read(Hash.self), expiresAt: try reader.readUInt64("failure.expiresAt"))
        case 68: self = .offerExpiryNotInFuture(expiresAt: try reader.readUInt64("failure.expiresAt"), blockTime: try reader.readUInt64("failure.blockTime"))
        case 69: self = .cannotBuyOwnOffer(offer: try reader.read(Hash.self))
        case 70: self = .offerAlreadyPurchased(offer: try reader.read(Hash.self), purchase: try reader.read(Hash.self))
        case 71: self = .notOfferSeller(offer: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 72: self = .notPurchaseSeller(purchase: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 73: self = .notPurchaseBuyer(purchase: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 74: self = .purchaseNotAwaitingDelivery(purchase: try reader.read(Hash.self), status: try Self.purchaseStatus(&reader))
        case 75: self = .deliveryDeadlinePassed(purchase: try reader.read(Hash.self), deadline: try reader.readUInt64("failure.deadline"))
        case 76: self = .purchaseNotDelivered(purchase: try reader.read(Hash.self), status: try Self.purchaseStatus(&reader))
        case 77: self = .disputeWindowClosed(purchase: try reader.read(Hash.self), deadline: try reader.readUInt64("failure.deadline"))
        case 78: self = .disputeKeyMismatch(purchase: try reader.read(Hash.self))
        case 79: self = .deliveredKeyValid(purchase: try reader.read(Hash.self))
        case 80: self = .offerHasOpenPurchases(offer: try reader.read(Hash.self), count: try reader.readUInt32("failure.count"))
        case 128: self = .intentNotFound(try reader.read(Hash.self))
        case 129: self = .intentNotOpen(try reader.read(Hash.self))
        case 130: self = .notIntentAuthor(intent: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 131: self = .intentExpired(intent: try reader.read(Hash.self), deadline: try reader.readUInt64("failure.deadline"))
        case 132: self = .mediatorNotRegistered(try reader.read(Address.self))
        case 133: self = .mediatorStakeTooLow(stake: try reader.read(Amount.self), minimum: try reader.read(Amount.self))
        case 134: self = .intentsInDifferentGroups(try reader.read(Hash.self))
        case 135: self = .duplicateParty(try reader.read(Address.self))
        case 136: self = .mediatorIsParty(try reader.read(Address.self))
        case 137: self = .noComplementaryIntents
        case 138: self = .paymentOutsideParties(try reader.read(Address.self))
        case 139: self = .mediatorFeeAboveRate(fee: try reader.read(Amount.self), maximum: try reader.read(Amount.self))
        case 140: self = .settlementNotFound(try reader.read(Hash.self))
        case 141: self = .settlementNotOpen(try reader.read(Hash.self))
        case 142: self = .acceptDeadlinePassed(settlement: try reader.read(Hash.self), acceptBy: try reader.readUInt64("failure.acceptBy"))
        case 143: self = .notSettlementParty(settlement: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 144: self = .alreadyAccepted(settlement: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 145: self = .settlementNotChallengeable(try reader.read(Hash.self))
        case 146: self = .challengeWindowClosed(settlement: try reader.read(Hash.self), finalizeAt: try reader.readUInt64("failure.finalizeAt"))
        case 147: self = .notEntitledToChallenge(settlement: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 148: self = .challengeBondTooLow(bond: try reader.read(Amount.self), minimum: try reader.read(Amount.self))
        case 149: self = .settlementNotChallenged(try reader.read(Hash.self))
        case 150: self = .acceptDeadlineInvalid(acceptBy: try reader.readUInt64("failure.acceptBy"), height: try reader.readUInt64("failure.height"))
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }

    private static func offerStatus(_ reader: inout CanonicalReader) throws(CodecError) -> OfferStatus {
        let raw = try reader.readUInt8("failure.offerStatus")
        guard let s = OfferStatus(rawValue: raw) else { throw .unknownTag(type: "failure.offerStatus", tag: raw) }
        return s
    }

    private static func purchaseStatus(_ reader: inout CanonicalReader) throws(CodecError) -> PurchaseStatus {
        let raw = try reader.readUInt8("failure.purchaseStatus")
        guard let s = PurchaseStatus(rawValue: raw) else { throw .unknownTag(type: "failure.purchaseStatus", tag: raw) }
        return s
    }
}

/// The result of one included transaction.
public struct Receipt: Hashable, Sendable, CanonicalCodable {
    public var feePaid: Amount
    /// nil when the payload succeeded.
    public var failure: ExecutionFailure?

    public init(feePaid: Amount, failure: ExecutionFailure?) {
        self.feePaid = feePaid
        self.failure = failure
    }

    public var succeeded: Bool { failure == nil }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(feePaid)
        writer.writeOptional(failure)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        feePaid = try reader.read(Amount.self)
        failure = try reader.readOptional(ExecutionFailure.self, "receipt.failure")
    }
}
