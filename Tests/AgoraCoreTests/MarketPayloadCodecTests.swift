import Foundation
import Testing
@testable import AgoraCore

/// The market payloads' encodings (tags 15 to 19, round trips, refusal of a zero price, windows
/// outside the bounds and control characters in titles), mutated market payloads into the
/// decoder, and the market's cryptography: the HPKE sealing of a content key bound to chain and
/// purchase, and the chunked content cipher with its truncation and reordering checks.
@Suite("Market payload codec and cryptography")
struct MarketPayloadCodecTests {
    static func terms(_ r: inout SeededRandom, group: Bool = true) -> OfferTerms {
        OfferTerms(title: "dataset v1", artifact: ArtifactRef(sha256: Fixtures.hash(&r), size: 1_234), plaintextSHA256: Fixtures.hash(&r),
                   keyCommitment: Fixtures.hash(&r), price: Amount(500)!, bond: Amount(100)!, expiresAt: 1_700_000_000_000,
                   deliveryWindowMs: 5_000, disputeWindowMs: 60_000, group: group ? Fixtures.hash(&r) : nil)
    }

    static func payloads(_ r: inout SeededRandom) -> [(Payload, UInt8)] {
        let sealed = SealedContentKey(encapsulatedKey: Bytes32(r.bytes(32)), ciphertext: r.bytes(48))
        return [
            (.createOffer(terms(&r)), 15),
            (.createOffer(terms(&r, group: false)), 15),
            (.cancelOffer(offer: Fixtures.hash(&r)), 16),
            (.buyOffer(offer: Fixtures.hash(&r), buyerKey: Bytes32(r.bytes(32))), 17),
            (.deliverKey(purchase: Fixtures.hash(&r), sealed: sealed), 18),
            (.disputePurchase(purchase: Fixtures.hash(&r), buyerSecret: Bytes32(r.bytes(32))), 19),
        ]
    }

    @Test("every market payload round-trips with tags 15 to 19")
    func roundTrip() throws {
        var r = SeededRandom(seed: 0x3A2C)
        for (payload, tag) in Self.payloads(&r) {
            let bytes = payload.canonicalBytes
            #expect(bytes.first == tag)
            let decoded = try Payload(canonicalBytes: bytes)
            #expect(decoded == payload)
        }
    }

    @Test("the layouts of the fixed-size payloads are the documented ones")
    func layouts() {
        let id = Hash(bytes: [UInt8](repeating: 0x11, count: 32))!
        let key = Bytes32([UInt8](repeating: 0x22, count: 32))
        #expect(Payload.cancelOffer(offer: id).canonicalBytes == [16] + id.bytes)
        #expect(Payload.buyOffer(offer: id, buyerKey: key).canonicalBytes == [17] + id.bytes + key.bytes)
        #expect(Payload.disputePurchase(purchase: id, buyerSecret: key).canonicalBytes == [19] + id.bytes + key.bytes)
        let sealed = SealedContentKey(encapsulatedKey: key, ciphertext: [UInt8](repeating: 0x33, count: 48))
        #expect(Payload.deliverKey(purchase: id, sealed: sealed).canonicalBytes == [18] + id.bytes + key.bytes + sealed.ciphertext)
    }

    @Test("a zero price, windows outside 1 s to 30 days, and control characters in the title do not decode")
    func refusesBadTerms() {
        var r = SeededRandom(seed: 5)
        var bad: [OfferTerms] = []
        var t = Self.terms(&r)
        t.price = .zero; bad.append(t)
        t = Self.terms(&r); t.deliveryWindowMs = 999; bad.append(t)
        t = Self.terms(&r); t.disputeWindowMs = MarketBounds.maxWindowMs + 1; bad.append(t)
        t = Self.terms(&r); t.title = "a\u{7}b"; bad.append(t)
        for terms in bad {
            #expect(throws: CodecError.self) { try Payload(canonicalBytes: Payload.createOffer(terms).canonicalBytes) }
        }
        var edge = Self.terms(&r)
        edge.deliveryWindowMs = MarketBounds.minWindowMs
        edge.disputeWindowMs = MarketBounds.maxWindowMs
        edge.bond = .zero
        edge.title = ""
        let decoded = try? Payload(canonicalBytes: Payload.createOffer(edge).canonicalBytes)
        #expect(decoded == .createOffer(edge))
    }

    @Test("offer and purchase IDs are SHA-256 of their own domain, the sender's address and the nonce")
    func ids() {
        let a = Address(raw: [UInt8](repeating: 7, count: 20))
        #expect(LedgerID.offer(seller: a, nonce: 3) == Hash.sha256(Array("agora/offer/v1\u{0}".utf8) + a.bytes + [3, 0, 0, 0, 0, 0, 0, 0]))
        #expect(LedgerID.purchase(buyer: a, nonce: 3) == Hash.sha256(Array("agora/purchase/v1\u{0}".utf8) + a.bytes + [3, 0, 0, 0, 0, 0, 0, 0]))
        #expect(LedgerID.offer(seller: a, nonce: 3) != LedgerID.purchase(buyer: a, nonce: 3))
        #expect(LedgerID.offer(seller: a, nonce: 3) != LedgerID.claim(author: a, nonce: 3))
    }

