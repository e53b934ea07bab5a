import AgoraCore

/// What state keeps of the market: an offer with its status, the bond it still holds and its
/// purchase counts; a purchase with its escrowed price, the buyer's one-time key, the delivery
/// and the time it falls due; the settlement clock; and the keys where they live. The offer's
/// terms are copied into state because every rule (price, windows, commitment) reads them.

public enum OfferStatus: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Can be bought until `terms.expiresAt`.
    case open = 1
    /// The seller closed it and took back its bond.
    case cancelled = 2
    /// A buyer proved a wrong key: the bond went to that buyer and the offer can no longer be bought.
    case slashed = 3

    public var description: String {
        switch self {
        case .open: return "open"
        case .cancelled: return "cancelled"
        case .slashed: return "slashed"
        }
    }
}

public enum PurchaseStatus: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Price in escrow; the seller has until `dueAt` to deliver.
    case awaitingDelivery = 1
    /// Key delivered; the buyer has until `dueAt` to dispute.
    case delivered = 2
    /// The dispute window closed: the seller was paid (price minus the transfer fee).
    case released = 3
    /// The seller missed the delivery deadline: the price went back to the buyer.
    case refundedUndelivered = 4
    /// The buyer proved a wrong key: price back to the buyer, the offer's bond slashed to it.
    case refundedDisputed = 5

    public var description: String {
        switch self {
        case .awaitingDelivery: return "awaiting_delivery"
        case .delivered: return "delivered"
        case .released: return "released"
        case .refundedUndelivered: return "refunded_undelivered"
        case .refundedDisputed: return "refunded_disputed"
        }
    }

    /// Escrow still held.
    public var isOpen: Bool { self == .awaitingDelivery || self == .delivered }
}

public struct OfferRecord: Hashable, Sendable, CanonicalCodable {
    public var seller: Address
    public var terms: OfferTerms
    /// Height of the creating block.
    public var createdAt: UInt64
    public var status: OfferStatus
    /// What is still locked of the bond: `terms.bond` while open, zero once returned or slashed.
    public var bondHeld: Amount
    /// Purchases whose escrow is still held (awaiting delivery or delivered).
    public var openPurchases: UInt32
    /// Every purchase ever made, and those that paid the seller.
    public var purchases: UInt64
    public var sales: UInt64

    public init(seller: Address, terms: OfferTerms, createdAt: UInt64, status: OfferStatus, bondHeld: Amount,
                openPurchases: UInt32, purchases: UInt64, sales: UInt64) {
        self.seller = seller
        self.terms = terms
        self.createdAt = createdAt
        self.status = status
        self.bondHeld = bondHeld
        self.openPurchases = openPurchases
        self.purchases = purchases
        self.sales = sales
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(seller)
        writer.write(terms)
        writer.write(createdAt)
        writer.write(status.rawValue)
        writer.write(bondHeld)
        writer.write(openPurchases)
        writer.write(purchases)
        writer.write(sales)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        seller = try reader.read(Address.self)
        terms = try reader.read(OfferTerms.self)
        createdAt = try reader.readUInt64("offer.createdAt")
        let raw = try reader.readUInt8("offer.status")
        guard let s = OfferStatus(rawValue: raw) else { throw .unknownTag(type: "offer.status", tag: raw) }
        status = s
        bondHeld = try reader.read(Amount.self)
        openPurchases = try reader.readUInt32("offer.openPurchases")
        purchases = try reader.readUInt64("offer.purchases")
        sales = try reader.readUInt64("offer.sales")
    }
}

public struct PurchaseRecord: Hashable, Sendable, CanonicalCodable {
    public var offer: Hash
    public var buyer: Address
    public var seller: Address
    /// Escrowed at purchase (the offer's price then; offers do not change price).
    public var price: Amount
    /// The buyer's one-time X25519 public key the delivery is sealed to.
    public var buyerKey: Bytes32
    /// Block time (ms) of the purchase.
    public var boughtAt: UInt64
    public var status: PurchaseStatus
    /// Block time (ms) at which the current phase ends: the delivery deadline while awaiting
    /// delivery, the end of the dispute window once delivered; when settled, the settlement time.
    public var dueAt: UInt64
    public var delivery: SealedContentKey?

