import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import AgoraStorage
import Hummingbird

/// The market module as a client reads it: offers (all, or a seller's) and purchases (one, a
/// buyer's or a seller's), each with its status, the escrow and bond it holds and the block times
/// at which its phases end. Everything comes from committed state: single records by point
/// read, lists by key range over the market's per-party marker keys (BlockStore+MarketIndex).
extension APIRoutes {
    static let marketRouteTable: [(method: String, path: String)] = [
        ("GET", "/api/v1/market/offers"), ("GET", "/api/v1/market/offers/{id}"),
        ("GET", "/api/v1/market/purchases/{id}"),
        ("GET", "/api/v1/market/buyers/{address}/purchases"), ("GET", "/api/v1/market/sellers/{address}/purchases"),
    ]

    private static func hashCursor(_ page: Page) throws -> Hash? {
        guard let c = page.cursor else { return nil }
        guard let h = Hash(hex: c) else { throw APIError.badRequest("invalid_cursor", "cursor \"\(c)\" is not one this endpoint returned") }
        return h
    }

    private static func addressParameter(_ request: Request, _ name: String) throws -> Address? {
        guard let raw = request.uri.queryParameters[Substring(name)], !raw.isEmpty else { return nil }
        return try APIError.address(raw, field: name)
    }

    private static func pathAddress(_ context: AgoraRequestContext) throws -> Address {
        let text = try context.parameters.require("address")
        return try APIError.address(text, field: "address")
    }

    private static func purchasePage(_ rows: [(Hash, PurchaseRecord)], _ page: Page) throws -> Response {
        try json(API.ListView(items: rows.map { API.PurchaseView($0.0, $0.1) }, nextCursor: rows.count == page.limit ? rows.last?.0.hex : nil))
    }

    static func addMarketRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/market/offers") { request, _ in
            let page = try Page(request)
            let after = try hashCursor(page)
            let rows = try addressParameter(request, "seller").map { try chain.queries.offers(seller: $0, after: after, limit: page.limit) }
                ?? chain.queries.offers(after: after, limit: page.limit)
            return try json(API.ListView(items: rows.map { API.OfferView($0.0, $0.1) },
                                         nextCursor: rows.count == page.limit ? rows.last?.0.hex : nil))
        }

        router.get("/api/v1/market/offers/{id}") { request, context in
            let id = try pathID(context, "offer")
            let prove = try wantsProof(request)
            guard let o = try Market.offer(id, state: chain.queries.state) else { throw APIError.notFound("offer_not_found", "offer \(id) does not exist") }
            var view = API.OfferView(id, o)
            if prove { view.proof = try stateProof(deps, MarketKeys.offer(id)) }
            return try json(view)
        }

        // One route per party rather than ?buyer=|seller=: each is a plain key range, and a
        // request can never name both or neither.
        router.get("/api/v1/market/buyers/{address}/purchases") { request, context in
            let (address, page) = try (pathAddress(context), Page(request))
            return try purchasePage(try chain.queries.purchases(buyer: address, after: try hashCursor(page), limit: page.limit), page)
        }

        router.get("/api/v1/market/sellers/{address}/purchases") { request, context in
            let (address, page) = try (pathAddress(context), Page(request))
            return try purchasePage(try chain.queries.purchases(seller: address, after: try hashCursor(page), limit: page.limit), page)
        }

        router.get("/api/v1/market/purchases/{id}") { _, context in
            let id = try pathID(context, "purchase")
            guard let p = try Market.purchase(id, state: chain.queries.state) else {
                throw APIError.notFound("purchase_not_found", "purchase \(id) does not exist")
            }
            return try json(API.PurchaseView(id, p))
        }
    }
}
