import AgoraCore
import AgoraState

/// The WebSocket events of the market module (module "market"): one per successful transaction —
/// `market.offered`, `market.cancelled`, `market.bought`, `market.delivered`, `market.disputed`
/// (a successful dispute: the buyer was refunded and the bond slashed) — and one per purchase the
/// end of a block settled, `market.released` (seller paid) or `market.refunded` (the seller missed
/// the delivery deadline). Transaction events are built from the transaction alone; settlement
/// events from the block's write set (the purchase records whose status moved to settled) and,
/// for the royalty shares a release paid, from the block's execution, so publishing costs no
/// state read either way.
struct MarketEvents: ModuleEvents {
    var tags: [Payload.Tag] { [.createOffer, .createOfferWithRoyalty, .cancelOffer, .buyOffer, .deliverKey, .disputePurchase] }

    func append(_ tx: Transaction, involved: [Address], block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        drafts.append(MarketEvents.draft(tx, height: block.height, timestamp: block.timestamp))
        block.metrics.marketOperation(tx.body.payload.kind)
    }

    func appendBlock(_ block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        for settlement in MarketEvents.settlements(block.writes, royalties: block.royalties, height: block.height, timestamp: block.timestamp) {
            drafts.append(settlement)
            block.metrics.marketOperation(settlement.type == "market.released" ? "market_release" : "market_refund")
        }
    }

    static func draft(_ tx: Transaction, height: UInt64, timestamp: UInt64) -> EventBus.Draft {
        var data: [String: JSONValue] = ["tx": .string(tx.id.hex), "sender": .string(tx.sender.description), "height": .uint(height),
                                         "time": .uint(timestamp)]
        let type: String
        switch tx.body.payload {
        case let .createOffer(terms):
            type = "market.offered"
            data["offer"] = .string(LedgerID.offer(seller: tx.sender, nonce: tx.body.nonce).hex)
            data["price"] = .uint(terms.price.units)
            data["bond"] = .uint(terms.bond.units)
            data["artifact"] = .string(terms.artifact.sha256.hex)
            if let r = terms.royalty { data["royalty"] = .object(["claim": .string(r.claim.hex), "bps": .uint(UInt64(r.bps))]) }
        case let .cancelOffer(offer):
            type = "market.cancelled"
            data["offer"] = .string(offer.hex)
        case let .buyOffer(offer, _):
            type = "market.bought"
            data["offer"] = .string(offer.hex)
            data["purchase"] = .string(LedgerID.purchase(buyer: tx.sender, nonce: tx.body.nonce).hex)
        case let .deliverKey(purchase, _):
            type = "market.delivered"
            data["purchase"] = .string(purchase.hex)
        case let .disputePurchase(purchase, _):
            type = "market.disputed"
            data["purchase"] = .string(purchase.hex)
        default:
            preconditionFailure("MarketEvents.draft called for a \(tx.body.payload.kind) transaction")
        }
        let frozen = data  // built eagerly: a var cannot be captured by the lazy field closure
        return .init(kind: .module, type: type, module: "market", txID: tx.id, accounts: [tx.sender], data: frozen)
    }

    /// Purchases that the block's end settled: status went from open to released or
    /// refunded_undelivered (a dispute's refund has its own transaction event). A release lists
    /// the royalty shares it paid (`royalties`, from the block's execution: no record keeps
    /// them) and names their recipients among its accounts, so an author filtering by its
    /// address sees what it earned.
    static func settlements(_ writes: WriteSet, royalties: [RoyaltyPayment], height: UInt64, timestamp: UInt64) -> [EventBus.Draft] {
        var out: [EventBus.Draft] = []
        let paidBySale = Dictionary(grouping: royalties, by: \.purchase)
        for entry in writes.entries where entry.key.bytes.starts(with: MarketKeys.purchasePrefix) {
            guard let now = entry.value, let before = entry.previous,
                  let p = try? PurchaseRecord(canonicalBytes: now), let old = try? PurchaseRecord(canonicalBytes: before),
                  old.status.isOpen, p.status == .released || p.status == .refundedUndelivered,
                  let id = Hash(bytes: entry.key.bytes.dropFirst(MarketKeys.purchasePrefix.count))
            else { continue }
            let released = p.status == .released
            var data: [String: JSONValue] = [
                "purchase": .string(id.hex), "offer": .string(p.offer.hex), "buyer": .string(p.buyer.description),
                "seller": .string(p.seller.description), "price": .uint(p.price.units), "height": .uint(height), "time": .uint(timestamp),
            ]
            var accounts = [released ? p.seller : p.buyer]
            if released {
                let paid = paidBySale[id] ?? []
                data["royalties"] = .array(paid.map {
                    .object(["recipient": .string($0.recipient.description), "amount": .uint($0.amount.units), "claim": .string($0.claim.hex)])
                })
                for recipient in paid.map(\.recipient) where !accounts.contains(recipient) { accounts.append(recipient) }
            }
            let fields = data  // `data:` is read later, from another task: it takes a constant
            out.append(.init(kind: .module, type: released ? "market.released" : "market.refunded", module: "market",
                             accounts: accounts, data: fields))
        }
        return out
    }
}
