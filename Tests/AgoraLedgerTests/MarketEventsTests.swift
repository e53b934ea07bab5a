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
}
