import AgoraCore

/// The market module: sellers offer encrypted artifacts against a bond, buyers escrow the price
/// with a one-time X25519 key, sellers deliver the content key sealed to that key with HPKE, and
/// the chain settles — paying the seller once the dispute window closes, refunding the buyer when
/// the seller misses the delivery deadline, or, when the buyer reveals the one-time key and the
/// delivered key does not match the offer's commitment, refunding the buyer and slashing the bond
/// to it. Settlement is time-driven and runs at the end of every block (`endBlock`) from a due
/// index bucketed by block-time second, so no one has to send a transaction to get paid or
/// refunded. Escrow and bonds are tracked in `market/held`, part of `bank/supply`. This file is
/// the read API and the settlement; the payloads are in MarketTransactions.swift.
public enum Market {
    public static func offer(_ id: Hash, state: StateReader) throws -> OfferRecord? { try offer(StateOverlay(base: state), id) }
    public static func purchase(_ id: Hash, state: StateReader) throws -> PurchaseRecord? { try purchase(StateOverlay(base: state), id) }
    /// Σ escrowed prices + Σ bonds held.
    public static func held(state: StateReader) throws -> Amount { try held(StateOverlay(base: state)) }

    /// The open purchase of `buyer` on `offer`, if any.
    public static func openPurchase(offer: Hash, buyer: Address, state: StateReader) throws -> Hash? {
        guard let raw = try state.value(for: MarketKeys.openPurchase(offer, buyer)) else { return nil }
        guard let id = Hash(bytes: raw) else { throw StateFault.corrupt(key: "market/open", error: MarketFault.badPurchaseID) }
        return id
    }

    /// The transfer fee a completed sale pays to the chain treasury, in basis points: the chain's,
    /// or the offer's group's if that is higher (a group may only tighten the chain's rules).
    static func feeBps(_ state: StateOverlay, _ terms: OfferTerms, bank: BankParams) throws -> UInt16 {
        guard let g = terms.group, let group = try Groups.group(state, g) else { return bank.transferFeeBps }
        return max(bank.transferFeeBps, group.policy.transferFeeBps)
    }

    // MARK: Overlay access

    static func offer(_ state: StateOverlay, _ id: Hash) throws -> OfferRecord? {
        guard let raw = try state.get(MarketKeys.offer(id)) else { return nil }
        return try Bank.decode(OfferRecord.self, raw, "market/o")
    }

    static func setOffer(_ state: StateOverlay, _ id: Hash, _ record: OfferRecord) throws {
        try state.set(MarketKeys.offer(id), record.canonicalBytes)
    }

    static func purchase(_ state: StateOverlay, _ id: Hash) throws -> PurchaseRecord? {
        guard let raw = try state.get(MarketKeys.purchase(id)) else { return nil }
        return try Bank.decode(PurchaseRecord.self, raw, "market/p")
    }

    static func setPurchase(_ state: StateOverlay, _ id: Hash, _ record: PurchaseRecord) throws {
        try state.set(MarketKeys.purchase(id), record.canonicalBytes)
    }

    static func held(_ state: StateOverlay) throws -> Amount {
        guard let raw = try state.get(MarketKeys.held) else { return .zero }
        return try Bank.decode(Amount.self, raw, "market/held")
    }

    /// Moves `amount` into (positive) or out of the market's holdings.
    static func addHeld(_ state: StateOverlay, _ amount: Amount) throws {
        try state.set(MarketKeys.held, try held(state).adding(amount).canonicalBytes)
    }

    static func removeHeld(_ state: StateOverlay, _ amount: Amount) throws {
        guard let left = try? held(state).subtracting(amount) else {
            throw StateFault.corrupt(key: "market/held", error: MarketFault.heldBelowRelease(amount))
        }
        try state.set(MarketKeys.held, left == .zero ? nil : left.canonicalBytes)
    }

    /// Pays out of the market's holdings. Not capped by `maxAccountBalance`: the money is the
    /// buyer's own coming back or the seller's sale settling, and settlement cannot fail half-way
    /// at the end of a block. The supply bounds every balance, so the sum cannot overflow.
    static func pay(_ state: StateOverlay, _ to: Address, _ amount: Amount) throws {
        guard amount > .zero else { return }
        var account = try Bank.account(state, to)
        account.balance = try account.balance.adding(amount)
        try Bank.setAccount(state, to, account)
    }

    /// An offer's open-purchase count less the one closing now; zero here means the records disagree.
    static func closingOne(_ open: UInt32, _ offer: Hash) throws -> UInt32 {
        guard open > 0 else { throw StateFault.corrupt(key: "market/o", error: MarketFault.openCountBelowZero(offer)) }
        return open - 1
    }

    // MARK: Settlement clock

    static func clock(_ state: StateOverlay) throws -> MarketClock? {
        guard let raw = try state.get(MarketKeys.clock) else { return nil }
        return try Bank.decode(MarketClock.self, raw, "market/clock")
    }

    static func bucket(dueAt: UInt64) -> UInt64 {
        // Rounded up: every entry of bucket k is due at or before k × bucketMs.
        dueAt / MarketBounds.bucketMs + (dueAt % MarketBounds.bucketMs == 0 ? 0 : 1)
    }

