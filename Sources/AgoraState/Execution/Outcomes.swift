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
    /// claims: the claim to retract does not exist.
    case claimNotFound(Hash)
    /// claims: only a claim's author retracts it.
    case notClaimAuthor(claim: Hash, address: Address)
    /// claims: a claim is retracted once; `height` is when it was.
    case claimAlreadyRetracted(claim: Hash, height: UInt64)
    /// claims: a source (royalty parent) named by a new claim does not exist.
    case sourceClaimNotFound(Hash)
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
    /// market: the claim an offer's royalty names does not exist.
    case royaltyClaimNotFound(Hash)
    /// market: a royalty goes to a claim's sources; this claim names none.
    case royaltyClaimWithoutSources(Hash)
    /// market: the offer's artifact (ciphertext or plaintext hash) is not attached to the royalty's claim.
    case royaltyArtifactNotInClaim(claim: Hash, artifact: Hash)

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

    // governance (failure tags 160-170; Governance/GovernanceFailures.swift)
    case governanceDisabled
    case proposalNotFound(UInt64)
    /// governance: deposits only in the deposit period, votes only in the voting period.
    case proposalWrongStatus(proposal: UInt64, status: ProposalStatus)
    case voterNotBonded(Address)
    case paramOutOfRange(key: ParamKey, value: UInt64, min: UInt64, max: UInt64)
    case upgradeHeightTooNear(height: UInt64, earliest: UInt64)
    case upgradeHeightTaken(height: UInt64, name: String)
    case upgradeNameTaken(String)
    case upgradeNotPlanned(String)
    case treasuryInsufficient(balance: Amount, requested: Amount)
    case tooManyDepositors(proposal: UInt64, limit: UInt32)

    /// The module whose rules raise this failure; its code, message and encoding live next to
    /// that module (e.g. Tasks/TaskFailures.swift).
    public var module: LedgerModule {
        switch self {
        case .insufficientBalance, .recipientBalanceCap, .zeroAmount, .arithmeticOverflow: return .bank
        case .notStakingAdmin, .insufficientBond, .validatorSetWouldBeEmpty, .tooManyValidators, .totalPowerTooHigh, .notAValidator,
             .keyTombstoned, .keyRetired, .rotationTargetInUse, .bondLocked, .unbondAboveBond: return .staking
        case .groupNotFound, .notGroupAdmin, .notGroupMember, .alreadyGroupMember, .lastGroupAdmin, .roleUnchanged, .invalidGroupPolicy:
            return .groups
        case .observerCannotPublish, .parentClaimNotFound, .parentClaimInOtherGroup, .claimNotFound, .notClaimAuthor, .claimAlreadyRetracted,
             .sourceClaimNotFound:
            return .claims
        case .offerNotFound, .purchaseNotFound, .offerNotOpen, .offerExpired, .offerExpiryNotInFuture, .cannotBuyOwnOffer,
             .offerAlreadyPurchased, .notOfferSeller, .notPurchaseSeller, .notPurchaseBuyer, .purchaseNotAwaitingDelivery,
             .deliveryDeadlinePassed, .purchaseNotDelivered, .disputeWindowClosed, .disputeKeyMismatch, .deliveredKeyValid,
             .offerHasOpenPurchases, .royaltyClaimNotFound, .royaltyClaimWithoutSources, .royaltyArtifactNotInClaim: return .market
        case .taskNotFound, .observerCannotTask, .notTaskManager, .notTaskAssignee, .taskWrongState, .taskDeadlinePassed,
             .taskDeadlineNotReached, .taskDeadlineInPast: return .tasks
        case .intentNotFound, .intentNotOpen, .notIntentAuthor, .intentExpired, .mediatorNotRegistered, .mediatorStakeTooLow,
             .intentsInDifferentGroups, .duplicateParty, .mediatorIsParty, .noComplementaryIntents, .paymentOutsideParties,
             .mediatorFeeAboveRate, .settlementNotFound, .settlementNotOpen, .acceptDeadlinePassed, .notSettlementParty,
             .alreadyAccepted, .settlementNotChallengeable, .challengeWindowClosed, .notEntitledToChallenge, .challengeBondTooLow,
             .settlementNotChallenged, .acceptDeadlineInvalid: return .intents
        case .governanceDisabled, .proposalNotFound, .proposalWrongStatus, .voterNotBonded, .paramOutOfRange, .upgradeHeightTooNear,
             .upgradeHeightTaken, .upgradeNameTaken, .upgradeNotPlanned, .treasuryInsufficient, .tooManyDepositors: return .governance
        }
    }

    /// The module that owns failure code `tag` (the first byte of the encoding); nil for a code
    /// no module uses. Claims kept 19 from before the ranges were set apart; 26–63 are free
    /// after claims' 26–29.
    static func module(ofCode tag: UInt8) -> LedgerModule? {
        switch tag {
        case 1...4: return .bank
        case 5...15: return .staking
        case 16...18, 20...23: return .groups
        case 19, 24...29: return .claims
        case 64...83: return .market
        case 101...108: return .tasks
        case 128...150: return .intents
        case 160...170: return .governance
        default: return nil
        }
    }

    public var code: String {
        switch module {
        case .bank: return bankCode
        case .staking: return stakingCode
        case .groups: return groupCode
        case .claims: return claimCode
        case .market: return marketCode
        case .tasks: return taskCode
        case .intents: return intentCode
        case .governance: return governanceCode
        }
    }

    public var description: String {
        switch module {
        case .bank: return bankDescription
        case .staking: return stakingDescription
        case .groups: return groupDescription
        case .claims: return claimDescription
        case .market: return marketDescription
        case .tasks: return taskDescription
        case .intents: return intentDescription
        case .governance: return governanceDescription
        }
    }

    public func encode(to writer: inout CanonicalWriter) {
        switch module {
        case .bank: encodeBankFailure(to: &writer)
        case .staking: encodeStakingFailure(to: &writer)
        case .groups: encodeGroupFailure(to: &writer)
        case .claims: encodeClaimFailure(to: &writer)
        case .market: encodeMarketFailure(to: &writer)
        case .tasks: encodeTaskFailure(to: &writer)
        case .intents: encodeIntentFailure(to: &writer)
        case .governance: encodeGovernanceFailure(to: &writer)
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let tag = try reader.readUInt8("failure.tag")
        guard let module = Self.module(ofCode: tag) else { throw .unknownTag(type: "failure", tag: tag) }
        switch module {
        case .bank: self = try .decodeBankFailure(tag, from: &reader)
        case .staking: self = try .decodeStakingFailure(tag, from: &reader)
        case .groups: self = try .decodeGroupFailure(tag, from: &reader)
        case .claims: self = try .decodeClaimFailure(tag, from: &reader)
        case .market: self = try .decodeMarketFailure(tag, from: &reader)
        case .tasks: self = try .decodeTaskFailure(tag, from: &reader)
        case .intents: self = try .decodeIntentFailure(tag, from: &reader)
        case .governance: self = try .decodeGovernanceFailure(tag, from: &reader)
        }
    }

    /// A module's function reached with another module's case: `module` and that module's
    /// switch disagree, a programming error that would write wrong receipt bytes, so it stops
    /// the node instead. Unreachable while they agree (the golden test covers every case).
    func misrouted(_ module: LedgerModule) -> Never {
        preconditionFailure("a \(self.module) failure reached the \(module) module's codec")
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
