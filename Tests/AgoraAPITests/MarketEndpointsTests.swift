import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import HummingbirdTesting
import Testing

@Suite("API: market")
struct MarketEndpointsTests {
    /// Alice funds bob and offers two artifacts; bob buys the first.
    struct Fixture {
        let h: APIHarness
        let bob = SigningKey()
        let first: Hash
        let second: Hash
        let purchase: Hash

        init() throws {
            h = try APIHarness()
            first = LedgerID.offer(seller: h.alice.address, nonce: 1)
            second = LedgerID.offer(seller: h.alice.address, nonce: 2)
            purchase = LedgerID.purchase(buyer: bob.address, nonce: 0)
            func terms(_ price: UInt64) -> OfferTerms {
                OfferTerms(title: "t\(price)", artifact: ArtifactRef(sha256: Hash.sha256([1]), size: 10), plaintextSHA256: Hash.sha256([2]),
                           keyCommitment: Hash.sha256([3]), price: Amount(price)!, bond: Amount(5)!, expiresAt: 1_000_000,
                           deliveryWindowMs: 60_000, disputeWindowMs: 60_000, group: nil)
            }
            let payloads: [Payload] = [.transfer(to: bob.address, amount: Amount(1_000)!, memo: ""), .createOffer(terms(100)), .createOffer(terms(200))]
            for (i, p) in payloads.enumerated() {
                try h.chain.submit(h.alice.sign(TransactionBody(chainID: "api-test", sender: h.alice.publicKey, nonce: UInt64(i),
                                                                fee: Amount(1)!, expiresAt: 100, payload: p)))
            }
            try h.chain.produceBlock(now: 2_000)
            try h.chain.submit(bob.sign(TransactionBody(chainID: "api-test", sender: bob.publicKey, nonce: 0, fee: Amount(1)!, expiresAt: 100,
                                                        payload: .buyOffer(offer: first, buyerKey: MarketSeal.newBuyerKey().publicKey))))
            try h.chain.produceBlock(now: 3_000)
        }
    }

    @Test("offers list in ID order, page by cursor, filter by seller, and read one by ID")
    func offers() async throws {
        let f = try Fixture()
        let ids = [f.first.hex, f.second.hex].sorted()
        try await f.h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/market/offers?limit=1", method: .get) { r in
                let page = try decode(API.ListView<API.OfferView>.self, r.body)
                #expect(page.items.map(\.id) == [ids[0]] && page.nextCursor == ids[0])
            }
            try await client.execute(uri: "/api/v1/market/offers?limit=1&cursor=\(ids[0])", method: .get) { r in
                let page = try decode(API.ListView<API.OfferView>.self, r.body)
                #expect(page.items.map(\.id) == [ids[1]])
            }
            try await client.execute(uri: "/api/v1/market/offers?seller=\(f.h.alice.address)", method: .get) { r in
                let page = try decode(API.ListView<API.OfferView>.self, r.body)
                #expect(page.items.map(\.id) == ids && page.nextCursor == nil)
            }
            try await client.execute(uri: "/api/v1/market/offers?seller=\(f.bob.address)", method: .get) { r in
                let page = try decode(API.ListView<API.OfferView>.self, r.body)
                #expect(page.items.isEmpty)
            }
            try await client.execute(uri: "/api/v1/market/offers/\(f.first.hex)", method: .get) { r in
                let o = try decode(API.OfferView.self, r.body)
                #expect(o.seller == f.h.alice.address.description && o.price == 100 && o.bondHeld == 5 && o.status == "open")
                #expect(o.openPurchases == 1 && o.purchases == 1 && o.sales == 0 && o.group == nil)
                #expect(String(buffer: r.body).contains("\"group\":null"))
            }
            try await client.execute(uri: "/api/v1/market/offers/\(Hash.sha256([9]).hex)", method: .get) { r in
                #expect(r.status == .notFound && String(buffer: r.body).contains("offer_not_found"))
            }
            try await client.execute(uri: "/api/v1/market/offers/nothex", method: .get) { r in #expect(r.status == .badRequest) }
            try await client.execute(uri: "/api/v1/market/offers?seller=ag1zz", method: .get) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("invalid_address"))
            }
        }
    }

    @Test("purchases by buyer, by seller and by ID; unknown ones are 404, malformed addresses 400")
    func purchases() async throws {
        let f = try Fixture()
        try await f.h.app.test(.router) { client in
            for path in ["buyers/\(f.bob.address)", "sellers/\(f.h.alice.address)"] {
                try await client.execute(uri: "/api/v1/market/\(path)/purchases", method: .get) { r in
                    let page = try decode(API.ListView<API.PurchaseView>.self, r.body)
                    #expect(page.items.map(\.id) == [f.purchase.hex], "\(path)")
                }
            }
            try await client.execute(uri: "/api/v1/market/buyers/\(f.h.alice.address)/purchases", method: .get) { r in
                let page = try decode(API.ListView<API.PurchaseView>.self, r.body)
                #expect(page.items.isEmpty)
            }
            try await client.execute(uri: "/api/v1/market/purchases/\(f.purchase.hex)", method: .get) { r in
                let p = try decode(API.PurchaseView.self, r.body)
                #expect(p.offer == f.first.hex && p.buyer == f.bob.address.description && p.price == 100)
                #expect(p.status == "awaiting_delivery" && p.boughtAt == 3_000 && p.dueAt == 63_000 && p.delivery == nil)
            }
            try await client.execute(uri: "/api/v1/market/purchases/\(Hash.sha256([9]).hex)", method: .get) { r in
                #expect(r.status == .notFound && String(buffer: r.body).contains("purchase_not_found"))
            }
            try await client.execute(uri: "/api/v1/market/sellers/nobody/purchases", method: .get) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("invalid_address"))
            }
        }
    }
}
