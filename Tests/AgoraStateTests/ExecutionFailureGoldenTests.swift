import AgoraCore
import Testing
@testable import AgoraState

/// Pins every execution failure: its canonical bytes (receipts carry them, and the state root
/// covers receipts), its code (APIs and clients match on it) and its message. One value per
/// case is encoded, and digests over the concatenation are compared against constants recorded
/// from the code before the failure cases moved next to their modules. Values are built from
/// constants only, so that nothing but a change to the failures can move a digest.
@Suite("Execution failure golden encodings")
struct ExecutionFailureGoldenTests {
    /// SHA-256 over the concatenated encodings of `samples`, recorded from the untouched codec.
    static let encodingsDigest = "178e9a87926cf2acc40d6a66e689c5aa5faa746193ccb2d7075b5f794202a4e5"
    /// SHA-256 over each sample's `code`, a tab and its `description`, one per line. Re-recorded
    /// once when addresses became Bech32m: messages name addresses in their text form (the
    /// encodings above, which are consensus bytes, did not change).
    static let messagesDigest = "eef03b4fb8e03ad9e7e3b5bcb35276f34a90fb585f85e9d67e4ed12ff6e464d3"
    /// Encodings, codes and messages of the failures appended since, recorded when each was
    /// added, so that the digests above keep pinning the older ones unchanged.
    static let appendedDigest = "97058991cc5006224d96979595afa3140b5e34d66e26c3bfba7954458a2e8320"
    static let appended: [ExecutionFailure] = [
        .claimNotFound(hash(26)),
        .notClaimAuthor(claim: hash(27), address: address(27)),
        .claimAlreadyRetracted(claim: hash(28), height: 28),
        .sourceClaimNotFound(hash(29)),
        .royaltyClaimNotFound(hash(81)),
        .royaltyClaimWithoutSources(hash(82)),
        .royaltyArtifactNotInClaim(claim: hash(83), artifact: hash(0x83)),
    ]

    static func hash(_ byte: UInt8) -> Hash { Hash(bytes: [UInt8](repeating: byte, count: 32))! }
    static func key(_ byte: UInt8) -> PublicKey { PublicKey(bytes: [UInt8](repeating: byte, count: 32))! }
    static func address(_ byte: UInt8) -> Address { Address(raw: [UInt8](repeating: byte, count: 20)) }
    static func amount(_ units: UInt64) -> Amount { Amount(units)! }

    /// One value of every case (two for the one with an optional part), in tag order.
    static let samples: [ExecutionFailure] = [
        .insufficientBalance(balance: amount(1), needed: amount(2)),
        .recipientBalanceCap(maximum: amount(3), resulting: 4),
        .zeroAmount,
        .arithmeticOverflow,
        .notStakingAdmin(sender: address(5)),
        .insufficientBond(bond: amount(6), minimum: amount(7)),
        .validatorSetWouldBeEmpty,
        .tooManyValidators(limit: 8),
        .totalPowerTooHigh(maximum: 9),
        .notAValidator(key(10)),
        .keyTombstoned(key(11)),
        .keyRetired(key(12)),
        .rotationTargetInUse(key(13)),
        .bondLocked(key(14)),
        .unbondAboveBond(bond: amount(15), requested: amount(16)),
        .groupNotFound(hash(16)),
        .notGroupAdmin(group: hash(17), address: address(17)),
        .notGroupMember(group: hash(18), address: address(18)),
        .observerCannotPublish(group: hash(19), address: address(19)),
        .alreadyGroupMember(group: hash(20), address: address(20)),
        .lastGroupAdmin(group: hash(21), address: address(21)),
        .roleUnchanged(group: hash(22), address: address(22), role: .observer),
        .invalidGroupPolicy(.faucetAboveMaxBalance),
        .parentClaimNotFound(hash(24)),
        .parentClaimInOtherGroup(parent: hash(25), group: hash(0x25)),
        .offerNotFound(hash(64)),
        .purchaseNotFound(hash(65)),
        .offerNotOpen(offer: hash(66), status: .slashed),
        .offerExpired(offer: hash(67), expiresAt: 67),
        .offerExpiryNotInFuture(expiresAt: 68, blockTime: 69),
        .cannotBuyOwnOffer(offer: hash(69)),
        .offerAlreadyPurchased(offer: hash(70), purchase: hash(0x70)),
        .notOfferSeller(offer: hash(71), address: address(71)),
        .notPurchaseSeller(purchase: hash(72), address: address(72)),
        .notPurchaseBuyer(purchase: hash(73), address: address(73)),
        .purchaseNotAwaitingDelivery(purchase: hash(74), status: .delivered),
        .deliveryDeadlinePassed(purchase: hash(75), deadline: 75),
        .purchaseNotDelivered(purchase: hash(76), status: .refundedUndelivered),
        .disputeWindowClosed(purchase: hash(77), deadline: 77),
        .disputeKeyMismatch(purchase: hash(78)),
        .deliveredKeyValid(purchase: hash(79)),
        .offerHasOpenPurchases(offer: hash(80), count: 80),
        .taskNotFound(hash(101)),
        .observerCannotTask(group: hash(102), address: address(102)),
        .notTaskManager(task: hash(103), address: address(103)),
        .notTaskAssignee(task: hash(104), address: address(104)),
        .taskWrongState(task: hash(105), state: .inProgress, action: .cancel),
        .taskDeadlinePassed(task: hash(106), deadline: 106, now: 107),
        .taskDeadlineNotReached(task: hash(107), deadline: 107, now: 106),
        .taskDeadlineNotReached(task: hash(107), deadline: nil, now: 106),
        .taskDeadlineInPast(deadline: 108, now: 109),
        .intentNotFound(hash(128)),
        .intentNotOpen(hash(129)),
        .notIntentAuthor(intent: hash(130), address: address(130)),
        .intentExpired(intent: hash(131), deadline: 131),
        .mediatorNotRegistered(address(132)),
        .mediatorStakeTooLow(stake: amount(133), minimum: amount(134)),
        .intentsInDifferentGroups(hash(134)),
        .duplicateParty(address(135)),
        .mediatorIsParty(address(136)),
        .noComplementaryIntents,
        .paymentOutsideParties(address(138)),
        .mediatorFeeAboveRate(fee: amount(139), maximum: amount(140)),
        .settlementNotFound(hash(140)),
        .settlementNotOpen(hash(141)),
        .acceptDeadlinePassed(settlement: hash(142), acceptBy: 142),
        .notSettlementParty(settlement: hash(143), address: address(143)),
        .alreadyAccepted(settlement: hash(144), address: address(144)),
        .settlementNotChallengeable(hash(145)),
        .challengeWindowClosed(settlement: hash(146), finalizeAt: 146),
        .notEntitledToChallenge(settlement: hash(147), address: address(147)),
        .challengeBondTooLow(bond: amount(148), minimum: amount(149)),
        .settlementNotChallenged(hash(149)),
        .acceptDeadlineInvalid(acceptBy: 150, height: 151),
    ]

