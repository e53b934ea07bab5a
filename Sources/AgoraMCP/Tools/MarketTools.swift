import AgoraAPI
import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraState
import Foundation
import MCP
import Synchronization

/// The market through MCP: sell content (encrypted here, ciphertext uploaded, content key kept
/// in the agent's key directory), list and read offers, buy with a fresh one-time key, deliver
/// the key sealed to the buyer, receive — which checks the delivered key against the offer's
/// commitment exactly as the chain would, disputes on its own when the seller cheated, and
/// returns the decrypted content only once it hashes to what the offer promised. Content goes
/// inline, so at most 4 MiB here; `agora market` streams files of any size with the same keys.
enum MarketTools {
    static let all: [AgoraTool] = [listOffers, getOffer, offer, buy, deliver, receive, dispute, purchases]

    /// What market_receive returns: the purchase, its status and the decrypted content.
    static let receivedOutput: ToolOutput = {
        var fields = ArtifactTools.contentFields("SHA-256 of the content (the offer's commitment)")
        fields["purchase"] = Schema.hash("Purchase ID")
        fields["status"] = Schema.string("Purchase status")
        return ToolOutput.object(fields, required: ["purchase", "status", "sha256", "size", "encoding", "content"])
    }()

    static let listOffers = AgoraTool(
        "list_offers", title: "List offers", "Market offers in ID order, all or one seller's; each with title, price, bond, windows and status.",
        input: Schema.object(["seller": Schema.address("Only this seller's offers"), "limit": Schema.integer("Page size", minimum: 1, maximum: 500),
                              "cursor": Schema.string("nextCursor of the previous page", maxLength: 128)]),
        output: ToolOutput.view("OfferPage"), effect: .reads
    ) { args, session in
        var extra: [(String, String)] = []
        if let s = try args.optionalAddress("seller") { extra.append(("seller", s.description)) }
        let path = try Paging.query(args, base: "/api/v1/market/offers", extra: extra)
        try args.finish(consumed: ["seller", "limit", "cursor"])
        return try value(try await session.gateway.get(path, as: API.ListView<API.OfferView>.self))
    }

    static let getOffer = AgoraTool(
        "get_offer", title: "Get offer",
        "One offer: terms, status, bond held, purchase counts. verified says whether this session's light client proved the offer's state record.",
        input: Schema.object(["offer": Schema.hash("Offer ID"), "prove": VerifiedReads.proveArgument], required: ["offer"]),
        output: ToolOutput.verifiedView("Offer"), effect: .reads
    ) { args, session in
        let id = try args.hash("offer")
        let prove = try args.optionalBool("prove") ?? false
        try args.finish(consumed: ["offer", "prove"])
        let (view, verified) = try await VerifiedReads.read(session, path: "/api/v1/market/offers/\(id.hex)", key: MarketKeys.offer(id),
                                                            prove: prove, proof: \API.OfferView.proof,
                                                            fields: { v, value throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.offer(v, id: id, value: value) })
        return VerifiedReads.output(try value(view), verified, unproven: ProvenRecordFields.offerUnproven)
    }

    static let purchases = AgoraTool(
        "list_purchases", title: "List purchases", "The agent's purchases as buyer, or the purchases of its offers as seller (or another address's).",
        input: Schema.object(["role": Schema.string("Whose purchases", enumeration: ["buyer", "seller"]), "address": Schema.address("Default: the agent"),
                              "limit": Schema.integer("Page size", minimum: 1, maximum: 500),
                              "cursor": Schema.string("nextCursor of the previous page", maxLength: 128)], required: ["role"]),
        output: ToolOutput.view("PurchasePage"), effect: .reads
    ) { args, session in
        let role = try args.string("role", maxBytes: 8)
        guard role == "buyer" || role == "seller" else { throw ToolError.invalidArgument(argument: "role", reason: "must be buyer or seller") }
        guard let address = try args.optionalAddress("address") ?? session.agent?.key.address else { throw ToolError.missingArgument("address") }
        let path = try Paging.query(args, base: "/api/v1/market/\(role)s/\(address)/purchases")
        try args.finish(consumed: ["role", "address", "limit", "cursor"])
        return try value(try await session.gateway.get(path, as: API.ListView<API.PurchaseView>.self))
    }

