import AgoraCore

/// Royalties on market sales: an offer may name a claim its artifact is attached to and a share
/// (1…30% in basis points, `MarketBounds.maxRoyaltyBps`) of each sale's proceeds; when the sale
/// settles, that share goes to the authors of the claim's sources (its royalty parents).
/// Integer arithmetic only: pool = ⌊proceeds × bps / 10,000⌋ with proceeds = price − fee; each of
/// the n distinct source authors (sorted bytewise) gets ⌊pool / n⌋; the remainder (pool mod n,
/// less than n base units) stays with the seller. See docs/market.md.
public enum Royalties {
    /// The pool a sale pays out of `proceeds` at `bps`.
    public static func pool(proceeds: Amount, bps: UInt16) -> Amount { proceeds.basisPoints(bps) }

    /// Equal shares of `pool` in `recipients` order; zero shares are left out.
    public static func shares(of pool: Amount, among recipients: [Address]) -> [(recipient: Address, amount: Amount)] {
        guard !recipients.isEmpty else { return [] }
        let each = pool.units / UInt64(recipients.count)
        guard each > 0, let share = Amount(each) else { return [] }
        return recipients.map { ($0, share) }
    }

    /// Why an offer may not carry `royalty`, or nil: the claim must exist, name sources, and
    /// reference the offer's artifact (its ciphertext or its plaintext hash).
    static func check(_ state: StateOverlay, _ royalty: Royalty, terms: OfferTerms) throws -> ExecutionFailure? {
        guard try Groups.claim(state, royalty.claim) != nil else { return .royaltyClaimNotFound(royalty.claim) }
        guard let sources = try Claims.sources(state, royalty.claim) else { return .royaltyClaimWithoutSources(royalty.claim) }
        guard sources.artifacts.contains(terms.artifact.sha256) || sources.artifacts.contains(terms.plaintextSHA256) else {
            return .royaltyArtifactNotInClaim(claim: royalty.claim, artifact: terms.artifact.sha256)
        }
        return nil
    }

    static func royalty(_ state: StateOverlay, _ offer: Hash) throws -> Royalty? {
        guard let raw = try state.get(MarketKeys.royalty(offer)) else { return nil }
        return try Bank.decode(Royalty.self, raw, "market/r")
    }

    public static func royalty(offer: Hash, state: StateReader) throws -> Royalty? { try royalty(StateOverlay(base: state), offer) }

    /// Pays the royalty of a settling sale (`purchase` of `offer`) out of the market's holdings
    /// (the price was escrowed there), appends each payment to `log` (what `market.released`
    /// lists: no state records them) and returns the total paid, which the seller does not get.
    static func pay(_ state: StateOverlay, offer: Hash, purchase: Hash, proceeds: Amount, log: inout [RoyaltyPayment]) throws -> Amount {
        guard let royalty = try royalty(state, offer), let sources = try Claims.sources(state, royalty.claim) else { return .zero }
        var paid = Amount.zero
        for (recipient, amount) in shares(of: pool(proceeds: proceeds, bps: royalty.bps), among: sources.authors) {
            try Market.pay(state, recipient, amount)
            paid = try paid.adding(amount)
            log.append(RoyaltyPayment(purchase: purchase, claim: royalty.claim, recipient: recipient, amount: amount))
        }
        return paid
    }
}

/// One royalty share a block's settlement paid: for the sale `purchase`, to `recipient` (an
/// author of a source of `claim`, the claim the offer's royalty names). Kept by the block's
/// execution (`ExecutedBlock.royalties`) for the events, not in state.
public struct RoyaltyPayment: Sendable, Hashable {
    public let purchase: Hash
    public let claim: Hash
    public let recipient: Address
    public let amount: Amount

    public init(purchase: Hash, claim: Hash, recipient: Address, amount: Amount) {
        self.purchase = purchase
        self.claim = claim
        self.recipient = recipient
        self.amount = amount
    }
}
