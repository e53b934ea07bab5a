import AgoraCore

/// The `market` module's execution failures (codes 64–80: offers, purchases, delivery and dispute
/// windows): each case's stable code, message and canonical encoding. The cases themselves are
/// declared in `ExecutionFailure` (Execution/Outcomes.swift), which routes here by `module`; a code
/// number is never reused.
extension ExecutionFailure {
    /// The stable code of a market failure (`code` routes here by `module`).
    var marketCode: String {
        switch self {
        case .offerNotFound: return "offer_not_found"
        case .purchaseNotFound: return "purchase_not_found"
        case .offerNotOpen: return "offer_not_open"
        case .offerExpired: return "offer_expired"
        case .offerExpiryNotInFuture: return "offer_expiry_not_in_future"
        case .cannotBuyOwnOffer: return "cannot_buy_own_offer"
        case .offerAlreadyPurchased: return "offer_already_purchased"
        case .notOfferSeller: return "not_offer_seller"
        case .notPurchaseSeller: return "not_purchase_seller"
        case .notPurchaseBuyer: return "not_purchase_buyer"
        case .purchaseNotAwaitingDelivery: return "purchase_not_awaiting_delivery"
        case .deliveryDeadlinePassed: return "delivery_deadline_passed"
        case .purchaseNotDelivered: return "purchase_not_delivered"
        case .disputeWindowClosed: return "dispute_window_closed"
        case .disputeKeyMismatch: return "dispute_key_mismatch"
        case .deliveredKeyValid: return "delivered_key_valid"
        case .offerHasOpenPurchases: return "offer_has_open_purchases"
        case .royaltyClaimNotFound: return "royalty_claim_not_found"
        case .royaltyClaimWithoutSources: return "royalty_claim_without_sources"
        case .royaltyArtifactNotInClaim: return "royalty_artifact_not_in_claim"
        default: misrouted(.market)
        }
    }

    var marketDescription: String {
        switch self {
        case let .offerNotFound(o): return "offer \(o) does not exist"
        case let .purchaseNotFound(p): return "purchase \(p) does not exist"
        case let .offerNotOpen(o, s): return "offer \(o) is \(s) and can no longer be bought or cancelled"
        case let .offerExpired(o, t): return "offer \(o) expired at block time \(t) ms"
        case let .offerExpiryNotInFuture(t, now): return "offer expiry \(t) ms is not after the block time \(now) ms"
        case let .cannotBuyOwnOffer(o): return "the seller cannot buy its own offer \(o)"
        case let .offerAlreadyPurchased(o, p): return "this buyer already has an open purchase \(p) of offer \(o)"
        case let .notOfferSeller(o, a): return "\(a) is not the seller of offer \(o)"
        case let .notPurchaseSeller(p, a): return "\(a) is not the seller of purchase \(p)"
        case let .notPurchaseBuyer(p, a): return "\(a) is not the buyer of purchase \(p)"
        case let .purchaseNotAwaitingDelivery(p, s): return "purchase \(p) is \(s), not awaiting delivery"
        case let .deliveryDeadlinePassed(p, t): return "the delivery deadline of purchase \(p) passed at block time \(t) ms"
        case let .purchaseNotDelivered(p, s): return "purchase \(p) is \(s); only a delivered purchase can be disputed"
        case let .disputeWindowClosed(p, t): return "the dispute window of purchase \(p) closed at block time \(t) ms"
        case let .disputeKeyMismatch(p): return "the revealed private key does not belong to the buyer key of purchase \(p)"
        case let .deliveredKeyValid(p): return "the key delivered for purchase \(p) matches the offer's commitment; dispute rejected"
        case let .offerHasOpenPurchases(o, n): return "offer \(o) has \(n) open purchase(s); they must settle first"
        case let .royaltyClaimNotFound(c): return "royalty claim \(c) does not exist"
        case let .royaltyClaimWithoutSources(c): return "claim \(c) names no sources, so a royalty on it would pay no one"
        case let .royaltyArtifactNotInClaim(c, a): return "artifact \(a) is not attached to claim \(c) (neither the offer's ciphertext nor its plaintext hash)"
        default: misrouted(.market)
        }
    }

