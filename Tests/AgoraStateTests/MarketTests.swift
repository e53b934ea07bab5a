import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// A group ledger whose blocks carry a block time the test sets (ms), with the market's helpers:
/// offers whose content key the test knows, honest and wrong deliveries, reads of records and
/// `market/held`, and the supply check that counts escrow and bonds. Fees are 1 per transaction
/// and the chain's transfer fee is 1% (100 bps) so that a sale's fee is visible.
struct MarketLedger {
    var g: GroupLedger
    var time: UInt64 = 1_000_000
    var seller: SigningKey { g.admin }
    var buyer: SigningKey { g.alice }
    var other: SigningKey { g.bob }
    var outsider: SigningKey { g.carol }
    static let treasury = StakingLedger.treasury

    init() throws {
        g = try GroupLedger()
        try g.setBankParams { $0.transferFeeBps = 100 }
    }

    /// One block at `time + advance` with the given transactions; returns each failure.
    @discardableResult
    mutating func block(_ txs: [(SigningKey, Payload)], advance: UInt64 = 100) throws -> [ExecutionFailure?] {
        time += advance
        var nonces = g.l.nonces
        let signed = txs.map { key, payload in
            let n = nonces[key.address] ?? 0
            nonces[key.address] = n + 1
            return key.sign(TransactionBody(chainID: g.l.chainID, sender: key.publicKey, nonce: n, fee: Amount(1)!, expiresAt: 1_000_000,
                                            payload: payload))
        }
        g.l.height += 1
        let result = try g.l.executor.execute(signed, context: BlockContext(height: g.l.height, timestamp: time, proposer: g.l.proposer),
                                              base: g.l.state, mode: .propose)
        precondition(result.rejected.isEmpty, "refused: \(result.rejected)")
        g.l.state.apply(result.writes)
        for tx in result.included { g.l.nonces[tx.sender] = tx.body.nonce + 1 }
        let failures = result.receipts.map(\.failure)
        try checkSupply()
        return failures
    }

    mutating func run(_ key: SigningKey, _ payload: Payload, advance: UInt64 = 100) throws -> ExecutionFailure? {
        try block([(key, payload)], advance: advance)[0]
    }

    /// An empty block `ms` later (time passing).
    mutating func wait(_ ms: UInt64) throws { try block([], advance: ms) }

    func nextID(_ key: SigningKey, offer: Bool) -> Hash {
        let nonce = g.l.nonces[key.address] ?? 0
        return offer ? LedgerID.offer(seller: key.address, nonce: nonce) : LedgerID.purchase(buyer: key.address, nonce: nonce)
    }

    static let contentKey = [UInt8](repeating: 0x5c, count: 32)
    static let wrongKey = [UInt8](repeating: 0x5d, count: 32)

    func terms(price: UInt64 = 1_000, bond: UInt64 = 300, expiresIn: UInt64 = 600_000, delivery: UInt64 = 5_000, dispute: UInt64 = 10_000,
               group: Hash? = nil) -> OfferTerms {
        OfferTerms(title: "weights", artifact: ArtifactRef(sha256: Hash.sha256([9]), size: 100), plaintextSHA256: Hash.sha256([8]),
                   keyCommitment: MarketSeal.commitment(contentKey: Self.contentKey), price: Amount(price)!, bond: Amount(bond)!,
                   expiresAt: time + expiresIn, deliveryWindowMs: delivery, disputeWindowMs: dispute, group: group)
    }

    /// Creates an offer from `seller` and returns its ID.
    mutating func offer(_ t: OfferTerms? = nil) throws -> Hash {
        let id = nextID(seller, offer: true)
        let failure = try run(seller, .createOffer(t ?? terms()))
        precondition(failure == nil, "createOffer failed: \(failure!)")
        return id
    }

    /// `key` buys `offer` with a fresh one-time key; returns the purchase and its private key.
    mutating func buy(_ offer: Hash, by key: SigningKey? = nil) throws -> (Hash, Bytes32) {
        let k = key ?? buyer
        let id = nextID(k, offer: false)
        let (secret, pub) = MarketSeal.newBuyerKey()
        let failure = try run(k, .buyOffer(offer: offer, buyerKey: pub))
        precondition(failure == nil, "buyOffer failed: \(failure!)")
        return (id, secret)
    }