    static let offer = AgoraTool(
        "market_offer", title: "Offer content for sale",
        "Sell content: it is encrypted with a fresh key, the ciphertext is uploaded, the key is kept in the agent's key directory, and an offer with its price, bond and windows is committed. Returns the offer ID. Deliver each purchase with market_deliver before its delivery deadline.",
        input: Schema.object([
            "content": Schema.string("What is sold: UTF-8 text, or base64 when encoding is base64 (at most 4 MiB)", maxLength: ArtifactTools.maxBytes * 4 / 3 + 4),
            "encoding": Schema.string("How content is given", enumeration: ["utf8", "base64"]),
            "title": Schema.string("Title buyers see", maxLength: MarketBounds.maxTitleBytes),
            "price": Schema.amount("Price"),
            "bond": Schema.integer("Bond locked while the offer lives; a buyer who proves a wrong key receives it (base units)", minimum: 0, maximum: Int64.max),
            "expiresInMs": Schema.integer("Offer lifetime from now, ms of block time (default 7 days)", minimum: 1_000, maximum: Int64.max),
            "deliveryWindowMs": Schema.integer("Time to deliver after each purchase (default 1 h)", minimum: Int64(MarketBounds.minWindowMs), maximum: Int64(MarketBounds.maxWindowMs)),
            "disputeWindowMs": Schema.integer("Time a buyer has to dispute after delivery (default 1 h)", minimum: Int64(MarketBounds.minWindowMs), maximum: Int64(MarketBounds.maxWindowMs)),
            "group": Schema.hash("Only members of this group may buy"),
            "royaltyClaim": Schema.hash("Pay a royalty to the sources of this claim (the content, by its plaintext hash and size, must be attached to it)"),
            "royaltyBps": Schema.integer("The royalty: basis points of each sale's proceeds after the fee", minimum: 1,
                                         maximum: Int64(MarketBounds.maxRoyaltyBps)),
        ], required: ["content", "title", "price"]),
        output: ToolOutput.committed(["offer": Schema.hash("New offer ID"), "ciphertext": Schema.hash("SHA-256 of the uploaded ciphertext"), "plaintextSHA256": Schema.hash("SHA-256 of the content")]), effect: .spendsOrEnds
    ) { args, session in
        let plain = try ArtifactTools.decode(try args.string("content", maxBytes: ArtifactTools.maxBytes * 4 / 3 + 4),
                                             encoding: try args.optionalString("encoding", maxBytes: 8))
        guard !plain.isEmpty, plain.count <= ArtifactTools.maxBytes else {
            throw ToolError.invalidArgument(argument: "content", reason: "must be 1 byte to \(ArtifactTools.maxBytes) bytes")
        }
        let title = try args.string("title", maxBytes: MarketBounds.maxTitleBytes)
        guard OfferTerms.isValidTitle(title) else { throw ToolError.invalidArgument(argument: "title", reason: "must not hold control characters") }
        let price = try args.amount("price")
        let bond = Amount(UInt64(try args.optionalInteger("bond", in: 0...Int64.max) ?? 0))!
        let expiresIn = UInt64(try args.optionalInteger("expiresInMs", in: 1_000...Int64.max) ?? 7 * 24 * 3_600_000)
        let windows = Int64(MarketBounds.minWindowMs)...Int64(MarketBounds.maxWindowMs)
        let delivery = UInt64(try args.optionalInteger("deliveryWindowMs", in: windows) ?? 3_600_000)
        let disputeWindow = UInt64(try args.optionalInteger("disputeWindowMs", in: windows) ?? 3_600_000)
        let group = try args.optionalHash("group")
        var royalty: Royalty?
        switch (try args.optionalHash("royaltyClaim"), try args.optionalInteger("royaltyBps", in: 1...Int64(MarketBounds.maxRoyaltyBps))) {
        case (nil, nil): break
        case let (claim?, bps?): royalty = Royalty(claim: claim, bps: UInt16(bps))
        default: throw ToolError.invalidArgument(argument: "royaltyBps", reason: "royaltyClaim and royaltyBps go together")
        }
        try args.finish(consumed: ["content", "encoding", "title", "price", "bond", "expiresInMs", "deliveryWindowMs", "disputeWindowMs", "group",
                                   "royaltyClaim", "royaltyBps"])
        guard let agent = session.agent, let sender = session.sender else { throw ToolError.noIdentity }
        let secrets = try session.requireSecrets()

        let status = try await session.status()
        let (expiresAt, overflow) = status.headTime.addingReportingOverflow(expiresIn)
        guard !overflow else { throw ToolError.invalidArgument(argument: "expiresInMs", reason: "too large") }
        let contentKey = ContentCipher.newKey()
        let ciphertext = try encrypt(plain, key: contentKey)
        var uploader = ArtifactClient(base: session.gateway.base)
        uploader.authorization = { sha, size in
            ArtifactRequestSignature.header(key: agent.key, action: .upload, chainID: status.chainID, sha256: sha, size: size)
        }
        let source = BytesSource(ciphertext)
        let cipherHash = try ArtifactClient.hash(source)
        do { _ = try await uploader.upload(source, sha256: cipherHash) } catch let f as ArtifactClient.Failure { throw ArtifactTools.artifactError(f) }
        let terms = OfferTerms(title: title, artifact: ArtifactRef(sha256: cipherHash, size: UInt64(ciphertext.count)), plaintextSHA256: Hash.sha256(plain),
                               keyCommitment: MarketSeal.commitment(contentKey: contentKey), price: price, bond: bond, expiresAt: expiresAt,
                               deliveryWindowMs: delivery, disputeWindowMs: disputeWindow, group: group, royalty: royalty)
        // The key is saved under the offer's ID before the offer exists: the nonce names it.
        let submitted = try await sender.submit(saving: { nonce in
            try secrets.write(contentKey, to: secrets.contentKeyPath(offer: LedgerID.offer(seller: agent.key.address, nonce: nonce)))
        }) { _, _ in .createOffer(terms) }
        let outcome = try await sender.outcome(of: submitted.id, timeout: session.commitTimeout)
        let id = LedgerID.offer(seller: agent.key.address, nonce: submitted.transaction.body.nonce)
        return committed(outcome, extra: ["offer": .string(id.hex), "ciphertext": .string(cipherHash.hex), "plaintextSHA256": .string(Hash.sha256(plain).hex)])
    }

