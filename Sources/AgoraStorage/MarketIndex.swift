import AgoraCore
import AgoraState
import Foundation

/// The market's listings, read straight from committed state by key range: every offer in ID
/// order, a seller's offers, and a seller's or a buyer's purchases. The market module writes a
/// marker key per (seller, offer), (seller, purchase) and (buyer, purchase) for exactly this, so
/// no SQLite table has to be kept in step with the rules; each page is one range scan plus one
/// point read per row.
extension BlockStore {
    /// Offers in ID order after `after`.
    public func offers(after: Hash?, limit: Int) throws -> [(Hash, OfferRecord)] {
        try stateRange(prefix: MarketKeys.offerPrefix, after: after?.bytes, limit: limit) { (suffix, value) -> (Hash, OfferRecord)? in
            guard let id = Hash(bytes: suffix) else { return nil }
            return (id, try self.decode(OfferRecord.self, value, "offer \(id)"))
        }
    }

    /// A seller's offers in ID order after `after`.
    public func offers(seller: Address, after: Hash?, limit: Int) throws -> [(Hash, OfferRecord)] {
        try records(MarketKeys.sellerOffersPrefix + seller.bytes, after: after, limit: limit, MarketKeys.offer, OfferRecord.self)
    }

    /// A buyer's purchases in ID order after `after`.
    public func purchases(buyer: Address, after: Hash?, limit: Int) throws -> [(Hash, PurchaseRecord)] {
        try records(MarketKeys.buyerPurchasesPrefix + buyer.bytes, after: after, limit: limit, MarketKeys.purchase, PurchaseRecord.self)
    }

    /// The purchases of a seller's offers in ID order after `after`.
    public func purchases(seller: Address, after: Hash?, limit: Int) throws -> [(Hash, PurchaseRecord)] {
        try records(MarketKeys.sellerPurchasesPrefix + seller.bytes, after: after, limit: limit, MarketKeys.purchase, PurchaseRecord.self)
    }

    private func records<T: CanonicalDecodable>(_ prefix: [UInt8], after: Hash?, limit: Int, _ key: (Hash) -> StateKey,
                                                _ type: T.Type) throws -> [(Hash, T)] {
        let ids = try stateRange(prefix: prefix, after: after?.bytes, limit: limit) { suffix, _ in Hash(bytes: suffix) }
        let values = try stateValues(ids.map(key))
        return try ids.compactMap { id in
            guard let raw = values[key(id)] else { return nil }
            return (id, try self.decode(T.self, Data(raw), "market record \(id)"))
        }
    }
}