    func sealed(_ purchase: Hash, key: [UInt8] = MarketLedger.contentKey) throws -> SealedContentKey {
        let p = try #require(try self.purchase(purchase))
        return try MarketSeal.seal(contentKey: key, to: p.buyerKey, chainID: g.l.chainID, purchase: purchase)
    }

    func offerRecord(_ id: Hash) throws -> OfferRecord? { try Market.offer(id, state: g.l.state) }
    func purchase(_ id: Hash) throws -> PurchaseRecord? { try Market.purchase(id, state: g.l.state) }
    func held() throws -> UInt64 { try Market.held(state: g.l.state).units }
    func balance(_ key: SigningKey) throws -> UInt64 { try g.balance(key) }
    func treasury() throws -> UInt64 { try g.balance(Self.treasury) }

    /// bank/supply = Σ balances + Σ bonds + Σ treasuries + market/held, and market/held is
    /// exactly the escrow of open purchases plus the bonds offers still hold.
    func checkSupply() throws {
        let supply = try g.l.supply()
        let accounted = try g.accountedSupply() + held()
        precondition(supply == accounted, "supply \(supply) != accounted \(accounted)")
        var inRecords: UInt64 = 0
        for (key, value) in g.l.state.entries {
            if key.bytes.starts(with: MarketKeys.offerPrefix) { inRecords += try OfferRecord(canonicalBytes: value).bondHeld.units }
            if key.bytes.starts(with: MarketKeys.purchasePrefix) {
                let p = try PurchaseRecord(canonicalBytes: value)
                if p.status.isOpen { inRecords += p.price.units }
            }
        }
        let recorded = try held()
        precondition(inRecords == recorded, "records hold \(inRecords), market/held \(recorded)")
    }

    /// A snapshot of everything a failed transaction must not change besides its fee.
    /// The settlement clock moves with block time whatever the transactions do: left out.
    func snapshot() -> [StateKey: [UInt8]] {
        g.l.state.entries.filter {
            !$0.key.bytes.starts(with: Array(BankKeys.accountPrefix.utf8)) && $0.key != BankKeys.supply && $0.key != MarketKeys.clock
                && !$0.key.bytes.starts(with: MarketKeys.duePrefix)
        }
    }
}