    static let buy = AgoraTool(
        "market_buy", title: "Buy offer",
        "Buy an offer: its price is escrowed with a fresh one-time key (kept in the agent's key directory). Returns the purchase ID; then call market_receive to get the content once the seller delivers.",
        input: Schema.object(["offer": Schema.hash("Offer ID")], required: ["offer"]), output: ToolOutput.committed(["purchase": Schema.hash("New purchase ID"), "offer": Schema.hash("Offer ID"), "price": Schema.integer("Price escrowed (base units)")]), effect: .spendsOrEnds
    ) { args, session in
        let offerID = try args.hash("offer")
        try args.finish(consumed: ["offer"])
        guard let agent = session.agent, let sender = session.sender else { throw ToolError.noIdentity }
        let secrets = try session.requireSecrets()
        let view = try await session.gateway.get("/api/v1/market/offers/\(offerID.hex)", as: API.OfferView.self)
        guard view.status == "open" else { throw ToolError.nodeRefused(code: "offer_not_open", message: "offer \(offerID.hex) is \(view.status)") }
        let (secret, publicKey) = MarketSeal.newBuyerKey()
        let submitted = try await sender.submit(saving: { nonce in
            try secrets.write(secret.bytes, to: secrets.buyerKeyPath(purchase: LedgerID.purchase(buyer: agent.key.address, nonce: nonce)))
        }) { _, _ in .buyOffer(offer: offerID, buyerKey: publicKey) }
        let outcome = try await sender.outcome(of: submitted.id, timeout: session.commitTimeout)
        let id = LedgerID.purchase(buyer: agent.key.address, nonce: submitted.transaction.body.nonce)
        return committed(outcome, extra: ["purchase": .string(id.hex), "offer": .string(offerID.hex), "price": .int(Int(view.price))])
    }

    static let deliver = AgoraTool(
        "market_deliver", title: "Deliver purchase", "Seller: deliver a purchase of one of the agent's offers — the offer's content key sealed to the buyer's one-time key (HPKE).",
        input: Schema.object(["purchase": Schema.hash("Purchase ID")], required: ["purchase"]), output: ToolOutput.committed(["purchase": Schema.hash("Purchase ID")]), effect: .adds
    ) { args, session in
        let purchaseID = try args.hash("purchase")
        try args.finish(consumed: ["purchase"])
        guard let agent = session.agent else { throw ToolError.noIdentity }
        let secrets = try session.requireSecrets()
        let purchase = try await session.gateway.get("/api/v1/market/purchases/\(purchaseID.hex)", as: API.PurchaseView.self)
        // Agents of one node share a key directory: only the seller's session may use its keys.
        guard purchase.seller == agent.key.address.description else {
            throw ToolError.nodeRefused(code: "not_purchase_seller", message: "\(agent.name) is not the seller of purchase \(purchaseID.hex)")
        }
        guard let offerID = Hash(hex: purchase.offer), let buyerKey = Hash(hex: purchase.buyerKey)?.storage else {
            throw ToolError.nodeRefused(code: "unexpected_response", message: "malformed purchase")
        }
        let contentKey = try secrets.read(secrets.contentKeyPath(offer: offerID), what: "the content key of offer \(offerID.hex)")
        let chainID = try await session.chainID()
        let sealed: SealedContentKey
        do { sealed = try MarketSeal.seal(contentKey: contentKey, to: buyerKey, chainID: chainID, purchase: purchaseID) } catch {
            throw ToolError.nodeRefused(code: "invalid_buyer_key", message: "\(error)")
        }
        let (status, _) = try await session.commit { _, _ in .deliverKey(purchase: purchaseID, sealed: sealed) }
        return committed(status, extra: ["purchase": .string(purchaseID.hex)])
    }