    func encodeMarketFailure(to writer: inout CanonicalWriter) {
        switch self {
        case let .offerNotFound(o): writer.write(UInt8(64)); writer.write(o)
        case let .purchaseNotFound(p): writer.write(UInt8(65)); writer.write(p)
        case let .offerNotOpen(o, s): writer.write(UInt8(66)); writer.write(o); writer.write(s.rawValue)
        case let .offerExpired(o, t): writer.write(UInt8(67)); writer.write(o); writer.write(t)
        case let .offerExpiryNotInFuture(t, now): writer.write(UInt8(68)); writer.write(t); writer.write(now)
        case let .cannotBuyOwnOffer(o): writer.write(UInt8(69)); writer.write(o)
        case let .offerAlreadyPurchased(o, p): writer.write(UInt8(70)); writer.write(o); writer.write(p)
        case let .notOfferSeller(o, a): writer.write(UInt8(71)); writer.write(o); writer.write(a)
        case let .notPurchaseSeller(p, a): writer.write(UInt8(72)); writer.write(p); writer.write(a)
        case let .notPurchaseBuyer(p, a): writer.write(UInt8(73)); writer.write(p); writer.write(a)
        case let .purchaseNotAwaitingDelivery(p, s): writer.write(UInt8(74)); writer.write(p); writer.write(s.rawValue)
        case let .deliveryDeadlinePassed(p, t): writer.write(UInt8(75)); writer.write(p); writer.write(t)
        case let .purchaseNotDelivered(p, s): writer.write(UInt8(76)); writer.write(p); writer.write(s.rawValue)
        case let .disputeWindowClosed(p, t): writer.write(UInt8(77)); writer.write(p); writer.write(t)
        case let .disputeKeyMismatch(p): writer.write(UInt8(78)); writer.write(p)
        case let .deliveredKeyValid(p): writer.write(UInt8(79)); writer.write(p)
        case let .offerHasOpenPurchases(o, n): writer.write(UInt8(80)); writer.write(o); writer.write(n)
        case let .royaltyClaimNotFound(c): writer.write(UInt8(81)); writer.write(c)
        case let .royaltyClaimWithoutSources(c): writer.write(UInt8(82)); writer.write(c)
        case let .royaltyArtifactNotInClaim(c, a): writer.write(UInt8(83)); writer.write(c); writer.write(a)
        default: misrouted(.market)
        }
    }

    static func decodeMarketFailure(_ tag: UInt8, from reader: inout CanonicalReader) throws(CodecError) -> ExecutionFailure {
        switch tag {
        case 64: return .offerNotFound(try reader.read(Hash.self))
        case 65: return .purchaseNotFound(try reader.read(Hash.self))
        case 66: return .offerNotOpen(offer: try reader.read(Hash.self), status: try Self.offerStatus(&reader))
        case 67: return .offerExpired(offer: try reader.read(Hash.self), expiresAt: try reader.readUInt64("failure.expiresAt"))
        case 68: return .offerExpiryNotInFuture(expiresAt: try reader.readUInt64("failure.expiresAt"), blockTime: try reader.readUInt64("failure.blockTime"))
        case 69: return .cannotBuyOwnOffer(offer: try reader.read(Hash.self))
        case 70: return .offerAlreadyPurchased(offer: try reader.read(Hash.self), purchase: try reader.read(Hash.self))
        case 71: return .notOfferSeller(offer: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 72: return .notPurchaseSeller(purchase: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 73: return .notPurchaseBuyer(purchase: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 74: return .purchaseNotAwaitingDelivery(purchase: try reader.read(Hash.self), status: try Self.purchaseStatus(&reader))
        case 75: return .deliveryDeadlinePassed(purchase: try reader.read(Hash.self), deadline: try reader.readUInt64("failure.deadline"))
        case 76: return .purchaseNotDelivered(purchase: try reader.read(Hash.self), status: try Self.purchaseStatus(&reader))
        case 77: return .disputeWindowClosed(purchase: try reader.read(Hash.self), deadline: try reader.readUInt64("failure.deadline"))
        case 78: return .disputeKeyMismatch(purchase: try reader.read(Hash.self))
        case 79: return .deliveredKeyValid(purchase: try reader.read(Hash.self))
        case 80: return .offerHasOpenPurchases(offer: try reader.read(Hash.self), count: try reader.readUInt32("failure.count"))
        case 81: return .royaltyClaimNotFound(try reader.read(Hash.self))
        case 82: return .royaltyClaimWithoutSources(try reader.read(Hash.self))
        case 83: return .royaltyArtifactNotInClaim(claim: try reader.read(Hash.self), artifact: try reader.read(Hash.self))
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }

    private static func offerStatus(_ reader: inout CanonicalReader) throws(CodecError) -> OfferStatus {
        let raw = try reader.readUInt8("failure.offerStatus")
        guard let s = OfferStatus(rawValue: raw) else { throw .unknownTag(type: "failure.offerStatus", tag: raw) }
        return s
    }

    private static func purchaseStatus(_ reader: inout CanonicalReader) throws(CodecError) -> PurchaseStatus {
        let raw = try reader.readUInt8("failure.purchaseStatus")
        guard let s = PurchaseStatus(rawValue: raw) else { throw .unknownTag(type: "failure.purchaseStatus", tag: raw) }
        return s
    }
}
