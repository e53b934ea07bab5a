import AgoraCore

/// The market payloads: create and cancel an offer, buy, deliver the sealed key, dispute. Each
/// returns nil or why it failed; the executor then rolls the payload back and the fee stays
/// paid. Roles are read from the records (the seller of the offer, the buyer of the purchase)
/// and group membership from the overlay the transaction executes on, so there is no gap between
/// a check and what it guards.
extension Market {
    static func createOffer(_ state: StateOverlay, id: Hash, seller: Address, terms: OfferTerms,
                            context: BlockContext) throws -> ExecutionFailure? {
        guard terms.expiresAt > context.timestamp else {
            return .offerExpiryNotInFuture(expiresAt: terms.expiresAt, blockTime: context.timestamp)
        }
        if let g = terms.group {
            guard try Groups.group(state, g) != nil else { return .groupNotFound(g) }
            guard try Groups.membership(state, g, seller)?.role != nil else { return .notGroupMember(group: g, address: seller) }
        }
        if let royalty = terms.royalty, let failure = try Royalties.check(state, royalty, terms: terms) { return failure }
        var account = try Bank.account(state, seller)
        guard let left = try? account.balance.subtracting(terms.bond) else {
            return .insufficientBalance(balance: account.balance, needed: terms.bond)
        }
        guard try offer(state, id) == nil else { throw StateFault.corrupt(key: "market/o", error: MarketFault.idCollision(id)) }
        account.balance = left
        try Bank.setAccount(state, seller, account)
        if terms.bond > .zero { try addHeld(state, terms.bond) }
        var recorded = terms
        recorded.royalty = nil  // the record keeps its encoding; the royalty has its own key
        try setOffer(state, id, OfferRecord(seller: seller, terms: recorded, createdAt: context.height, status: .open,
                                            bondHeld: terms.bond, openPurchases: 0, purchases: 0, sales: 0))
        if let royalty = terms.royalty { try state.set(MarketKeys.royalty(id), royalty.canonicalBytes) }
        try state.set(MarketKeys.sellerOffer(seller, id), MarketKeys.marker)
        return nil
    }

    static func cancelOffer(_ state: StateOverlay, id: Hash, sender: Address) throws -> ExecutionFailure? {
        guard var o = try offer(state, id) else { return .offerNotFound(id) }
        guard o.seller == sender else { return .notOfferSeller(offer: id, address: sender) }
        guard o.status == .open else { return .offerNotOpen(offer: id, status: o.status) }
        guard o.openPurchases == 0 else { return .offerHasOpenPurchases(offer: id, count: o.openPurchases) }
        if o.bondHeld > .zero {
            try removeHeld(state, o.bondHeld)
            try pay(state, o.seller, o.bondHeld)
        }
        o.bondHeld = .zero
        o.status = .cancelled
        try setOffer(state, id, o)
        return nil
    }

    static func buy(_ state: StateOverlay, id: Hash, offer offerID: Hash, buyer: Address, buyerKey: Bytes32,
                    context: BlockContext) throws -> ExecutionFailure? {
        guard var o = try offer(state, offerID) else { return .offerNotFound(offerID) }
        guard o.status == .open else { return .offerNotOpen(offer: offerID, status: o.status) }
        guard context.timestamp < o.terms.expiresAt else { return .offerExpired(offer: offerID, expiresAt: o.terms.expiresAt) }
        guard o.seller != buyer else { return .cannotBuyOwnOffer(offer: offerID) }
        if let g = o.terms.group, try Groups.membership(state, g, buyer)?.role == nil {
            return .notGroupMember(group: g, address: buyer)
        }
        if let open = try state.get(MarketKeys.openPurchase(offerID, buyer)), let existing = Hash(bytes: open) {
            return .offerAlreadyPurchased(offer: offerID, purchase: existing)
        }
        var account = try Bank.account(state, buyer)
        guard let left = try? account.balance.subtracting(o.terms.price) else {
            return .insufficientBalance(balance: account.balance, needed: o.terms.price)
        }
        guard try purchase(state, id) == nil else { throw StateFault.corrupt(key: "market/p", error: MarketFault.idCollision(id)) }
        account.balance = left
        try Bank.setAccount(state, buyer, account)
        try addHeld(state, o.terms.price)
        // Windows are at most 30 days and block time is ms since 1970: no overflow for millennia.
        let due = context.timestamp + o.terms.deliveryWindowMs
        try setPurchase(state, id, PurchaseRecord(offer: offerID, buyer: buyer, seller: o.seller, price: o.terms.price, buyerKey: buyerKey,
                                                  boughtAt: context.timestamp, status: .awaitingDelivery, dueAt: due, delivery: nil))
        o.openPurchases += 1
        o.purchases += 1
        try setOffer(state, offerID, o)
        try state.set(MarketKeys.openPurchase(offerID, buyer), id.bytes)
        try state.set(MarketKeys.buyerPurchase(buyer, id), MarketKeys.marker)
        try state.set(MarketKeys.sellerPurchase(o.seller, id), MarketKeys.marker)
        try schedule(state, id, dueAt: due, blockTime: context.timestamp)
        return nil
    }