    static let receive = AgoraTool(
        "market_receive", title: "Receive purchase",
        "Buyer: wait (up to waitSeconds) for the seller's delivery, open it with the purchase's one-time key and check it against the offer's commitment. A wrong key is disputed at once (price refunded, bond slashed to the agent) and reported as an error; a right one returns the decrypted content, verified against the offer's plaintext hash.",
        input: Schema.object(["purchase": Schema.hash("Purchase ID"), "waitSeconds": Schema.integer("How long to wait for the delivery (default 30)", minimum: 0, maximum: 600),
                              "encoding": Schema.string("Force the answer's encoding", enumeration: ["utf8", "base64"])], required: ["purchase"]),
        output: MarketTools.receivedOutput, effect: .adds
    ) { args, session in
        let purchaseID = try args.hash("purchase")
        let wait = Double(try args.optionalInteger("waitSeconds", in: 0...600) ?? 30)
        let encoding = try args.optionalString("encoding", maxBytes: 8)
        try args.finish(consumed: ["purchase", "waitSeconds", "encoding"])
        guard let agent = session.agent else { throw ToolError.noIdentity }
        let secrets = try session.requireSecrets()
        var purchase = try await session.gateway.get("/api/v1/market/purchases/\(purchaseID.hex)", as: API.PurchaseView.self)
        try requireBuyer(purchase, agent)
        let secret = Bytes32(try secrets.read(secrets.buyerKeyPath(purchase: purchaseID), what: "the one-time key of purchase \(purchaseID.hex)"))
        let deadline = Date().addingTimeInterval(wait)
        while purchase.status == "awaiting_delivery", Date() < deadline {
            try await Task.sleep(for: .milliseconds(250))
            purchase = try await session.gateway.get("/api/v1/market/purchases/\(purchaseID.hex)", as: API.PurchaseView.self)
        }
        guard let delivery = purchase.delivery else {
            if purchase.status == "awaiting_delivery" {
                throw ToolError.timedOut("no delivery yet for purchase \(purchaseID.hex); if the seller misses the deadline (block time \(purchase.dueAt) ms) the price is refunded automatically")
            }
            throw ToolError.nodeRefused(code: "not_delivered", message: "purchase \(purchaseID.hex) is \(purchase.status) without a delivery (refunded)")
        }
        let offer = try await session.gateway.get("/api/v1/market/offers/\(purchase.offer)", as: API.OfferView.self)
        let chainID = try await session.chainID()
        guard let enc = Hash(hex: delivery.encapsulatedKey)?.storage, let box = Hex.decode(delivery.ciphertext), box.count == SealedContentKey.ciphertextBytes,
              let cipherHash = Hash(hex: offer.artifact.sha256), let plainHash = Hash(hex: offer.plaintextSHA256) else {
            throw ToolError.nodeRefused(code: "unexpected_response", message: "malformed delivery or offer")
        }
        // Exactly the check the chain makes on a dispute.
        let key = MarketSeal.open(SealedContentKey(encapsulatedKey: enc, ciphertext: box), privateKey: secret, chainID: chainID, purchase: purchaseID)
        guard let key, key.count == 32, MarketSeal.commitment(contentKey: key).hex == offer.keyCommitment else {
            guard purchase.status == "delivered" else {
                throw ToolError.nodeRefused(code: "wrong_key_delivered", message: "the delivered key does not match the commitment; purchase is \(purchase.status)")
            }
            let (status, _) = try await session.commit { _, _ in .disputePurchase(purchase: purchaseID, buyerSecret: secret) }
            throw ToolError.nodeRefused(code: "wrong_key_delivered",
                                        message: "the seller delivered a wrong key; dispute \(status.id) committed at height \(status.height ?? 0): price refunded and bond slashed to the buyer")
        }
        guard offer.artifact.size <= UInt64(ArtifactTools.maxBytes + ArtifactTools.maxBytes / 1024 + 1024) else {
            throw ToolError.invalidArgument(argument: "purchase", reason: "the artifact is larger than MCP carries; use `agora market receive`")
        }
        let collected = Mutex(Data())
        do {
            try await ArtifactClient(base: session.gateway.base).download(cipherHash, auth: nil) { piece in collected.withLock { $0.append(piece) } }
        } catch let f as ArtifactClient.Failure { throw ArtifactTools.artifactError(f) }
        let cipher = collected.withLock { Array($0) }
        guard Hash.sha256(cipher) == cipherHash else { throw ToolError.nodeRefused(code: "artifact_corrupt", message: "ciphertext does not hash to \(cipherHash.hex)") }
        let plain: [UInt8]
        do { plain = try inMemory(cipher) { try ContentCipher.decrypt(key: key, read: $0, write: $1) } } catch { throw ToolError.nodeRefused(code: "decryption_failed", message: "\(error)") }
        guard Hash.sha256(plain) == plainHash else {
            throw ToolError.nodeRefused(code: "plaintext_mismatch", message: "decrypted content does not hash to the offer's \(plainHash.hex)")
        }
        var out: [String: Value] = ["purchase": .string(purchaseID.hex), "status": .string(purchase.status), "size": .int(plain.count),
                                    "sha256": .string(plainHash.hex)]
        if encoding != "base64", let text = String(bytes: plain, encoding: .utf8) {
            out["encoding"] = "utf8"; out["content"] = .string(text)
        } else {
            out["encoding"] = "base64"; out["content"] = .string(Data(plain).base64EncodedString())
        }
        return .object(out)
    }

