import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Testing

/// The market's events through a real chain: one per successful market transaction, none for a
/// failed one, and `market.released` / `market.refunded` from the block whose end settled a
/// purchase — events that no transaction of that block carries.
@Suite("Market events")
struct MarketEventsTests {
    static func types(_ batch: [EventBus.Event]) -> [String] {
        batch.compactMap { e -> String? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(e.json.utf8)) as? [String: Any] else { return nil }
            return o["type"] as? String
        }
    }

    @Test("offered, bought, delivered, then released by settlement; a refund by settlement; a failed payload publishes nothing")
    func events() async throws {
        let validator = SigningKey(), seller = SigningKey(), buyer = SigningKey(), late = SigningKey()
        let dir = NSTemporaryDirectory() + "agora-market-events-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        try store.initialize(try Genesis(
            chainID: "ev", genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 3, count: 20)).description, transferFeeBps: 0, minFee: Amount(1)!,
                          faucetAmount: .zero, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!, blockReward: .zero),
            allocations: [seller, buyer, late].map { .init(address: $0.address.description, amount: Amount(10_000)!) }).resolve())
        let chain = try Chain(store: store, validatorKey: validator, logger: Logger(label: "test"))
        let sub = chain.events.subscribe(.init(modules: ["market"]))
        var it = sub.events.makeAsyncIterator()
        func send(_ key: SigningKey, _ nonce: UInt64, _ payload: Payload) throws {
            try chain.submit(key.sign(TransactionBody(chainID: "ev", sender: key.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: 100,
                                                      payload: payload)))
        }
        let contentKey = [UInt8](repeating: 7, count: 32)
        let terms = OfferTerms(title: "t", artifact: ArtifactRef(sha256: Hash.sha256([1]), size: 10), plaintextSHA256: Hash.sha256([2]),
                               keyCommitment: MarketSeal.commitment(contentKey: contentKey), price: Amount(100)!, bond: Amount(10)!,
                               expiresAt: 1_000_000, deliveryWindowMs: 1_000, disputeWindowMs: 1_000, group: nil)
        let offer = LedgerID.offer(seller: seller.address, nonce: 0)
        try send(seller, 0, .createOffer(terms))
        try chain.produceBlock(now: 2_000)
        #expect(Self.types(try #require(await it.next())) == ["market.offered"])

        let purchase = LedgerID.purchase(buyer: buyer.address, nonce: 0)
        let (_, buyerKey) = MarketSeal.newBuyerKey()
        try send(buyer, 0, .buyOffer(offer: offer, buyerKey: buyerKey))
        try send(late, 0, .buyOffer(offer: offer, buyerKey: buyerKey))
        try send(seller, 1, .cancelOffer(offer: offer))  // fails: open purchases
        try chain.produceBlock(now: 3_000)
        let bought = try #require(await it.next())
        #expect(Self.types(bought) == ["market.bought", "market.bought"])
        #expect(bought[0].json.contains(purchase.hex))

        let sealed = try MarketSeal.seal(contentKey: contentKey, to: buyerKey, chainID: "ev", purchase: purchase)
        try send(seller, 2, .deliverKey(purchase: purchase, sealed: sealed))
        try chain.produceBlock(now: 3_500)
        #expect(Self.types(try #require(await it.next())) == ["market.delivered"])

        // The late buyer's delivery deadline (4,000) and the buyer's dispute window (4,500) both
        // end before this block: settled at its end, with no transaction in it.
        try chain.produceBlock(now: 6_000)
        let settled = try #require(await it.next())
        #expect(Set(Self.types(settled)) == ["market.released", "market.refunded"])
        let released = try #require(settled.first { $0.json.contains("market.released") })
        #expect(released.json.contains(purchase.hex) && released.accounts == [seller.address])
        #expect(try Market.purchase(purchase, state: chain.cache)?.status == .released)
    }

    @Test("market.released lists each royalty share (recipient, amount, source claim) and reaches the recipients' account filters")
    func releaseListsRoyalties() async throws {
        let validator = SigningKey(), seller = SigningKey(), buyer = SigningKey(), bob = SigningKey(), carol = SigningKey()
        let dir = NSTemporaryDirectory() + "agora-royalty-events-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        try store.initialize(try Genesis(
            chainID: "ev", genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 3, count: 20)).description, transferFeeBps: 100, minFee: Amount(1)!,
                          faucetAmount: .zero, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!, blockReward: .zero),
            allocations: [seller, buyer, bob, carol].map { .init(address: $0.address.description, amount: Amount(10_000)!) }).resolve())
        let chain = try Chain(store: store, validatorKey: validator, logger: Logger(label: "test"))
        func send(_ key: SigningKey, _ nonce: UInt64, _ payload: Payload) throws {
            try chain.submit(key.sign(TransactionBody(chainID: "ev", sender: key.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: 100,
                                                      payload: payload)))
        }
        let group = LedgerID.group(creator: seller.address, nonce: 0)
        func claim(_ text: String, artifacts: [ArtifactRef] = [], sources: [Hash] = []) -> Payload {
            .publishClaim(ClaimContent(group: group, text: text, tags: [], parent: nil, artifacts: artifacts, sources: sources))
        }
        try send(seller, 0, .createGroup(name: "lab", policy: .none))
        try send(seller, 1, .addGroupMember(group: group, member: bob.address, role: .member))
        try send(seller, 2, .addGroupMember(group: group, member: carol.address, role: .member))
        try chain.produceBlock(now: 2_000)
        let bobClaim = LedgerID.claim(author: bob.address, nonce: 0), carolClaim = LedgerID.claim(author: carol.address, nonce: 0)
        try send(bob, 0, claim("the dataset"))
        try send(carol, 0, claim("the method"))
        try chain.produceBlock(now: 2_500)
        let contentKey = [UInt8](repeating: 7, count: 32)
        var terms = OfferTerms(title: "t", artifact: ArtifactRef(sha256: Hash.sha256([1]), size: 10), plaintextSHA256: Hash.sha256([2]),
                               keyCommitment: MarketSeal.commitment(contentKey: contentKey), price: Amount(1_000)!, bond: Amount(10)!,
                               expiresAt: 1_000_000, deliveryWindowMs: 1_000, disputeWindowMs: 1_000, group: nil)
        let weights = LedgerID.claim(author: seller.address, nonce: 3)
        try send(seller, 3, claim("the weights", artifacts: [terms.artifact], sources: [bobClaim, carolClaim].sorted()))
        try chain.produceBlock(now: 2_700)
        terms.royalty = Royalty(claim: weights, bps: 3_000)
        try send(seller, 4, .createOffer(terms))
        try chain.produceBlock(now: 2_800)
        let offer = LedgerID.offer(seller: seller.address, nonce: 4), purchase = LedgerID.purchase(buyer: buyer.address, nonce: 0)
        let (_, buyerKey) = MarketSeal.newBuyerKey()
        try send(buyer, 0, .buyOffer(offer: offer, buyerKey: buyerKey))
        try chain.produceBlock(now: 3_000)
        try send(seller, 5, .deliverKey(purchase: purchase, sealed: try MarketSeal.seal(contentKey: contentKey, to: buyerKey, chainID: "ev",
                                                                                      purchase: purchase)))
        try chain.produceBlock(now: 3_500)

        // Only bob's account: the release reaches him because it paid him.
        let sub = chain.events.subscribe(.init(accounts: [bob.address]))
        try chain.produceBlock(now: 6_000)
        var it = sub.events.makeAsyncIterator()
        let batch = try #require(await it.next())
        let released = try #require(batch.first { $0.json.contains("market.released") })
        #expect(Set(released.accounts) == [seller.address, bob.address, carol.address])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(released.json.utf8)) as? [String: Any])
        let royalties = try #require(object["royalties"] as? [[String: Any]])
        // price 1,000; fee 1% = 10; proceeds 990; pool ⌊990 × 3,000 / 10,000⌋ = 297; 148 to each author, sorted by address.
        let authors = [bob.address, carol.address].sorted()
        #expect(royalties.map { $0["recipient"] as? String } == authors.map(\.description))
        #expect(royalties.map { ($0["amount"] as? NSNumber)?.intValue } == [148, 148])
        #expect(royalties.map { $0["claim"] as? String } == [weights.hex, weights.hex])
        #expect(object["purchase"] as? String == purchase.hex)
    }
}