    /// Files `purchase` to be looked at once block time reaches `dueAt`. Entries are never
    /// removed early: settlement re-reads the purchase and skips one that moved on.
    static func schedule(_ state: StateOverlay, _ purchase: Hash, dueAt: UInt64, blockTime: UInt64) throws {
        var c = try clock(state) ?? MarketClock(nextBucket: blockTime / MarketBounds.bucketMs, pending: 0)
        let bucket = max(bucket(dueAt: dueAt), c.nextBucket)
        let key = MarketKeys.due(bucket)
        try state.set(key, (try state.get(key) ?? []) + purchase.bytes)
        c.pending += 1
        try state.set(MarketKeys.clock, c.canonicalBytes)
    }

    /// End of every block, after its transactions and before the treasury is credited: settles
    /// every purchase due at or before the block's time (at most `maxBucketsPerBlock` seconds of
    /// buckets per block). Reads only the buckets that came due, so a block costs O(due) reads.
    static func endBlock(_ state: StateOverlay, context: BlockContext, bank: BankParams, treasuryCredit: inout Amount,
                         royalties: inout [RoyaltyPayment]) throws {
        guard var c = try clock(state) else { return }
        let now = context.timestamp / MarketBounds.bucketMs
        var walked: UInt64 = 0
        while c.pending > 0, c.nextBucket <= now, walked < MarketBounds.maxBucketsPerBlock {
            let key = MarketKeys.due(c.nextBucket)
            if let raw = try state.get(key) {
                guard raw.count % 32 == 0, UInt64(raw.count / 32) <= c.pending else {
                    throw StateFault.corrupt(key: "market/due", error: MarketFault.badDueBucket(c.nextBucket))
                }
                try state.set(key, nil)
                for i in stride(from: 0, to: raw.count, by: 32) {
                    c.pending -= 1
                    try settle(state, Hash(bytes: raw[i..<(i + 32)])!, context: context, bank: bank, treasuryCredit: &treasuryCredit,
                               royalties: &royalties)
                }
            }
            c.nextBucket += 1
            walked += 1
        }
        try state.set(MarketKeys.clock, c.pending == 0 ? nil : c.canonicalBytes)
    }

    /// Settles one purchase if its current phase has ended; a stale entry (the purchase was
    /// delivered, disputed or already settled since it was filed) changes nothing.
    static func settle(_ state: StateOverlay, _ id: Hash, context: BlockContext, bank: BankParams, treasuryCredit: inout Amount,
                       royalties log: inout [RoyaltyPayment]) throws {
        guard var p = try purchase(state, id) else { throw StateFault.corrupt(key: "market/due", error: MarketFault.unknownPurchase(id)) }
        guard p.status.isOpen, p.dueAt <= context.timestamp else { return }
        guard var offer = try offer(state, p.offer) else { throw StateFault.corrupt(key: "market/o", error: MarketFault.unknownOffer(p.offer)) }
        try removeHeld(state, p.price)
        if p.status == .awaitingDelivery {
            // The seller never delivered: the buyer gets the whole price back. The bond is not
            // touched — absence is not provable cheating, and it costs the seller the sale.
            try pay(state, p.buyer, p.price)
            p.status = .refundedUndelivered
        } else {
            let fee = p.price.basisPoints(try feeBps(state, offer.terms, bank: bank))
            let proceeds = try p.price.subtracting(fee)
            let royalties = try Royalties.pay(state, offer: p.offer, purchase: id, proceeds: proceeds, log: &log)
            try pay(state, p.seller, try proceeds.subtracting(royalties))
            treasuryCredit = try treasuryCredit.adding(fee)
            p.status = .released
            offer.sales += 1
        }
        p.dueAt = context.timestamp
        offer.openPurchases = try closingOne(offer.openPurchases, p.offer)
        try setPurchase(state, id, p)
        try setOffer(state, p.offer, offer)
        try state.set(MarketKeys.openPurchase(p.offer, p.buyer), nil)
    }
}

/// A fault of the node's own market state (never the transaction's fault).
public enum MarketFault: Error, CustomStringConvertible {
    case idCollision(Hash)
    case badPurchaseID
    case heldBelowRelease(Amount)
    case badDueBucket(UInt64)
    case unknownPurchase(Hash)
    case unknownOffer(Hash)
    case openCountBelowZero(Hash)

    public var description: String {
        switch self {
        case let .idCollision(id): return "market record \(id) already exists although its creator's nonce is fresh"
        case .badPurchaseID: return "an open-purchase entry does not hold a 32-byte purchase ID"
        case let .heldBelowRelease(a): return "market/held is below the \(a) being released"
        case let .badDueBucket(b): return "due bucket \(b) is not a list of purchase IDs within the pending count"
        case let .unknownPurchase(id): return "a due entry names purchase \(id), which does not exist"
        case let .unknownOffer(id): return "a purchase names offer \(id), which does not exist"
        case let .openCountBelowZero(id): return "offer \(id) counts no open purchase, yet one is closing"
        }
    }
}