    static let dispute = AgoraTool(
        "market_dispute", title: "Dispute delivery",
        "Buyer: dispute a delivered purchase by revealing its one-time key; the chain opens the delivery itself. A wrong key refunds the price and slashes the seller's bond; a right one fails with delivered_key_valid.",
        input: Schema.object(["purchase": Schema.hash("Purchase ID")], required: ["purchase"]), output: ToolOutput.committed(["purchase": Schema.hash("Purchase ID")]), effect: .spendsOrEnds
    ) { args, session in
        let purchaseID = try args.hash("purchase")
        try args.finish(consumed: ["purchase"])
        guard let agent = session.agent else { throw ToolError.noIdentity }
        let secrets = try session.requireSecrets()
        try requireBuyer(try await session.gateway.get("/api/v1/market/purchases/\(purchaseID.hex)", as: API.PurchaseView.self), agent)
        let secret = Bytes32(try secrets.read(secrets.buyerKeyPath(purchase: purchaseID), what: "the one-time key of purchase \(purchaseID.hex)"))
        let (status, _) = try await session.commit { _, _ in .disputePurchase(purchase: purchaseID, buyerSecret: secret) }
        return committed(status, extra: ["purchase": .string(purchaseID.hex)])
    }

    /// Agents of one node share a key directory: only the buyer's session may use its one-time key.
    static func requireBuyer(_ purchase: API.PurchaseView, _ agent: AgentKeyring.Agent) throws {
        guard purchase.buyer == agent.key.address.description else {
            throw ToolError.nodeRefused(code: "not_purchase_buyer", message: "\(agent.name) is not the buyer of purchase \(purchase.id)")
        }
    }

    static func encrypt(_ plain: [UInt8], key: [UInt8]) throws -> [UInt8] {
        do { return try inMemory(plain) { try ContentCipher.encrypt(key: key, read: $0, write: $1) } } catch {
            throw ToolError.nodeRefused(code: "encryption_failed", message: "\(error)")
        }
    }

    /// Runs one of `ContentCipher`'s streaming functions over bytes in memory (content through
    /// MCP is small by limit; the CLI streams files through the same functions).
    static func inMemory(_ input: [UInt8], through run: (_ read: (Int) throws -> [UInt8], _ write: (Data) throws -> Void) throws -> Void) throws -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        try run({ n in
            let end = min(input.count, offset + n)
            defer { offset = end }
            return Array(input[offset..<end])
        }, { out.append(contentsOf: $0) })
        return out
    }
}