    @Test("20,000 mutated market payloads never crash the decoder and what decodes re-encodes identically")
    func fuzz() {
        var r = SeededRandom(seed: 0x3A2D)
        let seeds = (0..<8).flatMap { _ in Self.payloads(&r).map { $0.0.canonicalBytes } }
        for _ in 0..<20_000 {
            var input = seeds[Int.random(in: 0..<seeds.count, using: &r)]
            for _ in 0..<Int.random(in: 1...3, using: &r) where !input.isEmpty {
                switch Int.random(in: 0...2, using: &r) {
                case 0: input[Int.random(in: 0..<input.count, using: &r)] = UInt8.random(in: 0...255, using: &r)
                case 1: input.removeLast(Int.random(in: 1...min(8, input.count), using: &r))
                default: input.append(contentsOf: r.bytes(Int.random(in: 1...8, using: &r)))
                }
            }
            DecoderFuzzTests.decodeAll(input)
        }
    }

    @Test("a sealed content key opens with the buyer's private key and only for the same chain and purchase")
    func hpkeSeal() throws {
        let (secret, publicKey) = MarketSeal.newBuyerKey()
        #expect(MarketSeal.publicKey(privateKey: secret) == publicKey)
        let contentKey = ContentCipher.newKey()
        let purchase = Hash.sha256([1]), other = Hash.sha256([2])
        let sealed = try MarketSeal.seal(contentKey: contentKey, to: publicKey, chainID: "c", purchase: purchase)
        #expect(sealed.ciphertext.count == 48)
        #expect(MarketSeal.open(sealed, privateKey: secret, chainID: "c", purchase: purchase) == contentKey)
        #expect(MarketSeal.open(sealed, privateKey: secret, chainID: "c", purchase: other) == nil)
        #expect(MarketSeal.open(sealed, privateKey: secret, chainID: "d", purchase: purchase) == nil)
        #expect(MarketSeal.open(sealed, privateKey: MarketSeal.newBuyerKey().privateKey, chainID: "c", purchase: purchase) == nil)
        var damaged = sealed
        damaged.ciphertext[0] ^= 1
        #expect(MarketSeal.open(damaged, privateKey: secret, chainID: "c", purchase: purchase) == nil)
        #expect(throws: MarketSeal.Failure.self) { try MarketSeal.seal(contentKey: [1, 2], to: publicKey, chainID: "c", purchase: purchase) }
    }

    static func encrypt(_ plain: [UInt8], key: [UInt8]) throws -> [UInt8] {
        var offset = 0
        var out: [UInt8] = []
        try ContentCipher.encrypt(key: key, read: { n in
            let chunk = Array(plain[offset..<min(plain.count, offset + n)])
            offset += chunk.count
            return chunk
        }, write: { out.append(contentsOf: $0) })
        return out
    }

    static func decrypt(_ sealed: [UInt8], key: [UInt8]) throws -> [UInt8] {
        var offset = 0
        var out: [UInt8] = []
        try ContentCipher.decrypt(key: key, read: { n in
            let chunk = Array(sealed[offset..<min(sealed.count, offset + n)])
            offset += chunk.count
            return chunk
        }, write: { out.append(contentsOf: $0) })
        return out
    }

    @Test("the content cipher round-trips every size around its chunk boundaries and predicts the ciphertext size")
    func cipherRoundTrip() throws {
        var r = SeededRandom(seed: 9)
        let key = ContentCipher.newKey()
        let chunk = ContentCipher.chunkBytes
        for size in [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 3 * chunk + 17] {
            let plain = r.bytes(size)
            let sealed = try Self.encrypt(plain, key: key)
            #expect(UInt64(sealed.count) == ContentCipher.ciphertextSize(plaintextSize: UInt64(size)), "size \(size)")
            let opened = try Self.decrypt(sealed, key: key)
            #expect(opened == plain, "size \(size)")
        }
    }

    @Test("a wrong key, a dropped final chunk, swapped chunks and a flipped bit all fail to decrypt")
    func cipherRefuses() throws {
        var r = SeededRandom(seed: 10)
        let key = ContentCipher.newKey()
        let plain = r.bytes(2 * ContentCipher.chunkBytes + 5)
        let sealed = try Self.encrypt(plain, key: key)
        let sealedChunk = ContentCipher.chunkBytes + ContentCipher.tagBytes
        #expect(throws: ContentCipher.Failure.self) { try Self.decrypt(sealed, key: ContentCipher.newKey()) }
        #expect(throws: ContentCipher.Failure.self) { try Self.decrypt(Array(sealed.prefix(2 * sealedChunk)), key: key) }
        let swapped = Array(sealed[sealedChunk..<(2 * sealedChunk)] + sealed[0..<sealedChunk] + sealed[(2 * sealedChunk)...])
        #expect(throws: ContentCipher.Failure.self) { try Self.decrypt(swapped, key: key) }
        var flipped = sealed
        flipped[10] ^= 0x80
        #expect(throws: ContentCipher.Failure.self) { try Self.decrypt(flipped, key: key) }
        #expect(throws: ContentCipher.Failure.self) { try Self.decrypt([], key: key) }
    }
}
