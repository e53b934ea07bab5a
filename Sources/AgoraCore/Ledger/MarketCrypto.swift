import Crypto
import Foundation

/// The market's cryptography, shared by the chain (which re-opens a delivery when a buyer
/// disputes) and the CLI (which seals, opens, encrypts and decrypts): one implementation, so the
/// chain checks exactly what clients produce. `MarketSeal` is the HPKE sealing of a content key to
/// a purchase's one-time X25519 key; `ContentCipher` is the chunked ChaCha20-Poly1305 encryption
/// of the artifact under that content key. See docs/market.md for the construction.
public enum MarketSeal {
    public static let ciphersuite = HPKE.Ciphersuite.Curve25519_SHA256_ChachaPoly
    static let infoDomain = Array("agora/market/delivery/v1\u{0}".utf8)

    /// HPKE `info`: binds a sealed key to one chain and one purchase, so a delivery cannot be
    /// replayed into another purchase (even one with the same buyer key) or another network.
    public static func info(chainID: String, purchase: Hash) -> Data {
        Data(infoDomain + Array(chainID.utf8) + [0] + purchase.bytes)
    }

    /// SHA-256 of the content key: what an offer commits to.
    public static func commitment(contentKey: [UInt8]) -> Hash { Hash.sha256(contentKey) }

    /// The X25519 public key of a one-time private key (raw 32 bytes each).
    public static func publicKey(privateKey: Bytes32) -> Bytes32? {
        guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: privateKey.bytes) else { return nil }
        return Bytes32(key.publicKey.rawRepresentation)
    }

    /// A fresh one-time key pair for a purchase: (private, public).
    public static func newBuyerKey() -> (privateKey: Bytes32, publicKey: Bytes32) {
        let key = Curve25519.KeyAgreement.PrivateKey()
        return (Bytes32(key.rawRepresentation), Bytes32(key.publicKey.rawRepresentation))
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidBuyerKey
        case contentKeyNot32Bytes(Int)
        public var description: String {
            switch self {
            case .invalidBuyerKey: return "the purchase's buyer key is not a usable X25519 public key"
            case let .contentKeyNot32Bytes(n): return "a content key is 32 bytes, got \(n)"
            }
        }
    }

    /// The seller's side: seals `contentKey` to the purchase's buyer key.
    public static func seal(contentKey: [UInt8], to buyerKey: Bytes32, chainID: String, purchase: Hash) throws -> SealedContentKey {
        guard contentKey.count == 32 else { throw Failure.contentKeyNot32Bytes(contentKey.count) }
        guard let recipient = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: buyerKey.bytes) else { throw Failure.invalidBuyerKey }
        var sender = try HPKE.Sender(recipientKey: recipient, ciphersuite: ciphersuite, info: info(chainID: chainID, purchase: purchase))
        let box = try sender.seal(contentKey)
        return SealedContentKey(encapsulatedKey: Bytes32(Array(sender.encapsulatedKey)), ciphertext: Array(box))
    }

    /// The buyer's side, and the chain's when a buyer disputes: the content key, or nil if the
    /// box does not open with this key (a malformed or foreign delivery). Deterministic.
    public static func open(_ sealed: SealedContentKey, privateKey: Bytes32, chainID: String, purchase: Hash) -> [UInt8]? {
        guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: privateKey.bytes),
              var recipient = try? HPKE.Recipient(privateKey: key, ciphersuite: ciphersuite, info: info(chainID: chainID, purchase: purchase),
                                                  encapsulatedKey: Data(sealed.encapsulatedKey.bytes)),
              let plain = try? recipient.open(sealed.ciphertext)
        else { return nil }
        return Array(plain)
    }
}

/// Encrypts an artifact for sale under a random 32-byte content key, in chunks so that memory
/// stays one chunk whatever the size: each 64 KiB plaintext chunk becomes chunk ‖ 16-byte
/// Poly1305 tag, with the 12-byte nonce = final-flag (1 byte) ‖ 3 zero bytes ‖ chunk index (u64
/// big-endian). The flag on the last chunk makes truncation at a chunk boundary detectable; the
/// index makes reordering detectable. A key encrypts exactly one artifact, so the fixed nonce
/// sequence never repeats under a key. An empty plaintext is one empty final chunk.
public enum ContentCipher {
    public static let chunkBytes = 64 * 1024
    public static let tagBytes = 16

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case wrongKeySize(Int)
        case authenticationFailed(chunk: UInt64)
        case truncated
        public var description: String {
            switch self {
            case let .wrongKeySize(n): return "a content key is 32 bytes, got \(n)"
            case let .authenticationFailed(c): return "chunk \(c) does not authenticate under this key (wrong key or damaged ciphertext)"
            case .truncated: return "the ciphertext ends before its final chunk"
            }
        }
    }

    public static func newKey() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// Size of the ciphertext of `plaintextSize` bytes.
    public static func ciphertextSize(plaintextSize: UInt64) -> UInt64 {
        let chunks = max(1, (plaintextSize + UInt64(chunkBytes) - 1) / UInt64(chunkBytes))
        return plaintextSize + chunks * UInt64(tagBytes)
    }

    static func nonce(_ index: UInt64, final: Bool) -> ChaChaPoly.Nonce {
        var bytes: [UInt8] = [final ? 1 : 0, 0, 0, 0]
        withUnsafeBytes(of: index.bigEndian) { bytes.append(contentsOf: $0) }
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    public static func sealChunk(_ plain: some DataProtocol, index: UInt64, final: Bool, key: [UInt8]) throws -> Data {
        guard key.count == 32 else { throw Failure.wrongKeySize(key.count) }
        let box = try ChaChaPoly.seal(plain, using: SymmetricKey(data: key), nonce: nonce(index, final: final))
        return box.ciphertext + box.tag
    }

    public static func openChunk(_ sealed: some DataProtocol, index: UInt64, final: Bool, key: [UInt8]) throws -> Data {
        guard key.count == 32 else { throw Failure.wrongKeySize(key.count) }
        let bytes = Array(sealed)
        guard bytes.count >= tagBytes else { throw Failure.truncated }
        do {
            let box = try ChaChaPoly.SealedBox(nonce: nonce(index, final: final), ciphertext: bytes.dropLast(tagBytes), tag: bytes.suffix(tagBytes))
            return try ChaChaPoly.open(box, using: SymmetricKey(data: key))
        } catch {
            throw Failure.authenticationFailed(chunk: index)
        }
    }

    /// Streams `read` (returns up to n bytes, empty at the end) through the cipher into `write`.
    public static func encrypt(key: [UInt8], read: (Int) throws -> [UInt8], write: (Data) throws -> Void) throws {
        var index: UInt64 = 0
        var current = try read(chunkBytes)
        while true {
            let next = current.count == chunkBytes ? try read(chunkBytes) : []
            let final = next.isEmpty
            try write(try sealChunk(current, index: index, final: final, key: key))
            if final { return }
            current = next
            index += 1
        }
    }

    /// The inverse of `encrypt`; fails on a wrong key, reordering, truncation or damage.
    public static func decrypt(key: [UInt8], read: (Int) throws -> [UInt8], write: (Data) throws -> Void) throws {
        let sealedChunk = chunkBytes + tagBytes
        var index: UInt64 = 0
        var current = try read(sealedChunk)
        guard !current.isEmpty else { throw Failure.truncated }
        while true {
            let next = current.count == sealedChunk ? try read(sealedChunk) : []
            let final = next.isEmpty
            try write(try openChunk(current, index: index, final: final, key: key))
            if final { return }
            current = next
            index += 1
        }
    }
}
