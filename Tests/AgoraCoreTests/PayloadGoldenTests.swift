import Testing
@testable import AgoraCore

/// Pins the canonical encoding of every payload case: one value per case, encoded, concatenated
/// and hashed against a digest recorded from the code before the codec was split per module.
/// The bytes are consensus (transaction IDs and signatures cover them), so any change to them,
/// however small, must fail here. Every value is built from constants, never from a shared
/// fixture, so that only a codec change can move the digest.
@Suite("Payload golden encodings")
struct PayloadGoldenTests {
    /// SHA-256 over the concatenated encodings of `samples`, recorded from the untouched codec.
    static let encodingsDigest = "bc35e20012500c9b3b1fed71734191134187ea36f96ac0d7a417c4553ea3bb06"
    /// SHA-256 over the samples' `kind` names joined by newlines.
    static let kindsDigest = "b2749db670a745451b1c11dc78962e3af9436fae0b18f5942f39f77eb39fa38f"
    /// The same over the cases appended since (each recorded when its case was added), so that
    /// the digests above keep pinning the older bytes unchanged.
    static let appendedDigest = "b1971bef9e23e32d3b49f6c19625acf698d937d77d2a648af680b83d100e60be"

    static func appended() -> [Payload] {
        [.retractClaim(claim: hash(35), reason: "superseded by a later measurement ✓"),
         .publishClaim(ClaimContent(group: hash(41), text: "derived", tags: ["ml"], parent: nil,
                                    artifacts: [ArtifactRef(sha256: hash(0x41), size: 41)], sources: [hash(1), hash(2)])),
         .createOffer(OfferTerms(title: "weights", artifact: ArtifactRef(sha256: hash(0x41), size: 41), plaintextSHA256: hash(42),
                                 keyCommitment: hash(0x42), price: Amount(42)!, bond: Amount(4)!, expiresAt: 42, deliveryWindowMs: 1_000,
                                 disputeWindowMs: 2_000, group: nil, royalty: Royalty(claim: hash(41), bps: 3_000)))]
    }

    static func hash(_ byte: UInt8) -> Hash { Hash(bytes: [UInt8](repeating: byte, count: 32))! }
    static func key(_ byte: UInt8) -> PublicKey { PublicKey(bytes: [UInt8](repeating: byte, count: 32))! }
    static func signature(_ byte: UInt8) -> Signature { Signature(bytes: [UInt8](repeating: byte, count: 64))! }
    static func address(_ byte: UInt8) -> Address { Address(raw: [UInt8](repeating: byte, count: 20)) }
    static func bytes32(_ byte: UInt8) -> Bytes32 { Bytes32([UInt8](repeating: byte, count: 32)) }
    static let policy = GroupPolicy(faucetAmount: Amount(5)!, claimReward: Amount(2)!, transferFeeBps: 25,
                                    maxSupply: Amount(1_000)!, maxBalance: Amount(500)!)
    static let refs = [ArtifactRef(sha256: hash(0x41), size: 10), ArtifactRef(sha256: hash(0x42), size: 20)].sorted()

    static func evidence() -> DuplicateVoteEvidence {
        func signed(_ block: Hash, _ sig: UInt8) -> SignedVote {
            SignedVote(vote: Vote(chainID: "chain", height: 7, round: 2, kind: .precommit, blockHash: block),
                       validator: key(0x31), signature: signature(sig))
        }
        return try! DuplicateVoteEvidence(signed(hash(0x32), 0x33), signed(hash(0x34), 0x35))
    }

    static func proposal() -> SettlementProposal {
        SettlementProposal(intents: [hash(0x51), hash(0x52)], termsText: "alice delivers 10 GPU hours; bob pays 1750",
                           terms: try! IntentTerms.parse("asset=gpu-hours amount=10 price=1750"),
                           payments: [SettlementPayment(from: address(0x53), to: address(0x54), amount: Amount(1750)!)],
                           mediatorFee: Amount(35)!, acceptBy: 90, challengeWindow: 10,
                           score: MatchScore(source: 1, kind: 1000, terms: 1000, text: 640, total: 820))
    }

