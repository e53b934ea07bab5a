import AgoraCore
import Crypto
import Foundation
import Testing

/// The market's cryptography as client SDKs must reproduce it (`Tests/vectors/market.json`, read
/// byte for byte by clients/python/tests/test_market_vectors.py). The node's `MarketSeal` and
/// `ContentCipher` are the reference. HPKE sealing draws a fresh ephemeral key and swift-crypto
/// offers no way to fix it, so the sealed deliveries are written once (`AGORA_WRITE_VECTORS=1`)
/// and then checked rather than regenerated: they must still open to their content key under the
/// node's code, and everything around them (info, commitment, public keys, content ciphertexts,
/// the RFC 9180 vector of the suite) must be exactly what the code produces today. The RFC's
/// own vector pins the suite: a client that reproduces it with the fixed ephemeral key, and
/// opens the node's boxes, is byte-compatible in both directions.
@Suite("Market SDK vectors")
struct MarketVectorTests {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("vectors/market.json")

    @Test("Tests/vectors/market.json is what the node's market cryptography produces today")
    func vectorsAreCurrent() throws {
        let write = ProcessInfo.processInfo.environment["AGORA_WRITE_VECTORS"] == "1"
        let committed = write ? nil : try Data(contentsOf: Self.file)
        let sealed = try committed.map(MarketVectors.committedDeliveries) ?? MarketVectors.freshDeliveries()
        let produced = try MarketVectors.document(sealed: sealed)
        if write { try produced.write(to: Self.file) }
        let onDisk = try Data(contentsOf: Self.file)
        #expect(onDisk == produced,
                "Tests/vectors/market.json is stale: run AGORA_WRITE_VECTORS=1 swift test --filter MarketVectorTests")
    }

    @Test("every committed delivery opens to its content key under the node's MarketSeal, and no other purchase's")
    func deliveriesOpen() throws {
        let sealed = try MarketVectors.committedDeliveries(try Data(contentsOf: Self.file))
        #expect(sealed.count == MarketVectors.cases.count)
        for (c, box) in zip(MarketVectors.cases, sealed) {
            #expect(MarketSeal.open(box, privateKey: c.secret, chainID: c.chainID, purchase: c.purchase) == c.contentKey)
            #expect(MarketSeal.open(box, privateKey: c.secret, chainID: c.chainID, purchase: MarketVectors.hash(0xEE)) == nil)
        }
    }

    @Test("the market's suite reproduces RFC 9180's base-mode vector for X25519, HKDF-SHA256, ChaCha20-Poly1305")
    func suiteIsRFC9180() throws {
        let v = MarketVectors.RFC9180.self
        let key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Hex.decode(v.skRm)!)
        var recipient = try HPKE.Recipient(privateKey: key, ciphersuite: MarketSeal.ciphersuite, info: Data(Hex.decode(v.info)!),
                                           encapsulatedKey: Data(Hex.decode(v.enc)!))
        let opened = try recipient.open(Hex.decode(v.ct)!, authenticating: Hex.decode(v.aad)!)
        #expect(Array(opened) == Hex.decode(v.pt)!)
    }
}

/// The vector document's inputs (constants) and its assembly.
enum MarketVectors {
    struct Case {
        let chainID: String
        let purchase: Hash
        let secret: Bytes32
        let contentKey: [UInt8]
    }

    static func hash(_ b: UInt8) -> Hash { Hash(bytes: [UInt8](repeating: b, count: 32))! }
    static func bytes(_ b: UInt8) -> Bytes32 { Bytes32([UInt8](repeating: b, count: 32)) }

    static let cases: [Case] = [
        Case(chainID: "agora-vectors", purchase: hash(0x11), secret: bytes(0x21), contentKey: (0..<32).map { UInt8($0) }),
        Case(chainID: "agora-vectors", purchase: hash(0x12), secret: bytes(0x21), contentKey: [UInt8](repeating: 0xC3, count: 32)),
        Case(chainID: "agora-dev", purchase: hash(0x13), secret: Bytes32((0..<32).map { UInt8(255 - $0) }),
             contentKey: (0..<32).map { UInt8($0 * 7 & 0xFF) }),
    ]

    /// Plaintext sizes around the 64 KiB chunk: empty (one empty final chunk), tiny, exactly one
    /// chunk, one byte over, and several chunks. Bytes are `i % 251`.
    static let contentSizes = [0, 5, ContentCipher.chunkBytes, ContentCipher.chunkBytes + 1, 3 * ContentCipher.chunkBytes + 1_000]
    static let contentKey: [UInt8] = (0..<32).map { UInt8(($0 * 13 + 1) & 0xFF) }