    static func deliver(_ state: StateOverlay, purchase id: Hash, sender: Address, sealed: SealedContentKey,
                        context: BlockContext) throws -> ExecutionFailure? {
        guard var p = try purchase(state, id) else { return .purchaseNotFound(id) }
        guard p.seller == sender else { return .notPurchaseSeller(purchase: id, address: sender) }
        guard p.status == .awaitingDelivery else { return .purchaseNotAwaitingDelivery(purchase: id, status: p.status) }
        guard context.timestamp < p.dueAt else { return .deliveryDeadlinePassed(purchase: id, deadline: p.dueAt) }
        guard let o = try offer(state, p.offer) else { throw StateFault.corrupt(key: "market/o", error: MarketFault.unknownOffer(p.offer)) }
        // The chain cannot check the sealed key without the buyer's private key; the buyer can,
        // and disputes if it is wrong.
        p.delivery = sealed
        p.status = .delivered
        p.dueAt = context.timestamp + o.terms.disputeWindowMs
        try setPurchase(state, id, p)
        try schedule(state, id, dueAt: p.dueAt, blockTime: context.timestamp)
        return nil
    }

    static func dispute(_ state: StateOverlay, purchase id: Hash, sender: Address, buyerSecret: Bytes32, chainID: String,
                        context: BlockContext) throws -> ExecutionFailure? {
        guard var p = try purchase(state, id) else { return .purchaseNotFound(id) }
        guard p.buyer == sender else { return .notPurchaseBuyer(purchase: id, address: sender) }
        guard p.status == .delivered, let delivery = p.delivery else { return .purchaseNotDelivered(purchase: id, status: p.status) }
        guard context.timestamp < p.dueAt else { return .disputeWindowClosed(purchase: id, deadline: p.dueAt) }
        guard MarketSeal.publicKey(privateKey: buyerSecret) == p.buyerKey else { return .disputeKeyMismatch(purchase: id) }
        guard var o = try offer(state, p.offer) else { throw StateFault.corrupt(key: "market/o", error: MarketFault.unknownOffer(p.offer)) }
        // What the buyer can open is exactly what the chain opens here (same code, same inputs).
        // A box that does not open, or a content key that does not hash to the commitment, is
        // the seller's failure: it chose both the box and the commitment.
        if let key = MarketSeal.open(delivery, privateKey: buyerSecret, chainID: chainID, purchase: id), key.count == 32,
           MarketSeal.commitment(contentKey: key) == o.terms.keyCommitment {
            return .deliveredKeyValid(purchase: id)
        }
        let slashed = o.bondHeld
        try removeHeld(state, try p.price.adding(slashed))
        try pay(state, p.buyer, try p.price.adding(slashed))
        o.bondHeld = .zero
        if o.status == .open { o.status = .slashed }
        o.openPurchases = try closingOne(o.openPurchases, p.offer)
        p.status = .refundedDisputed
        p.dueAt = context.timestamp
        try setPurchase(state, id, p)
        try setOffer(state, p.offer, o)
        try state.set(MarketKeys.openPurchase(p.offer, p.buyer), nil)
        return nil
    }
}