    /// One value of every case (two where a case has an optional part), in tag order.
    static func samples() -> [Payload] {
        [
            .transfer(to: address(1), amount: Amount(1_234)!, memo: "rent"),
            .faucet,
            .validatorUpdate(publicKey: key(3), power: 10),
            .bond(amount: Amount(40)!),
            .unbond(amount: Amount(50)!),
            .rotateValidatorKey(newKey: key(6), proof: signature(6)),
            .evidence(evidence()),
            .createGroup(name: "researchers", policy: policy),
            .addGroupMember(group: hash(9), member: address(9), role: .observer),
            .removeGroupMember(group: hash(10), member: address(10)),
            .setGroupRole(group: hash(11), member: address(11), role: .admin),
            .updateGroupPolicy(group: hash(12), policy: .none),
            .fundGroup(group: hash(13), amount: Amount(13)!),
            .publishClaim(ClaimContent(group: hash(14), text: "the sky is blue", tags: ["ai", "rust"], parent: hash(0x14), artifacts: refs)),
            .publishClaim(ClaimContent(group: hash(14), text: "x", tags: [], parent: nil, artifacts: [])),
            .createOffer(OfferTerms(title: "dataset v1", artifact: ArtifactRef(sha256: hash(15), size: 1_234), plaintextSHA256: hash(0x15),
                                    keyCommitment: hash(0x16), price: Amount(500)!, bond: Amount(100)!, expiresAt: 1_700_000_000_000,
                                    deliveryWindowMs: 5_000, disputeWindowMs: 60_000, group: hash(0x17))),
            .createOffer(OfferTerms(title: "t", artifact: ArtifactRef(sha256: hash(15), size: 1), plaintextSHA256: hash(0x15),
                                    keyCommitment: hash(0x16), price: Amount(1)!, bond: Amount(1)!, expiresAt: 1_700_000_000_000,
                                    deliveryWindowMs: 5_000, disputeWindowMs: 60_000, group: nil)),
            .cancelOffer(offer: hash(16)),
            .buyOffer(offer: hash(17), buyerKey: bytes32(17)),
            .deliverKey(purchase: hash(18), sealed: SealedContentKey(encapsulatedKey: bytes32(18), ciphertext: [UInt8](repeating: 0x18, count: 48))),
            .disputePurchase(purchase: hash(19), buyerSecret: bytes32(19)),
            .createTask(TaskSpec(group: hash(21), title: "review the draft", description: "two pages", reward: Amount(50)!,
                                 deadline: 1_700_000_000_000, artifacts: refs)),
            .createTask(TaskSpec(group: hash(21), title: "t")),
            .assignTask(task: hash(22), assignee: address(22)),
            .startTask(task: hash(23)),
            .completeTask(task: hash(24), result: TaskResult(text: "done", artifacts: refs)),
            .failTask(task: hash(25), reason: "blocked"),
            .cancelTask(task: hash(26)),
            .expireTask(task: hash(27)),
            .postIntent(IntentContent(group: hash(28), kind: .offer, text: "spare GPU hours",
                                      terms: try! IntentTerms.parse("asset=gpu-hours amount=10..20 price=5..9 deadline=100"), bond: Amount(5)!)),
            .postIntent(IntentContent(group: hash(28), kind: .request, text: "a bike")),
            .withdrawIntent(intent: hash(29)),
            .registerMediator(stake: Amount(100)!, feeBps: 250),
            .proposeSettlement(proposal()),
            .acceptSettlement(settlement: hash(32)),
            .challengeSettlement(settlement: hash(33), reason: "not as described", bond: Amount(10)!),
            .resolveChallenge(settlement: hash(34), upheld: true),
        ]
    }

