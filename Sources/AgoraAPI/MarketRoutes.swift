import AgoraCore
import AgoraServices
import AgoraState
import AgoraStorage
import Hummingbird

/// The market module as a client reads it: offers (all, or a seller's) and purchases (one, a
/// buyer's or a seller's), each with its status, the escrow and bond it holds and the block times
/// at which its phases end. Everything comes from committed state: single records by point
/// read, lists by key range over the market's per-party marker keys (BlockStore+MarketIndex).
extension API {
    public struct OfferView: Codable, Sendable, Equatable {
        public var id: String
        public var seller: String
        public var title: String
        /// The encrypted artifact (what the artifact store holds).
        public var artifact: ClaimView.ArtifactView
        public var plaintextSHA256: String
        public var keyCommitment: String
        public var price: UInt64
        public var bond: UInt64
        /// What is still locked of the bond (0 once returned or slashed).
        public var bondHeld: UInt64
        public var expiresAt: UInt64
        public var deliveryWindowMs: UInt64
        public var disputeWindowMs: UInt64
        public var group: String?
        /// "open", "cancelled" or "slashed".
        public var status: String
        public var createdAt: UInt64
        public var openPurchases: UInt32
        public var purchases: UInt64
        public var sales: UInt64

        public init(_ id: Hash, _ o: OfferRecord) {
            self.id = id.hex; seller = o.seller.description; title = o.terms.title
            artifact = .init(sha256: o.terms.artifact.sha256.hex, size: o.terms.artifact.size)
            plaintextSHA256 = o.terms.plaintextSHA256.hex; keyCommitment = o.terms.keyCommitment.hex
            price = o.terms.price.units; bond = o.terms.bond.units; bondHeld = o.bondHeld.units; expiresAt = o.terms.expiresAt
            deliveryWindowMs = o.terms.deliveryWindowMs; disputeWindowMs = o.terms.disputeWindowMs; group = o.terms.group?.hex
            status = o.status.description; createdAt = o.createdAt; openPurchases = o.openPurchases; purchases = o.purchases; sales = o.sales
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(seller, forKey: .seller); try c.encode(title, forKey: .title)
            try c.encode(artifact, forKey: .artifact); try c.encode(plaintextSHA256, forKey: .plaintextSHA256)
            try c.encode(keyCommitment, forKey: .keyCommitment); try c.encode(price, forKey: .price); try c.encode(bond, forKey: .bond)
            try c.encode(bondHeld, forKey: .bondHeld); try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(deliveryWindowMs, forKey: .deliveryWindowMs); try c.encode(disputeWindowMs, forKey: .disputeWindowMs)
            try c.encode(group, forKey: .group)  // explicit null for an offer open to everyone
            try c.encode(status, forKey: .status); try c.encode(createdAt, forKey: .createdAt)
            try c.encode(openPurchases, forKey: .openPurchases); try c.encode(purchases, forKey: .purchases); try c.encode(sales, forKey: .sales)
        }
    }

    public struct PurchaseView: Codable, Sendable, Equatable {
        public var id: String
        public var offer: String
        public var buyer: String
        public var seller: String
        public var price: UInt64
        /// The buyer's one-time X25519 public key (hex).
        public var buyerKey: String
        public var boughtAt: UInt64
        /// "awaiting_delivery", "delivered", "released", "refunded_undelivered" or "refunded_disputed".
        public var status: String
        /// Block time (ms) the current phase ends (delivery deadline, end of the dispute window),
        /// or when it settled.
        public var dueAt: UInt64
        public var delivery: DeliveryView?

        public struct DeliveryView: Codable, Sendable, Equatable {
            /// HPKE encapsulated key and sealed content key (hex).
            public var encapsulatedKey: String
            public var ciphertext: String
        }

        public init(_ id: Hash, _ p: PurchaseRecord) {
            self.id = id.hex; offer = p.offer.hex; buyer = p.buyer.description; seller = p.seller.description; price = p.price.units
            buyerKey = p.buyerKey.hex; boughtAt = p.boughtAt; status = p.status.description; dueAt = p.dueAt
            delivery = p.delivery.map { DeliveryView(encapsulatedKey: $0.encapsulatedKey.hex, ciphertext: Hex.encode($0.ciphertext)) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(offer, forKey: .offer); try c.encode(buyer, forKey: .buyer)
            try c.encode(seller, forKey: .seller); try c.encode(price, forKey: .price); try c.encode(buyerKey, forKey: .buyerKey)
            try c.encode(boughtAt, forKey: .boughtAt); try c.encode(status, forKey: .status); try c.encode(dueAt, forKey: .dueAt)
            try c.encode(delivery, forKey: .delivery)  // explicit null before delivery
        }
    }
}

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
        guard let a = Address(String(raw)) else { throw APIError.badRequest("invalid_address", "\(name) \"\(raw)\" is not an ag1 address") }
        return a
    }

    private static func pathAddress(_ context: AgoraRequestContext) throws -> Address {
        let text = try context.parameters.require("address")
        guard let address = Address(text) else { throw APIError.badRequest("invalid_address", "\"\(text)\" is not an address (ag1 + 40 hex digits)") }
        return address
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

        router.get("/api/v1/market/offers/{id}") { _, context in
            let id = try pathID(context, "offer")
            guard let o = try Market.offer(id, state: chain.queries.state) else { throw APIError.notFound("offer_not_found", "offer \(id) does not exist") }
            return try json(API.OfferView(id, o))
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
