import AgoraCore

extension API {
    public struct OfferView: Codable, Sendable, Equatable {
        /// With `?prove=true`: the record's state key, canonical value and proof at the head,
        /// with that height's header and commit (docs/state.md).
        public var proof: StateProofView? = nil
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
        /// Present when each sale pays a royalty to the sources of a claim (docs/market.md).
        public var royalty: RoyaltyView?

        public init(id: String, seller: String, title: String, artifact: ClaimView.ArtifactView, plaintextSHA256: String,
                    keyCommitment: String, price: UInt64, bond: UInt64, bondHeld: UInt64, expiresAt: UInt64,
                    deliveryWindowMs: UInt64, disputeWindowMs: UInt64, group: String? = nil, status: String, createdAt: UInt64,
                    openPurchases: UInt32, purchases: UInt64, sales: UInt64, royalty: RoyaltyView? = nil) {
            self.royalty = royalty
            self.id = id; self.seller = seller; self.title = title; self.artifact = artifact
            self.plaintextSHA256 = plaintextSHA256; self.keyCommitment = keyCommitment; self.price = price; self.bond = bond
            self.bondHeld = bondHeld; self.expiresAt = expiresAt; self.deliveryWindowMs = deliveryWindowMs
            self.disputeWindowMs = disputeWindowMs; self.group = group; self.status = status; self.createdAt = createdAt
            self.openPurchases = openPurchases; self.purchases = purchases; self.sales = sales
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(seller, forKey: .seller); try c.encode(title, forKey: .title)
            try c.encode(artifact, forKey: .artifact); try c.encode(plaintextSHA256, forKey: .plaintextSHA256)
            try c.encode(keyCommitment, forKey: .keyCommitment); try c.encode(price, forKey: .price); try c.encode(bond, forKey: .bond)
            try c.encode(bondHeld, forKey: .bondHeld); try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(deliveryWindowMs, forKey: .deliveryWindowMs); try c.encode(disputeWindowMs, forKey: .disputeWindowMs)
            try c.encode(group, forKey: .group)  // explicit null for an offer open to everyone
            try c.encodeIfPresent(royalty, forKey: .royalty)
            try c.encode(status, forKey: .status); try c.encode(createdAt, forKey: .createdAt)
            try c.encode(openPurchases, forKey: .openPurchases); try c.encode(purchases, forKey: .purchases); try c.encode(sales, forKey: .sales)
            try c.encodeIfPresent(proof, forKey: .proof)  // ?prove=true
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

        public init(id: String, offer: String, buyer: String, seller: String, price: UInt64, buyerKey: String, boughtAt: UInt64,
                    status: String, dueAt: UInt64, delivery: DeliveryView? = nil) {
            self.id = id; self.offer = offer; self.buyer = buyer; self.seller = seller; self.price = price
            self.buyerKey = buyerKey; self.boughtAt = boughtAt; self.status = status; self.dueAt = dueAt; self.delivery = delivery
        }

        public struct DeliveryView: Codable, Sendable, Equatable {
            /// HPKE encapsulated key and sealed content key (hex).
            public var encapsulatedKey: String
            public var ciphertext: String

            public init(encapsulatedKey: String, ciphertext: String) {
                self.encapsulatedKey = encapsulatedKey; self.ciphertext = ciphertext
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(offer, forKey: .offer); try c.encode(buyer, forKey: .buyer)
            try c.encode(seller, forKey: .seller); try c.encode(price, forKey: .price); try c.encode(buyerKey, forKey: .buyerKey)
            try c.encode(boughtAt, forKey: .boughtAt); try c.encode(status, forKey: .status); try c.encode(dueAt, forKey: .dueAt)
            try c.encode(delivery, forKey: .delivery)  // explicit null before delivery
        }
    }

    /// An offer's royalty: `bps` of each sale's proceeds after the fee to the authors of `claim`'s sources.
    public struct RoyaltyView: Codable, Sendable, Equatable {
        public var claim: String
        public var bps: UInt16

        public init(claim: String, bps: UInt16) {
            self.claim = claim; self.bps = bps
        }
    }
}