    /// The governance failures (tags 160–170), pinned apart so the digests above stay as recorded.
    static let governanceSamples: [ExecutionFailure] = [
        .governanceDisabled,
        .proposalNotFound(161),
        .proposalWrongStatus(proposal: 162, status: .vetoed),
        .voterNotBonded(address(163)),
        .paramOutOfRange(key: .govQuorumBps, value: 164, min: 1, max: 10_000),
        .upgradeHeightTooNear(height: 165, earliest: 166),
        .upgradeHeightTaken(height: 166, name: "v166"),
        .upgradeNameTaken("v167"),
        .upgradeNotPlanned("v168"),
        .treasuryInsufficient(balance: amount(169), requested: amount(170)),
        .tooManyDepositors(proposal: 170, limit: 128),
    ]
    static let governanceEncodingsDigest = "ab62c1914101a1774efdfc98a8b1af7ad1cfba7f9d82323939b3d6ccd4f5593a"
    static let governanceMessagesDigest = "e23c094c014447df4faa7f1baf8e4de662981bfc0dae5cbe8b4b0c88d4a9e48f"

    @Test("every governance failure encodes to the recorded bytes and keeps its code and message")
    func governanceDigest() {
        let encodings = Self.governanceSamples.flatMap(\.canonicalBytes)
        #expect(Hash.sha256(encodings).hex == Self.governanceEncodingsDigest)
        let messages = Self.governanceSamples.map { "\($0.code)\t\($0.description)" }.joined(separator: "\n")
        #expect(Hash.sha256(Array(messages.utf8)).hex == Self.governanceMessagesDigest)
        #expect(Set(Self.governanceSamples.map(\.code)).count == 11)
    }

    @Test("every execution failure encodes to the recorded bytes and keeps its code and message")
    func digest() {
        let encodings = Self.samples.flatMap(\.canonicalBytes)
        #expect(Hash.sha256(encodings).hex == Self.encodingsDigest)
        let messages = Self.samples.map { "\($0.code)\t\($0.description)" }.joined(separator: "\n")
        #expect(Hash.sha256(Array(messages.utf8)).hex == Self.messagesDigest)
        #expect(Set(Self.samples.map(\.code)).count == 73)
        let later = Self.appended.flatMap(\.canonicalBytes) + Array(Self.appended.map { "\($0.code)\t\($0.description)" }.joined(separator: "\n").utf8)
        #expect(Hash.sha256(later).hex == Self.appendedDigest)
        #expect(Set((Self.samples + Self.appended).map(\.code)).count == 80)
    }

    @Test("every execution failure round-trips, alone and in a receipt, and refuses a trailing byte and a cut")
    func roundTrips() throws {
        for failure in Self.samples + Self.appended + Self.governanceSamples {
            let bytes = failure.canonicalBytes
            #expect(try ExecutionFailure(canonicalBytes: bytes) == failure)
            #expect(throws: CodecError.self) { try ExecutionFailure(canonicalBytes: bytes + [0]) }
            if bytes.count > 1 {
                #expect(throws: CodecError.self) { try ExecutionFailure(canonicalBytes: Array(bytes.dropLast())) }
            }
            let receipt = Receipt(feePaid: Amount(1)!, failure: failure)
            #expect(try Receipt(canonicalBytes: receipt.canonicalBytes) == receipt)
        }
    }

    @Test("the samples cover every failure tag, and every other tag byte is refused as unknown")
    func coverage() {
        let sampled = Set((Self.samples + Self.appended + Self.governanceSamples).compactMap(\.canonicalBytes.first))
        #expect(sampled.count == 80 + 11)
        let padding = [UInt8](repeating: 1, count: 200)
        for raw in UInt8.min...UInt8.max where !sampled.contains(raw) {
            #expect(throws: CodecError.unknownTag(type: "failure", tag: raw)) { try ExecutionFailure(canonicalBytes: [raw] + padding) }
        }
    }
}