    /// RFC 9180 A.2.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, base mode), sequence 0.
    enum RFC9180 {
        static let info = "4f6465206f6e2061204772656369616e2055726e"
        static let skEm = "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600"
        static let pkEm = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a"
        static let skRm = "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb"
        static let pkRm = "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a"
        static let enc = pkEm
        static let aad = "436f756e742d30"
        static let pt = "4265617574792069732074727574682c20747275746820626561757479"
        static let ct = "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28"
    }

    static func freshDeliveries() throws -> [SealedContentKey] {
        try cases.map { c in
            try MarketSeal.seal(contentKey: c.contentKey, to: MarketSeal.publicKey(privateKey: c.secret)!, chainID: c.chainID, purchase: c.purchase)
        }
    }

    struct MalformedVectors: Error, CustomStringConvertible {
        let description: String
    }

    static func committedDeliveries(_ data: Data) throws -> [SealedContentKey] {
        guard let doc = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let items = doc["deliveries"] as? [[String: Any]] else { throw MalformedVectors(description: "no deliveries array") }
        return try items.map { item in
            guard let enc = (item["encapsulatedKey"] as? String).flatMap({ Hex.decode($0) }), enc.count == 32,
                  let box = (item["ciphertext"] as? String).flatMap({ Hex.decode($0) }), box.count == SealedContentKey.ciphertextBytes
            else { throw MalformedVectors(description: "a delivery without a 32-byte encapsulatedKey and 48-byte ciphertext") }
            return SealedContentKey(encapsulatedKey: Bytes32(enc), ciphertext: box)
        }
    }

    static func document(sealed: [SealedContentKey]) throws -> Data {
        let deliveries: [Any] = zip(cases, sealed).map { c, box -> [String: Any] in
            [
                "chainID": c.chainID, "purchase": c.purchase.hex, "buyerSecret": Hex.encode(c.secret.bytes),
                "buyerKey": Hex.encode(MarketSeal.publicKey(privateKey: c.secret)!.bytes), "contentKey": Hex.encode(c.contentKey),
                "commitment": MarketSeal.commitment(contentKey: c.contentKey).hex,
                "info": Hex.encode(Array(MarketSeal.info(chainID: c.chainID, purchase: c.purchase))),
                "encapsulatedKey": Hex.encode(box.encapsulatedKey.bytes), "ciphertext": Hex.encode(box.ciphertext),
            ]
        }
        let doc: [String: Any] = [
            "about": "Generated by Tests/AgoraClientTests/MarketVectorTests.swift from MarketSeal and ContentCipher; the deliveries are sealed once (fresh ephemeral keys) with AGORA_WRITE_VECTORS=1 swift test --filter MarketVectorTests and checked afterwards. Read by clients/python/tests/test_market_vectors.py.",
            "suite": ["kem": 0x0020, "kdf": 0x0001, "aead": 0x0003, "mode": 0],
            "rfc9180": [
                "info": RFC9180.info, "skEm": RFC9180.skEm, "pkEm": RFC9180.pkEm, "skRm": RFC9180.skRm, "pkRm": RFC9180.pkRm,
                "enc": RFC9180.enc, "aad": RFC9180.aad, "pt": RFC9180.pt, "ct": RFC9180.ct,
            ],
            "deliveries": deliveries,
            "content": try content(),
        ]
        var data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    /// The content cipher is deterministic (fixed nonces per key), so its outputs are pinned by
    /// hash, and in full for the small ones.
    static func content() throws -> [Any] {
        try contentSizes.map { size -> [String: Any] in
            let plain = (0..<size).map { UInt8($0 % 251) }
            var offset = 0
            var sealed = Data()
            try ContentCipher.encrypt(key: contentKey, read: { n in
                defer { offset = min(plain.count, offset + n) }
                return Array(plain[offset..<min(plain.count, offset + n)])
            }, write: { sealed.append($0) })
            var item: [String: Any] = [
                "contentKey": Hex.encode(contentKey), "plaintextSize": size, "plaintextSHA256": Hash.sha256(plain).hex,
                "ciphertextSize": sealed.count, "ciphertextSHA256": Hash.sha256(Array(sealed)).hex,
            ]
            if sealed.count <= 64 { item["ciphertext"] = Hex.encode(Array(sealed)) }
            return item
        }
    }
}
