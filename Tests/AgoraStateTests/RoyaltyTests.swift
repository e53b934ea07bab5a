import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// Royalties: a claim names sources, an offer of an artifact attached to it names a share, and
/// the sale's settlement pays that share of the seller's proceeds to the sources' authors.
@Suite("Market royalties to a claim's sources")
struct RoyaltyTests {
    /// A group with bob and carol as members; bob and carol each publish a source claim; the
    /// seller publishes `claim` on the offer's artifact naming both (or `sources`) as sources.
    struct Setup {
        var m: MarketLedger
        let group: Hash
        let bobClaim: Hash, carolClaim: Hash, claim: Hash

        init(sources: ((Hash, Hash) -> [Hash])? = nil, artifact: Hash = Hash.sha256([9])) throws {
            m = try MarketLedger()
            let seller = m.seller, bob = m.other, carol = m.outsider
            group = LedgerID.group(creator: seller.address, nonce: m.g.l.nonces[seller.address] ?? 0)
            #expect(try m.run(seller, .createGroup(name: "lab", policy: .none)) == nil)
            #expect(try m.block([(seller, .addGroupMember(group: group, member: bob.address, role: .member)),
                                 (seller, .addGroupMember(group: group, member: carol.address, role: .member))]) == [nil, nil])
            bobClaim = LedgerID.claim(author: bob.address, nonce: m.g.l.nonces[bob.address] ?? 0)
            carolClaim = LedgerID.claim(author: carol.address, nonce: m.g.l.nonces[carol.address] ?? 0)
            #expect(try m.block([(bob, Self.claim(group, "the dataset")), (carol, Self.claim(group, "the method"))]) == [nil, nil])
            claim = LedgerID.claim(author: seller.address, nonce: m.g.l.nonces[seller.address] ?? 0)
            let named = sources?(bobClaim, carolClaim) ?? [bobClaim, carolClaim].sorted()
            #expect(try m.run(seller, Self.claim(group, "the trained weights", artifacts: [ArtifactRef(sha256: artifact, size: 100)],
                                                 sources: named)) == nil)
        }

        static func claim(_ group: Hash, _ text: String, artifacts: [ArtifactRef] = [], sources: [Hash] = []) -> Payload {
            .publishClaim(ClaimContent(group: group, text: text, tags: [], parent: nil, artifacts: artifacts, sources: sources))
        }
    }

    /// Sells the offer once (buy, deliver, dispute window passes) and returns the purchase.
    static func sell(_ m: inout MarketLedger, _ offer: Hash) throws -> Hash {
        let (purchase, _) = try m.buy(offer)
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: try m.sealed(purchase))) == nil)
        try m.wait(11_000)
        #expect(try m.purchase(purchase)?.status == .released)
        return purchase
    }

    @Test("a sale pays 30% of the proceeds after the fee to the two source authors, ⌊pool / 2⌋ each; the remainder stays with the seller")
    func saleSplitsRoyalty() throws {
        var s = try Setup()
        #expect(try Claims.sources(s.claim, state: s.m.g.l.state)?.authors == [s.m.other.address, s.m.outsider.address].sorted())
        var terms = s.m.terms(price: 1_000)
        terms.royalty = Royalty(claim: s.claim, bps: 3_000)
        let offer = try s.m.offer(terms)
        #expect(try Royalties.royalty(offer: offer, state: s.m.g.l.state) == Royalty(claim: s.claim, bps: 3_000))
        #expect(try s.m.offerRecord(offer)?.terms.royalty == nil)  // the record keeps its encoding
        let seller0 = try s.m.balance(s.m.seller), bob0 = try s.m.balance(s.m.other), carol0 = try s.m.balance(s.m.outsider)
        _ = try Self.sell(&s.m, offer)
        // price 1,000; fee 1% = 10; proceeds 990; pool ⌊990 × 3,000 / 10,000⌋ = 297; 148 each, 1 left to the seller.
        #expect(try s.m.balance(s.m.other) == bob0 + 148)
        #expect(try s.m.balance(s.m.outsider) == carol0 + 148)
        #expect(try s.m.balance(s.m.seller) == seller0 - 1 + 990 - 296)
    }

    @Test("one author of several sources is paid once; an offer without a royalty pays the seller everything")
    func authorsAreDistinctAndRoyaltyIsOptional() throws {
        var s = try Setup()
        // A second claim by the seller naming bob's claim twice over (bob's and a reply by bob).
        let bob = s.m.other
        let reply = LedgerID.claim(author: bob.address, nonce: s.m.g.l.nonces[bob.address] ?? 0)
        #expect(try s.m.run(bob, Setup.claim(s.group, "more data")) == nil)
        let derived = LedgerID.claim(author: s.m.seller.address, nonce: s.m.g.l.nonces[s.m.seller.address] ?? 0)
        let artifact = ArtifactRef(sha256: Hash.sha256([8]), size: 7)  // the plaintext hash of the market fixture
        #expect(try s.m.run(s.m.seller, Setup.claim(s.group, "v2", artifacts: [artifact], sources: [s.bobClaim, reply].sorted())) == nil)
        #expect(try Claims.sources(derived, state: s.m.g.l.state)?.authors == [bob.address])
        var terms = s.m.terms(price: 1_001)
        terms.royalty = Royalty(claim: derived, bps: 1)
        let offer = try s.m.offer(terms)
        let bob0 = try s.m.balance(bob)
        _ = try Self.sell(&s.m, offer)
        // proceeds 1,001 − 10 = 991; pool ⌊991 / 10,000⌋ = 0: nothing to pay, nothing paid.
        #expect(try s.m.balance(bob) == bob0)
        terms = s.m.terms(price: 100_000)
        terms.royalty = Royalty(claim: derived, bps: 100)
        let second = try s.m.offer(terms)
        _ = try Self.sell(&s.m, second)
        #expect(try s.m.balance(bob) == bob0 + 990)  // 1% of 99,000
        let plain = try s.m.offer(s.m.terms(price: 1_000))
        let bob1 = try s.m.balance(bob)
        _ = try Self.sell(&s.m, plain)
        #expect(try s.m.balance(bob) == bob1)
    }

    @Test("failure codes: unknown source, unknown royalty claim, a claim without sources, an artifact not attached to the claim")
    func failures() throws {
        var s = try Setup()
        let missing = Hash.sha256([77])
        #expect(try s.m.run(s.m.other, Setup.claim(s.group, "x", sources: [s.bobClaim, missing].sorted())) == .sourceClaimNotFound(missing))
        var terms = s.m.terms()
        terms.royalty = Royalty(claim: missing, bps: 10)
        #expect(try s.m.run(s.m.seller, .createOffer(terms)) == .royaltyClaimNotFound(missing))
        terms.royalty = Royalty(claim: s.bobClaim, bps: 10)
        #expect(try s.m.run(s.m.seller, .createOffer(terms)) == .royaltyClaimWithoutSources(s.bobClaim))
        var other = try Setup(artifact: Hash.sha256([1, 2, 3]))
        terms = other.m.terms()
        terms.royalty = Royalty(claim: other.claim, bps: 10)
        #expect(try other.m.run(other.m.seller, .createOffer(terms)) == .royaltyArtifactNotInClaim(claim: other.claim, artifact: terms.artifact.sha256))
    }

    @Test("the codec refuses a royalty of 0 or above 30%, and sources that are empty, unsorted or repeated")
    func codecBounds() throws {
        func offerBytes(_ bps: UInt16) throws -> [UInt8] {
            let m = try MarketLedger()
            var w = CanonicalWriter()
            w.write(UInt8(42)); w.write(m.terms()); w.write(Hash.sha256([1])); w.write(bps)
            return w.bytes
        }
        #expect(try Payload(canonicalBytes: try offerBytes(3_000)).tag == .createOfferWithRoyalty)
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: try offerBytes(3_001)) }
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: try offerBytes(0)) }
        func claimBytes(_ sources: [Hash]) -> [UInt8] {
            var w = CanonicalWriter()
            w.write(UInt8(41)); w.write(ClaimContent(group: Hash.sha256([2]), text: "t", tags: [], parent: nil, artifacts: [])); w.writeArray(sources)
            return w.bytes
        }
        let (a, b) = (Hash.sha256([3]), Hash.sha256([4]))
        #expect(try Payload(canonicalBytes: claimBytes([a, b].sorted())).tag == .publishClaimWithSources)
        for bad in [[], [a, b].sorted().reversed(), [a, a]] as [[Hash]] {
            #expect(throws: CodecError.self) { try Payload(canonicalBytes: claimBytes(bad)) }
        }
        // A claim without sources keeps tag 14 and its old bytes.
        let plain = Payload.publishClaim(ClaimContent(group: a, text: "t", tags: [], parent: nil, artifacts: []))
        #expect(plain.tag == .publishClaim)
    }

    @Test("property: shares are equal, never exceed the pool, and leave less than one unit per recipient (seeded)", arguments: [1, 2, 3] as [UInt64])
    func splitProperty(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<2_000 {
            let n = Int(rng.next() % 8) + 1
            let recipients = (0..<n).map { Address(raw: [UInt8](repeating: UInt8($0), count: 20)) }
            let proceeds = Amount(rng.next() % (UInt64(1) << 62))!
            let bps = UInt16(rng.next() % UInt64(MarketBounds.maxRoyaltyBps)) + 1
            let pool = Royalties.pool(proceeds: proceeds, bps: bps)
            #expect(pool.units <= proceeds.units / 10_000 * UInt64(bps) + UInt64(bps))
            #expect(pool.units * 10 <= proceeds.units * 3)
            let shares = Royalties.shares(of: pool, among: recipients)
            let total = shares.reduce(UInt64(0)) { $0 + $1.amount.units }
            #expect(total <= pool.units && pool.units - total < UInt64(n))
            #expect(Set(shares.map(\.amount)).count <= 1)
            #expect(shares.isEmpty || shares.map(\.recipient) == recipients)
        }
    }
}
