/// The values that the `market` payloads carry: an offer's terms (the encrypted artifact, its
/// plaintext hash, the commitment to the content key, price, bond, expiry and the per-offer
/// delivery and dispute windows), a delivery's sealed content key, the chain-wide bounds those
/// windows must respect, and the deterministic IDs of offers and purchases. Everything decodes
/// strictly: a title over its limit, a zero price or a window outside the bounds is refused by
/// the decoder, so the module's rules never see an offer that could not have been meant.

/// Chain-wide bounds of the market. Part of the protocol (like `Limits`): a window outside them
/// does not decode.
public enum MarketBounds {
    /// Shortest delivery or dispute window (1 s): settlement runs once per block-time second,
    /// so a shorter window could close before any block could act in it.
    public static let minWindowMs: UInt64 = 1_000
    /// Longest delivery or dispute window (30 days): escrow is not meant to be a vault.
    public static let maxWindowMs: UInt64 = 30 * 24 * 3_600 * 1_000
    /// A display title for people; the artifact is what is sold.
    public static let maxTitleBytes = 256
    /// Settlement granularity: purchases fall due in buckets of this many ms of block time.
    public static let bucketMs: UInt64 = 1_000
    /// Most due buckets one block walks; a chain that stalled catches up over several blocks.
    public static let maxBucketsPerBlock: UInt64 = 4_096
    /// Largest royalty a seller may set: 30% of what the sale pays the seller after the fee.
    public static let maxRoyaltyBps: UInt16 = 3_000
}

/// A royalty an offer pays on each sale: `bps` (1…`MarketBounds.maxRoyaltyBps`) of the seller's
/// proceeds after the fee go to the authors of the sources of `claim`, the claim the sold
/// artifact is attached to (docs/market.md).
public struct Royalty: Hashable, Sendable, CanonicalCodable {
    public var claim: Hash
    public var bps: UInt16

    public init(claim: Hash, bps: UInt16) {
        self.claim = claim
        self.bps = bps
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(claim)
        writer.write(bps)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        claim = try reader.read(Hash.self)
        bps = try reader.readUInt16("offer.royalty.bps")
        guard bps >= 1, bps <= MarketBounds.maxRoyaltyBps else {
            throw .nonCanonical(field: "offer.royalty.bps", reason: "\(bps) is outside 1…\(MarketBounds.maxRoyaltyBps)")
        }
    }
}

/// What a seller offers. The artifact is the *ciphertext* (see `ContentCipher`); the plaintext
/// hash lets the buyer check what it decrypted, and `keyCommitment` = SHA-256(content key) is
/// what a dispute checks the delivered key against.
public struct OfferTerms: Hashable, Sendable, CanonicalCodable {
    public var title: String
    /// The encrypted artifact as stored in the artifact store.
    public var artifact: ArtifactRef
    /// SHA-256 of the decrypted content.
    public var plaintextSHA256: Hash
    /// SHA-256 of the 32-byte content key.
    public var keyCommitment: Hash
    /// Paid by each buyer into escrow; at least 1.
    public var price: Amount
    /// Locked from the seller's balance while the offer lives; slashed to a buyer who proves a
    /// wrong key. May be zero (buyers see it and decide).
    public var bond: Amount
    /// Block time (ms) from which the offer can no longer be bought.
    public var expiresAt: UInt64
    /// How long after a purchase the seller has to deliver the key (ms).
    public var deliveryWindowMs: UInt64
    /// How long after delivery the buyer has to dispute before the seller is paid (ms).
    public var disputeWindowMs: UInt64
    /// If set, only members of this group may buy.
    public var group: Hash?
    /// If set, each sale pays this royalty. Not part of this type's own encoding (offer records
    /// keep the bytes they always had; the state keeps the royalty under `market/r/`): an offer
    /// with a royalty is payload tag 42, which appends it.
    public var royalty: Royalty?

    public init(title: String, artifact: ArtifactRef, plaintextSHA256: Hash, keyCommitment: Hash, price: Amount, bond: Amount,
                expiresAt: UInt64, deliveryWindowMs: UInt64, disputeWindowMs: UInt64, group: Hash?, royalty: Royalty? = nil) {
        self.royalty = royalty
        self.title = title
        self.artifact = artifact
        self.plaintextSHA256 = plaintextSHA256
        self.keyCommitment = keyCommitment
        self.price = price
        self.bond = bond
        self.expiresAt = expiresAt
        self.deliveryWindowMs = deliveryWindowMs
        self.disputeWindowMs = disputeWindowMs
        self.group = group
    }

    public static func isValidWindow(_ ms: UInt64) -> Bool { ms >= MarketBounds.minWindowMs && ms <= MarketBounds.maxWindowMs }