@Suite("Market: offers, escrow, sealed delivery, disputes and settlement")
struct MarketTests {
    @Test("honest sale: the bond is locked, the price escrowed, the seller paid price minus 1% after the dispute window, the bond returned on cancel")
    func honestSale() throws {
        var m = try MarketLedger()
        let s0 = try m.balance(m.seller), b0 = try m.balance(m.buyer), t0 = try m.treasury()
        let offer = try m.offer()
        #expect(try m.balance(m.seller) == s0 - 1 - 300)
        #expect(try m.held() == 300)
        let (purchase, _) = try m.buy(offer)
        #expect(try m.balance(m.buyer) == b0 - 1 - 1_000)
        #expect(try m.held() == 1_300)
        let p = try #require(try m.purchase(purchase))
        #expect(p.status == .awaitingDelivery && p.seller == m.seller.address && p.dueAt == m.time + 5_000)
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: try m.sealed(purchase))) == nil)
        let delivered = try #require(try m.purchase(purchase))
        #expect(delivered.status == .delivered && delivered.dueAt == m.time + 10_000)
        // Not yet: the window is still open a second before its end.
        try m.wait(9_000)
        #expect(try m.purchase(purchase)?.status == .delivered)
        try m.wait(2_000)
        #expect(try m.purchase(purchase)?.status == .released)
        #expect(try m.balance(m.seller) == s0 - 2 - 300 + 990)
        #expect(try m.treasury() == t0 + 3 + 10)  // three fees, one sale fee
        #expect(try m.held() == 300)
        let o = try #require(try m.offerRecord(offer))
        #expect(o.openPurchases == 0 && o.sales == 1 && o.purchases == 1)
        #expect(try m.run(m.seller, .cancelOffer(offer: offer)) == nil)
        #expect(try m.balance(m.seller) == s0 - 3 + 990)
        #expect(try m.held() == 0)
        #expect(try m.offerRecord(offer)?.status == .cancelled)
        // Nothing left scheduled: an idle market writes nothing per block.
        #expect(m.g.l.state.entries[MarketKeys.clock] == nil)
    }

    @Test("cheating seller: the buyer's dispute opens the delivery on chain, refunds the price and slashes the whole bond to the buyer")
    func cheatingSeller() throws {
        var m = try MarketLedger()
        let s0 = try m.balance(m.seller), b0 = try m.balance(m.buyer)
        let offer = try m.offer()
        let (purchase, secret) = try m.buy(offer)
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: try m.sealed(purchase, key: MarketLedger.wrongKey))) == nil)
        #expect(try m.run(m.buyer, .disputePurchase(purchase: purchase, buyerSecret: secret)) == nil)
        #expect(try m.purchase(purchase)?.status == .refundedDisputed)
        #expect(try m.balance(m.buyer) == b0 - 2 + 300)
        #expect(try m.balance(m.seller) == s0 - 2 - 300)
        #expect(try m.held() == 0)
        let o = try #require(try m.offerRecord(offer))
        #expect(o.status == .slashed && o.bondHeld == .zero && o.openPurchases == 0)
        // A slashed offer can no longer be bought or cancelled; the settlement entry is stale.
        #expect(try m.run(m.other, .buyOffer(offer: offer, buyerKey: MarketSeal.newBuyerKey().publicKey))
            == .offerNotOpen(offer: offer, status: .slashed))
        #expect(try m.run(m.seller, .cancelOffer(offer: offer)) == .offerNotOpen(offer: offer, status: .slashed))
        try m.wait(20_000)
        #expect(try m.purchase(purchase)?.status == .refundedDisputed)
        #expect(try m.balance(m.seller) == s0 - 3 - 300)
    }

    @Test("a box that does not open at all is the seller's failure too")
    func garbageDelivery() throws {
        var m = try MarketLedger()
        let offer = try m.offer()
        let (purchase, secret) = try m.buy(offer)
        let junk = SealedContentKey(encapsulatedKey: Bytes32([UInt8](repeating: 9, count: 32)), ciphertext: [UInt8](repeating: 1, count: 48))
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: junk)) == nil)
        #expect(try m.run(m.buyer, .disputePurchase(purchase: purchase, buyerSecret: secret)) == nil)
        #expect(try m.purchase(purchase)?.status == .refundedDisputed)
    }

    @Test("a dispute of a correct key is refused (delivered_key_valid) and a wrong private key is refused (dispute_key_mismatch); nothing but the fee changes")
    func failedDisputes() throws {
        var m = try MarketLedger()
        let offer = try m.offer()
        let (purchase, secret) = try m.buy(offer)
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: try m.sealed(purchase))) == nil)
        let before = m.snapshot(), b0 = try m.balance(m.buyer)
        #expect(try m.run(m.buyer, .disputePurchase(purchase: purchase, buyerSecret: secret)) == .deliveredKeyValid(purchase: purchase))
        #expect(try m.run(m.buyer, .disputePurchase(purchase: purchase, buyerSecret: MarketSeal.newBuyerKey().privateKey))
            == .disputeKeyMismatch(purchase: purchase))
        #expect(m.snapshot() == before)
        #expect(try m.balance(m.buyer) == b0 - 2)
        try m.wait(11_000)
        #expect(try m.purchase(purchase)?.status == .released)
    }

    @Test("absent seller: past the delivery deadline the whole price goes back to the buyer; the bond is untouched and late delivery refused")
    func absentSeller() throws {
        var m = try MarketLedger()
        let s0 = try m.balance(m.seller), b0 = try m.balance(m.buyer)
        let offer = try m.offer(m.terms(delivery: 2_000))
        let (purchase, secret) = try m.buy(offer)
        let due = try #require(try m.purchase(purchase)).dueAt
        // At the deadline exactly, delivery is too late even before settlement ran.
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: try m.sealed(purchase)), advance: due - m.time)
            == .deliveryDeadlinePassed(purchase: purchase, deadline: due))
        try m.wait(1_000)
        #expect(try m.purchase(purchase)?.status == .refundedUndelivered)
        #expect(try m.balance(m.buyer) == b0 - 1)
        #expect(try m.balance(m.seller) == s0 - 2 - 300)
        #expect(try m.offerRecord(offer)?.bondHeld == Amount(300)!)
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: try m.sealed(purchase)))
            == .purchaseNotAwaitingDelivery(purchase: purchase, status: .refundedUndelivered))
        #expect(try m.run(m.buyer, .disputePurchase(purchase: purchase, buyerSecret: secret))
            == .purchaseNotDelivered(purchase: purchase, status: .refundedUndelivered))
        #expect(try m.run(m.seller, .cancelOffer(offer: offer)) == nil)
        #expect(try m.balance(m.seller) == s0 - 4)
    }

    @Test("buying twice while a purchase is open, one's own offer, an expired, cancelled or unknown offer, and without the price are typed failures")
    func forbiddenPurchases() throws {
        var m = try MarketLedger()
        let offer = try m.offer(m.terms(expiresIn: 60_000))
        let (first, _) = try m.buy(offer)
        let key = MarketSeal.newBuyerKey().publicKey
        let before = m.snapshot()
        #expect(try m.run(m.buyer, .buyOffer(offer: offer, buyerKey: key)) == .offerAlreadyPurchased(offer: offer, purchase: first))
        #expect(try m.run(m.seller, .buyOffer(offer: offer, buyerKey: key)) == .cannotBuyOwnOffer(offer: offer))
        let missing = Hash.sha256([7])
        #expect(try m.run(m.other, .buyOffer(offer: missing, buyerKey: key)) == .offerNotFound(missing))
        #expect(m.snapshot() == before)
        // Another buyer may buy the same offer: each purchase is its own escrow.
        let (second, _) = try m.buy(offer, by: m.other)
        let open = try m.offerRecord(offer)?.openPurchases
        #expect(second != first && open == 2)
        // Once the first settles (refunded here), the same buyer may buy again.
        try m.wait(6_000)
        #expect(try m.purchase(first)?.status == .refundedUndelivered)
        _ = try m.buy(offer)
        let expiresAt = try #require(try m.offerRecord(offer)).terms.expiresAt
        let late = try m.run(m.outsider, .buyOffer(offer: offer, buyerKey: key), advance: 60_000)
        #expect(late == .offerExpired(offer: offer, expiresAt: expiresAt))
        // Cancelled, and too poor.
        try m.wait(10_000)
        #expect(try m.run(m.seller, .cancelOffer(offer: offer)) == nil)
        let fresh = try m.offer(m.terms(price: 2_000_000))
        #expect(try m.run(m.outsider, .buyOffer(offer: offer, buyerKey: key)) == .offerNotOpen(offer: offer, status: .cancelled))
        #expect(try m.run(m.outsider, .buyOffer(offer: fresh, buyerKey: key))
            == .insufficientBalance(balance: Amount(try m.balance(m.outsider))!, needed: Amount(2_000_000)!))
    }

    @Test("only the seller delivers and cancels, only the buyer disputes; everyone else gets the typed role failure")
    func wrongParties() throws {
        var m = try MarketLedger()
        let offer = try m.offer()
        let (purchase, secret) = try m.buy(offer)
        let sealed = try m.sealed(purchase)
        for actor in [m.buyer, m.other, m.outsider] {
            #expect(try m.run(actor, .deliverKey(purchase: purchase, sealed: sealed)) == .notPurchaseSeller(purchase: purchase, address: actor.address))
            #expect(try m.run(actor, .cancelOffer(offer: offer)) == .notOfferSeller(offer: offer, address: actor.address))
        }
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: sealed)) == nil)
        for actor in [m.seller, m.other, m.outsider] {
            #expect(try m.run(actor, .disputePurchase(purchase: purchase, buyerSecret: secret))
                == .notPurchaseBuyer(purchase: purchase, address: actor.address))
        }
        let missing = Hash.sha256([3])
        #expect(try m.run(m.seller, .deliverKey(purchase: missing, sealed: sealed)) == .purchaseNotFound(missing))
        #expect(try m.run(m.buyer, .disputePurchase(purchase: missing, buyerSecret: secret)) == .purchaseNotFound(missing))
        #expect(try m.run(m.seller, .cancelOffer(offer: missing)) == .offerNotFound(missing))
    }

    @Test("forbidden transitions: deliver twice, dispute before delivery, dispute after the window, dispute twice, cancel with open purchases or twice")
    func forbiddenTransitions() throws {
        var m = try MarketLedger()
        let offer = try m.offer()
        let (purchase, secret) = try m.buy(offer)
        #expect(try m.run(m.buyer, .disputePurchase(purchase: purchase, buyerSecret: secret))
            == .purchaseNotDelivered(purchase: purchase, status: .awaitingDelivery))
        #expect(try m.run(m.seller, .cancelOffer(offer: offer)) == .offerHasOpenPurchases(offer: offer, count: 1))
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: try m.sealed(purchase, key: MarketLedger.wrongKey))) == nil)
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: try m.sealed(purchase)))
            == .purchaseNotAwaitingDelivery(purchase: purchase, status: .delivered))
        let due = try #require(try m.purchase(purchase)).dueAt
        // At the end of the window the dispute is too late, even though the wrong key is provable.
        #expect(try m.run(m.buyer, .disputePurchase(purchase: purchase, buyerSecret: secret), advance: due - m.time)
            == .disputeWindowClosed(purchase: purchase, deadline: due))
        try m.wait(1_000)
        #expect(try m.purchase(purchase)?.status == .released)
        #expect(try m.run(m.buyer, .disputePurchase(purchase: purchase, buyerSecret: secret))
            == .purchaseNotDelivered(purchase: purchase, status: .released))
        #expect(try m.run(m.seller, .cancelOffer(offer: offer)) == nil)
        #expect(try m.run(m.seller, .cancelOffer(offer: offer)) == .offerNotOpen(offer: offer, status: .cancelled))

        // A second purchase, disputed successfully, cannot be disputed again.
        let again = try m.offer()
        let (p2, s2) = try m.buy(again)
        #expect(try m.run(m.seller, .deliverKey(purchase: p2, sealed: try m.sealed(p2, key: MarketLedger.wrongKey))) == nil)
        #expect(try m.run(m.buyer, .disputePurchase(purchase: p2, buyerSecret: s2)) == nil)
        #expect(try m.run(m.buyer, .disputePurchase(purchase: p2, buyerSecret: s2)) == .purchaseNotDelivered(purchase: p2, status: .refundedDisputed))
    }

    @Test("creating an offer: the expiry must be after the block time, the bond affordable, the group real and the seller in it")
    func createOfferRules() throws {
        var m = try MarketLedger()
        var t = m.terms()
        t.expiresAt = m.time + 100  // the block executes at time + 100
        let past = try m.run(m.seller, .createOffer(t))
        #expect(past == .offerExpiryNotInFuture(expiresAt: t.expiresAt, blockTime: m.time))
        let rich = m.terms(bond: 5_000_000)
        #expect(try m.run(m.seller, .createOffer(rich))
            == .insufficientBalance(balance: Amount(try m.balance(m.seller))!, needed: Amount(5_000_000)!))
        let missing = Hash.sha256([5])
        #expect(try m.run(m.seller, .createOffer(m.terms(group: missing))) == .groupNotFound(missing))
        let group = try m.g.createGroup(m.other)
        #expect(try m.run(m.seller, .createOffer(m.terms(group: group))) == .notGroupMember(group: group, address: m.seller.address))
        #expect(m.g.l.state.entries.keys.contains { $0.bytes.starts(with: MarketKeys.offerPrefix) } == false)
        #expect(try m.held() == 0)
    }

    @Test("a group offer is bought only by members, checked at execution: a member removed earlier in the same block cannot buy")
    func groupOffer() throws {
        var m = try MarketLedger()
        let group = try m.g.createGroup(m.seller)
        #expect(try m.run(m.seller, .addGroupMember(group: group, member: m.buyer.address, role: .observer)) == nil)
        #expect(try m.run(m.seller, .addGroupMember(group: group, member: m.other.address, role: .member)) == nil)
        let offer = try m.offer(m.terms(group: group))
        #expect(try m.run(m.outsider, .buyOffer(offer: offer, buyerKey: MarketSeal.newBuyerKey().publicKey))
            == .notGroupMember(group: group, address: m.outsider.address))
        _ = try m.buy(offer)  // observers read, so they may buy
        let failures = try m.block([(m.seller, .removeGroupMember(group: group, member: m.other.address)),
                                    (m.other, .buyOffer(offer: offer, buyerKey: MarketSeal.newBuyerKey().publicKey))])
        #expect(failures == [nil, .notGroupMember(group: group, address: m.other.address)])
    }

    @Test("a group's higher transfer fee applies to its offers' sales")
    func groupFee() throws {
        var m = try MarketLedger()
        let group = try m.g.createGroup(m.seller, policy: GroupPolicy(faucetAmount: .zero, claimReward: .zero, transferFeeBps: 500,
                                                                      maxSupply: .zero, maxBalance: .zero))
        #expect(try m.run(m.seller, .addGroupMember(group: group, member: m.buyer.address, role: .member)) == nil)
        let offer = try m.offer(m.terms(group: group))
        let (purchase, _) = try m.buy(offer)
        #expect(try m.run(m.seller, .deliverKey(purchase: purchase, sealed: try m.sealed(purchase))) == nil)
        let s0 = try m.balance(m.seller)
        try m.wait(11_000)
        #expect(try m.balance(m.seller) == s0 + 950)
    }

    @Test("a chain that stalls for hours settles everything due, at most 4,096 seconds of buckets per block")
    func catchUp() throws {
        var m = try MarketLedger()
        let offer = try m.offer(m.terms(expiresIn: 100_000_000))
        let slow = try m.offer(m.terms(expiresIn: 100_000_000, delivery: 6_000_000))
        let (p1, _) = try m.buy(offer)
        let (p2, _) = try m.buy(offer, by: m.other)
        let (p3, _) = try m.buy(slow, by: m.outsider)
        #expect(try m.run(m.seller, .deliverKey(purchase: p2, sealed: try m.sealed(p2))) == nil)
        try m.wait(10_000 * 1_000)  // the next block comes 10,000 s later
        // The first block after the stall walks 4,096 one-second buckets: p1's deadline and p2's
        // dispute window end in them, p3's deadline (6,000 s) does not, though it has passed.
        #expect(try m.purchase(p1)?.status == .refundedUndelivered)
        #expect(try m.purchase(p2)?.status == .released)
        let stalled = try #require(try m.purchase(p3))
        #expect(stalled.status == .awaitingDelivery && stalled.dueAt < m.time)
        try m.wait(100)
        #expect(try m.purchase(p3)?.status == .refundedUndelivered)
        #expect(m.g.l.state.entries[MarketKeys.clock] == nil)
    }

    @Test("every market failure round-trips through the receipt codec with its code")
    func failureCodec() throws {
        let h = Hash.sha256([1]), a = Address(raw: [UInt8](repeating: 4, count: 20))
        let failures: [ExecutionFailure] = [
            .offerNotFound(h), .purchaseNotFound(h), .offerNotOpen(offer: h, status: .slashed), .offerExpired(offer: h, expiresAt: 9),
            .offerExpiryNotInFuture(expiresAt: 1, blockTime: 2), .cannotBuyOwnOffer(offer: h), .offerAlreadyPurchased(offer: h, purchase: h),
            .notOfferSeller(offer: h, address: a), .notPurchaseSeller(purchase: h, address: a), .notPurchaseBuyer(purchase: h, address: a),
            .purchaseNotAwaitingDelivery(purchase: h, status: .delivered), .deliveryDeadlinePassed(purchase: h, deadline: 3),
            .purchaseNotDelivered(purchase: h, status: .refundedUndelivered), .disputeWindowClosed(purchase: h, deadline: 4),
            .disputeKeyMismatch(purchase: h), .deliveredKeyValid(purchase: h), .offerHasOpenPurchases(offer: h, count: 2),
            .royaltyClaimNotFound(h), .royaltyClaimWithoutSources(h), .royaltyArtifactNotInClaim(claim: h, artifact: h),
        ]
        var codes = Set<String>()
        for f in failures {
            let receipt = Receipt(feePaid: Amount(1)!, failure: f)
            let decoded = try Receipt(canonicalBytes: receipt.canonicalBytes)
            #expect(decoded == receipt)
            codes.insert(f.code)
            #expect(!f.description.isEmpty)
        }
        #expect(codes.count == failures.count)
    }

    @Test("property: random market traffic from four parties never creates or loses funds (seeded)", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func supplyConservation(seed: UInt64) throws {
        var r = SplitMix64(seed: seed)
        var m = try MarketLedger()
        let parties = [m.seller, m.buyer, m.other, m.outsider]
        var offers: [Hash] = []
        var purchases: [(Hash, Bytes32)] = []
        var succeeded: [String: Int] = [:]
        let wrong = MarketLedger.wrongKey, right = MarketLedger.contentKey
        for _ in 0..<150 {
            var txs: [(SigningKey, Payload)] = []
            var nonces = m.g.l.nonces
            /// The sender's nonce in this block (to predict the IDs of what it creates).
            func send(_ key: SigningKey, _ payload: Payload) -> UInt64 {
                let nonce = nonces[key.address] ?? 0
                nonces[key.address] = nonce + 1
                txs.append((key, payload))
                return nonce
            }
            for _ in 0..<Int.random(in: 0...4, using: &r) {
                let actor = parties[Int.random(in: 0..<parties.count, using: &r)]
                // Mostly the right party, sometimes anyone: both sides of every rule get traffic.
                func mostly(_ party: Address) -> SigningKey {
                    Int.random(in: 0..<5, using: &r) < 4 ? (parties.first { $0.address == party } ?? actor) : actor
                }
                // Purchases still open are the interesting ones to deliver and dispute.
                let open = try purchases.filter { try m.purchase($0.0)?.status.isOpen == true }
                let roll = Int.random(in: 0..<100, using: &r)
                switch roll {
                case 0..<15:
                    let nonce = send(actor, .createOffer(m.terms(price: UInt64.random(in: 1...50_000, using: &r),
                                                                  bond: UInt64.random(in: 0...20_000, using: &r),
                                                                  expiresIn: UInt64.random(in: 1_000...120_000, using: &r),
                                                                  delivery: UInt64.random(in: 1_000...20_000, using: &r),
                                                                  dispute: UInt64.random(in: 1_000...20_000, using: &r))))
                    offers.append(LedgerID.offer(seller: actor.address, nonce: nonce))
                case 15..<22 where !offers.isEmpty:
                    let offer = offers[Int.random(in: 0..<offers.count, using: &r)]
                    let seller = try m.offerRecord(offer)?.seller ?? actor.address
                    _ = send(mostly(seller), .cancelOffer(offer: offer))
                case 22..<50 where !offers.isEmpty:
                    let (secret, pub) = MarketSeal.newBuyerKey()
                    let nonce = send(actor, .buyOffer(offer: offers[Int.random(in: 0..<offers.count, using: &r)], buyerKey: pub))
                    purchases.append((LedgerID.purchase(buyer: actor.address, nonce: nonce), secret))
                case 50..<75 where !open.isEmpty:
                    let (id, _) = open[Int.random(in: 0..<open.count, using: &r)]
                    let p = try #require(try m.purchase(id))
                    let sealed = try MarketSeal.seal(contentKey: Bool.random(using: &r) ? right : wrong, to: p.buyerKey,
                                                     chainID: m.g.l.chainID, purchase: id)
                    _ = send(mostly(p.seller), .deliverKey(purchase: id, sealed: sealed))
                case 75..<92 where !open.isEmpty:
                    let (id, secret) = open[Int.random(in: 0..<open.count, using: &r)]
                    let p = try #require(try m.purchase(id))
                    let key = Int.random(in: 0..<10, using: &r) < 8 ? secret : MarketSeal.newBuyerKey().privateKey
                    _ = send(mostly(p.buyer), .disputePurchase(purchase: id, buyerSecret: key))
                default:
                    _ = send(actor, .transfer(to: parties[Int.random(in: 0..<parties.count, using: &r)].address,
                                              amount: Amount(UInt64.random(in: 1...1_000, using: &r))!, memo: ""))
                }
            }
            // checkSupply runs after every block and stops the test on the first difference.
            let failures = try m.block(txs, advance: UInt64.random(in: 1...2_000, using: &r))
            for ((_, payload), failure) in zip(txs, failures) where failure == nil { succeeded[payload.kind, default: 0] += 1 }
        }
        // The traffic did reach every operation, not just its failures.
        for kind in ["market_offer", "market_buy", "market_deliver", "market_dispute", "market_cancel"] {
            #expect(succeeded[kind, default: 0] > 0, "no successful \(kind) with seed \(seed)")
        }
        try m.wait(200_000)
        try m.wait(100)
        // Everything settled: only bonds of offers still open remain held.
        var bonds: UInt64 = 0
        for (key, value) in m.g.l.state.entries where key.bytes.starts(with: MarketKeys.purchasePrefix) {
            #expect(!(try PurchaseRecord(canonicalBytes: value)).status.isOpen)
        }
        for (key, value) in m.g.l.state.entries where key.bytes.starts(with: MarketKeys.offerPrefix) {
            bonds += try OfferRecord(canonicalBytes: value).bondHeld.units
        }
        #expect(try m.held() == bonds)
    }
}