    public init(offer: Hash, buyer: Address, seller: Address, price: Amount, buyerKey: Bytes32, boughtAt: UInt64,
                status: PurchaseStatus, dueAt: UInt64, delivery: SealedContentKey?) {
        self.offer = offer
        self.buyer = buyer
        self.seller = seller
        self.price = price
        self.buyerKey = buyerKey
        self.boughtAt = boughtAt
        self.status = status
        self.dueAt = dueAt
        self.delivery = delivery
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(offer)
        writer.write(buyer)
        writer.write(seller)
        writer.write(price)
        writer.write(buyerKey)
        writer.write(boughtAt)
        writer.write(status.rawValue)
        writer.write(dueAt)
        writer.writeOptional(delivery)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        offer = try reader.read(Hash.self)
        buyer = try reader.read(Address.self)
        seller = try reader.read(Address.self)
        price = try reader.read(Amount.self)
        buyerKey = try reader.read(Bytes32.self)
        boughtAt = try reader.readUInt64("purchase.boughtAt")
        let raw = try reader.readUInt8("purchase.status")
        guard let s = PurchaseStatus(rawValue: raw) else { throw .unknownTag(type: "purchase.status", tag: raw) }
        status = s
        dueAt = try reader.readUInt64("purchase.dueAt")
        delivery = try reader.readOptional(SealedContentKey.self, "purchase.delivery")
    }
}

/// The settlement clock: the next due bucket to process and how many scheduled entries remain.
/// Absent when nothing is scheduled, so an idle market writes nothing per block.
struct MarketClock: Hashable, Sendable, CanonicalCodable {
    var nextBucket: UInt64
    var pending: UInt64

    func encode(to writer: inout CanonicalWriter) {
        writer.write(nextBucket)
        writer.write(pending)
    }

    init(nextBucket: UInt64, pending: UInt64) {
        self.nextBucket = nextBucket
        self.pending = pending
    }

    init(from reader: inout CanonicalReader) throws(CodecError) {
        nextBucket = try reader.readUInt64("market.clock.next")
        pending = try reader.readUInt64("market.clock.pending")
    }
}

/// Where the market keeps things. The `so`, `sp` and `bp` keys hold a marker byte: they exist so
/// that a seller's offers and a seller's or buyer's purchases list as one key range.
public enum MarketKeys {
    public static let offerPrefix = Array("market/o/".utf8)
    public static let purchasePrefix = Array("market/p/".utf8)
    static let openPrefix = Array("market/open/".utf8)
    public static let sellerOffersPrefix = Array("market/so/".utf8)
    public static let sellerPurchasesPrefix = Array("market/sp/".utf8)
    public static let buyerPurchasesPrefix = Array("market/bp/".utf8)
    static let duePrefix = Array("market/due/".utf8)
    /// An offer's royalty (`Royalty`), present only for offers created with one.
    static let royaltyPrefix = Array("market/r/".utf8)
    static let clock = StateKey("market/clock")
    /// Σ escrowed prices + Σ bonds held: the market's part of `bank/supply`.
    public static let held = StateKey("market/held")
    static let marker: [UInt8] = [1]

    public static func offer(_ id: Hash) -> StateKey { StateKey(offerPrefix + id.bytes) }
    public static func purchase(_ id: Hash) -> StateKey { StateKey(purchasePrefix + id.bytes) }
    public static func royalty(_ offer: Hash) -> StateKey { StateKey(royaltyPrefix + offer.bytes) }
    static func openPurchase(_ offer: Hash, _ buyer: Address) -> StateKey { StateKey(openPrefix + offer.bytes + buyer.bytes) }
    static func sellerOffer(_ seller: Address, _ offer: Hash) -> StateKey { StateKey(sellerOffersPrefix + seller.bytes + offer.bytes) }
    static func sellerPurchase(_ seller: Address, _ id: Hash) -> StateKey { StateKey(sellerPurchasesPrefix + seller.bytes + id.bytes) }
    static func buyerPurchase(_ buyer: Address, _ id: Hash) -> StateKey { StateKey(buyerPurchasesPrefix + buyer.bytes + id.bytes) }
    /// Big-endian so that buckets would also list in time order.
    static func due(_ bucket: UInt64) -> StateKey {
        var key = duePrefix
        withUnsafeBytes(of: bucket.bigEndian) { key.append(contentsOf: $0) }
        return StateKey(key)
    }
}