    public static func isValidTitle(_ title: String) -> Bool {
        title.utf8.count <= MarketBounds.maxTitleBytes && !title.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeString(title)
        writer.write(artifact)
        writer.write(plaintextSHA256)
        writer.write(keyCommitment)
        writer.write(price)
        writer.write(bond)
        writer.write(expiresAt)
        writer.write(deliveryWindowMs)
        writer.write(disputeWindowMs)
        writer.writeOptional(group)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        title = try reader.readString("offer.title", limit: MarketBounds.maxTitleBytes)
        guard OfferTerms.isValidTitle(title) else { throw .nonCanonical(field: "offer.title", reason: "holds control characters") }
        artifact = try reader.read(ArtifactRef.self)
        plaintextSHA256 = try reader.read(Hash.self)
        keyCommitment = try reader.read(Hash.self)
        price = try reader.read(Amount.self)
        guard price > .zero else { throw .nonCanonical(field: "offer.price", reason: "must be at least 1") }
        bond = try reader.read(Amount.self)
        expiresAt = try reader.readUInt64("offer.expiresAt")
        deliveryWindowMs = try reader.readUInt64("offer.deliveryWindowMs")
        disputeWindowMs = try reader.readUInt64("offer.disputeWindowMs")
        for (field, ms) in [("offer.deliveryWindowMs", deliveryWindowMs), ("offer.disputeWindowMs", disputeWindowMs)]
        where !OfferTerms.isValidWindow(ms) {
            throw .nonCanonical(field: field, reason: "\(ms) is outside \(MarketBounds.minWindowMs)…\(MarketBounds.maxWindowMs) ms")
        }
        group = try reader.readOptional(Hash.self, "offer.group")
        royalty = nil
    }
}

/// The content key sealed to a purchase's one-time buyer key with HPKE (RFC 9180, base mode,
/// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305): the KEM's encapsulated key and
/// the 32-byte content key's ciphertext with its 16-byte tag.
public struct SealedContentKey: Hashable, Sendable, CanonicalCodable {
    public static let ciphertextBytes = 32 + 16
    public var encapsulatedKey: Bytes32
    /// Exactly `ciphertextBytes`.
    public var ciphertext: [UInt8]

    public init(encapsulatedKey: Bytes32, ciphertext: [UInt8]) {
        precondition(ciphertext.count == SealedContentKey.ciphertextBytes, "a sealed content key is 48 bytes")
        self.encapsulatedKey = encapsulatedKey
        self.ciphertext = ciphertext
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(encapsulatedKey)
        writer.writeFixed(ciphertext)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        encapsulatedKey = try reader.read(Bytes32.self)
        ciphertext = Array(try reader.readFixed(SealedContentKey.ciphertextBytes, "delivery.ciphertext"))
    }
}

extension LedgerID {
    static let offerDomain = Array("agora/offer/v1\u{0}".utf8)
    static let purchaseDomain = Array("agora/purchase/v1\u{0}".utf8)

    public static func offer(seller: Address, nonce: UInt64) -> Hash {
        Hash.sha256(parts: [offerDomain, seller.bytes, nonce.canonicalBytes])
    }

    public static func purchase(buyer: Address, nonce: UInt64) -> Hash {
        Hash.sha256(parts: [purchaseDomain, buyer.bytes, nonce.canonicalBytes])
    }
}

// The `market` payloads' codec (tags 15–19 and 42). `Payload` routes here by `Tag.module`.
extension Payload {
    func encodeMarketFields(to writer: inout CanonicalWriter) {
        switch self {
        case let .createOffer(terms):
            writer.write(terms)
            if let r = terms.royalty { writer.write(r) }
        case let .cancelOffer(offer):
            writer.write(offer)
        case let .buyOffer(offer, buyerKey):
            writer.write(offer)
            writer.write(buyerKey)
        case let .deliverKey(purchase, sealed):
            writer.write(purchase)
            writer.write(sealed)
        case let .disputePurchase(purchase, secret):
            writer.write(purchase)
            writer.write(secret)
        default:
            misrouted(.market)
        }
    }

    static func decodeMarket(_ tag: Tag, from reader: inout CanonicalReader) throws(CodecError) -> Payload {
        switch tag {
        case .createOffer:
            return .createOffer(try reader.read(OfferTerms.self))
        case .createOfferWithRoyalty:
            var terms = try reader.read(OfferTerms.self)
            terms.royalty = try reader.read(Royalty.self)
            return .createOffer(terms)
        case .cancelOffer:
            return .cancelOffer(offer: try reader.read(Hash.self))
        case .buyOffer:
            let offer = try reader.read(Hash.self)
            return .buyOffer(offer: offer, buyerKey: try reader.read(Bytes32.self))
        case .deliverKey:
            let purchase = try reader.read(Hash.self)
            return .deliverKey(purchase: purchase, sealed: try reader.read(SealedContentKey.self))
        case .disputePurchase:
            let purchase = try reader.read(Hash.self)
            return .disputePurchase(purchase: purchase, buyerSecret: try reader.read(Bytes32.self))
        default:
            throw misroutedTag(tag)
        }
    }
}