    /// The governance payloads (tags 48–50), one submission per proposal kind, pinned apart so
    /// the digests above stay as recorded.
    static func governanceSamples() -> [Payload] {
        func submit(_ action: ProposalAction) -> Payload {
            .submitProposal(content: ProposalContent(title: "t \(action.kind)", summary: "s", action: action), deposit: Amount(35)!)
        }
        return [
            submit(.text),
            submit(.parameterChange([ParamChange(key: .bankTransferFeeBps, value: 300), ParamChange(key: .govVetoBps, value: 3_340)])),
            submit(.validatorChange([Validator(publicKey: key(0x35), power: 2), Validator(publicKey: key(0x36), power: 0)])),
            submit(.treasurySpend(to: address(0x35), amount: Amount(350)!)),
            submit(.softwareUpgrade(UpgradePlan(name: "v2-fee-round-up", height: 3_500, info: "fees round up"))),
            submit(.cancelUpgrade(name: "v2-fee-round-up")),
            .depositProposal(proposal: 36, amount: Amount(36)!),
            .voteProposal(proposal: 37, option: .noWithVeto),
        ]
    }
    static let governanceEncodingsDigest = "43e038f41d11eb70c2c0dfc95c0b11ee4e814732644520b39516f4cef109c498"

    @Test("every governance payload encodes to the recorded bytes and round-trips")
    func governanceDigest() throws {
        let samples = Self.governanceSamples()
        #expect(Hash.sha256(samples.flatMap(\.canonicalBytes)).hex == Self.governanceEncodingsDigest)
        for payload in samples {
            let bytes = payload.canonicalBytes
            #expect(try Payload(canonicalBytes: bytes) == payload)
            #expect(throws: CodecError.self) { try Payload(canonicalBytes: bytes + [0]) }
            #expect(throws: CodecError.self) { try Payload(canonicalBytes: Array(bytes.dropLast())) }
        }
    }

    @Test("every payload case encodes to the recorded bytes")
    func digest() {
        let samples = Self.samples()
        let encodings = samples.flatMap(\.canonicalBytes)
        #expect(Hash.sha256(encodings).hex == Self.encodingsDigest)
        #expect(Hash.sha256(Array(samples.map(\.kind).joined(separator: "\n").utf8)).hex == Self.kindsDigest)
        let later = Self.appended()
        #expect(Hash.sha256(later.flatMap(\.canonicalBytes) + Array(later.map(\.kind).joined(separator: "\n").utf8)).hex == Self.appendedDigest)
    }

    @Test("a retraction's reason must be 1-280 bytes without control characters")
    func retractionReasonBounds() throws {
        func encoded(_ reason: String) -> [UInt8] {
            var w = CanonicalWriter()
            w.write(UInt8(40)); w.write(Self.hash(1)); w.writeString(reason)
            return w.bytes
        }
        #expect(try Payload(canonicalBytes: encoded(String(repeating: "r", count: 280))) == .retractClaim(claim: Self.hash(1), reason: String(repeating: "r", count: 280)))
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: encoded(String(repeating: "r", count: 281))) }
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: encoded("")) }
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: encoded("line\nbreak")) }
    }

    @Test("every payload case round-trips, and refuses a trailing byte and a cut")
    func roundTrips() throws {
        for payload in Self.samples() + Self.appended() {
            let bytes = payload.canonicalBytes
            #expect(bytes.first == payload.tag.rawValue)
            #expect(try Payload(canonicalBytes: bytes) == payload)
            #expect(throws: CodecError.self) { try Payload(canonicalBytes: bytes + [0]) }
            #expect(throws: CodecError.self) { try Payload(canonicalBytes: Array(bytes.dropLast())) }
        }
    }

    @Test("the samples cover every tag, and every other tag byte is refused as unknown")
    func coverage() {
        let sampled = Set((Self.samples() + Self.appended() + Self.governanceSamples()).map(\.tag.rawValue))
        for raw in UInt8.min...UInt8.max {
            if Payload.Tag(rawValue: raw) != nil {
                #expect(sampled.contains(raw), "no sample for payload tag \(raw)")
            } else {
                #expect(throws: CodecError.unknownTag(type: "payload", tag: raw)) { try Payload(canonicalBytes: [raw] + [UInt8](repeating: 0, count: 64)) }
            }
        }
    }
}
