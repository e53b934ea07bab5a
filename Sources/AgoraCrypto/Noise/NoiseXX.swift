import AgoraCore
import Crypto
import Foundation

/// The Noise `XX` handshake, `Noise_XX_25519_ChaChaPoly_SHA256` (Noise spec rev. 34), written on
/// swift-crypto's X25519, ChaCha20-Poly1305, SHA-256 and HMAC, and checked byte for byte against
/// the public cacophony vectors. Noise is a framework of small state machines rather than a
/// library here: no Swift package implements it, so this is the one place we write it.
///
///     -> e
///     <- e, ee, s, es
///     -> s, se
///
/// After the third message both sides `split()` into two `NoiseCipher`s, one per direction.
public struct NoiseXX: Sendable {
    public static let protocolName = "Noise_XX_25519_ChaChaPoly_SHA256"
    public static let maxMessageBytes = 65_535

    public enum Role: Sendable { case initiator, responder }

    public enum NoiseError: Error, Equatable, Sendable {
        case outOfOrder(expected: String)
        case messageTooShort(needed: Int, got: Int)
        case messageTooLong(Int)
        case decryptionFailed
        case invalidPublicKey
        case lowOrderPoint
        case nonceExhausted
    }

    public let role: Role
    var symmetric: SymmetricState
    let s: Curve25519.KeyAgreement.PrivateKey
    var e: Curve25519.KeyAgreement.PrivateKey?
    public private(set) var remoteStatic: [UInt8]?
    var remoteEphemeral: [UInt8]?
    var step = 0

    /// `ephemeral` is for test vectors only; normally a fresh key is made per handshake.
    public init(role: Role, staticKey: Curve25519.KeyAgreement.PrivateKey, prologue: [UInt8] = [],
                ephemeral: Curve25519.KeyAgreement.PrivateKey? = nil) {
        self.role = role
        s = staticKey
        e = ephemeral
        symmetric = SymmetricState(protocolName: NoiseXX.protocolName)
        symmetric.mixHash(prologue)
    }

    /// The handshake hash, for channel binding (signed in the payload to tie identities to it).
    public var handshakeHash: [UInt8] { symmetric.h }
    public var isComplete: Bool { step == 3 }
    public var isMyTurn: Bool { (step % 2 == 0) == (role == .initiator) && step < 3 }

    /// Writes the next handshake message carrying `payload`.
    public mutating func writeMessage(_ payload: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard isMyTurn else { throw .outOfOrder(expected: "read") }
        var out: [UInt8] = []
        switch step {
        case 0:  // -> e
            let ephemeral = e ?? Curve25519.KeyAgreement.PrivateKey()
            e = ephemeral
            let pub = Array(ephemeral.publicKey.rawRepresentation)
            out += pub
            symmetric.mixHash(pub)
        case 1:  // <- e, ee, s, es
            let ephemeral = e ?? Curve25519.KeyAgreement.PrivateKey()
            e = ephemeral
            let pub = Array(ephemeral.publicKey.rawRepresentation)
            out += pub
            symmetric.mixHash(pub)
            symmetric.mixKey(try NoiseXX.dh(ephemeral, remoteEphemeral!))
            out += try symmetric.encryptAndHash(Array(s.publicKey.rawRepresentation))
            symmetric.mixKey(try NoiseXX.dh(s, remoteEphemeral!))
        default:  // -> s, se
            out += try symmetric.encryptAndHash(Array(s.publicKey.rawRepresentation))
            symmetric.mixKey(try NoiseXX.dh(s, remoteEphemeral!))
        }
        out += try symmetric.encryptAndHash(payload)
        guard out.count <= NoiseXX.maxMessageBytes else { throw .messageTooLong(out.count) }
        step += 1
        return out
    }

    /// Reads the peer's next handshake message and returns its payload.
    public mutating func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard !isMyTurn, step < 3 else { throw .outOfOrder(expected: "write") }
        guard message.count <= NoiseXX.maxMessageBytes else { throw .messageTooLong(message.count) }
        var rest = message[...]
        func take(_ n: Int) throws(NoiseError) -> [UInt8] {
            guard rest.count >= n else { throw .messageTooShort(needed: n, got: rest.count) }
            defer { rest = rest.dropFirst(n) }
            return Array(rest.prefix(n))
        }
        switch step {
        case 0:  // -> e
            let re = try take(32)
            remoteEphemeral = re
            symmetric.mixHash(re)
        case 1:  // <- e, ee, s, es
            let re = try take(32)
            remoteEphemeral = re
            symmetric.mixHash(re)
            symmetric.mixKey(try NoiseXX.dh(e!, re))
            let rs = try symmetric.decryptAndHash(try take(32 + 16))
            remoteStatic = rs
            symmetric.mixKey(try NoiseXX.dh(e!, rs))
        default:  // -> s, se
            let rs = try symmetric.decryptAndHash(try take(32 + 16))
            remoteStatic = rs
            symmetric.mixKey(try NoiseXX.dh(e!, rs))
        }
        let payload = try symmetric.decryptAndHash(Array(rest))
        step += 1
        return payload
    }

    /// After the handshake: (send, receive) ciphers for this side.
    public func split() throws(NoiseError) -> (send: NoiseCipher, receive: NoiseCipher) {
        guard isComplete else { throw .outOfOrder(expected: "handshake to finish") }
        let (k1, k2) = SymmetricState.hkdf2(chainingKey: symmetric.ck, input: [])
        let c1 = NoiseCipher(key: k1), c2 = NoiseCipher(key: k2)
        return role == .initiator ? (c1, c2) : (c2, c1)
    }

    static func dh(_ priv: Curve25519.KeyAgreement.PrivateKey, _ pub: [UInt8]) throws(NoiseError) -> [UInt8] {
        let key: Curve25519.KeyAgreement.PublicKey
        do { key = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: pub) } catch { throw .invalidPublicKey }
        let shared: SharedSecret
        do { shared = try priv.sharedSecretFromKeyAgreement(with: key) } catch { throw .lowOrderPoint }
        let bytes = shared.withUnsafeBytes { Array($0) }
        // A low-order peer key gives an all-zero secret: refuse it rather than derive keys from it.
        guard bytes.contains(where: { $0 != 0 }) else { throw .lowOrderPoint }
        return bytes
    }
}

/// One direction of a Noise transport: ChaCha20-Poly1305 with a 64-bit counter nonce that is
/// never reused (encryption refuses to wrap) and a rekey operation (Noise §11.3).
public struct NoiseCipher: Sendable {
    var key: SymmetricKey
    public private(set) var nonce: UInt64 = 0

    init(key: [UInt8]) { self.key = SymmetricKey(data: key) }

    public mutating func encrypt(_ plaintext: [UInt8], ad: [UInt8] = []) throws(NoiseXX.NoiseError) -> [UInt8] {
        guard nonce < UInt64.max else { throw .nonceExhausted }
        defer { nonce += 1 }
        return NoiseCipher.seal(key, nonce, ad, plaintext)
    }

    public mutating func decrypt(_ ciphertext: [UInt8], ad: [UInt8] = []) throws(NoiseXX.NoiseError) -> [UInt8] {
        guard nonce < UInt64.max else { throw .nonceExhausted }
        guard let pt = NoiseCipher.open(key, nonce, ad, ciphertext) else { throw .decryptionFailed }
        nonce += 1
        return pt
    }

    /// Replaces the key with ENCRYPT(k, maxnonce, zero-length ad, 32 zero bytes), keeping the nonce.
    public mutating func rekey() {
        let out = NoiseCipher.seal(key, UInt64.max, [], [UInt8](repeating: 0, count: 32))
        key = SymmetricKey(data: out.prefix(32))
    }

    static func nonceBytes(_ n: UInt64) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 4)
        withUnsafeBytes(of: n.littleEndian) { b.append(contentsOf: $0) }
        return b
    }

    static func seal(_ key: SymmetricKey, _ n: UInt64, _ ad: [UInt8], _ pt: [UInt8]) -> [UInt8] {
        // ChaChaPoly.seal fails only for a malformed nonce, which nonceBytes never makes.
        let box = try! ChaChaPoly.seal(pt, using: key, nonce: try! ChaChaPoly.Nonce(data: nonceBytes(n)), authenticating: ad)
        return Array(box.ciphertext) + Array(box.tag)
    }

    static func open(_ key: SymmetricKey, _ n: UInt64, _ ad: [UInt8], _ ct: [UInt8]) -> [UInt8]? {
        guard ct.count >= 16, let box = try? ChaChaPoly.SealedBox(nonce: try! ChaChaPoly.Nonce(data: nonceBytes(n)),
                                                                   ciphertext: ct.dropLast(16), tag: ct.suffix(16)),
              let pt = try? ChaChaPoly.open(box, using: key, authenticating: ad) else { return nil }
        return Array(pt)
    }
}

/// Noise's SymmetricState: the chaining key, the handshake hash and the handshake cipher.
struct SymmetricState: Sendable {
    var ck: [UInt8]
    var h: [UInt8]
    var cipher: NoiseCipher?

    init(protocolName: String) {
        let name = Array(protocolName.utf8)
        h = name.count <= 32 ? name + [UInt8](repeating: 0, count: 32 - name.count) : Array(SHA256.hash(data: name))
        ck = h
    }

    mutating func mixHash(_ data: [UInt8]) {
        var hasher = SHA256()
        hasher.update(data: h)
        hasher.update(data: data)
        h = Array(hasher.finalize())
    }

    mutating func mixKey(_ input: [UInt8]) {
        let (newCK, k) = SymmetricState.hkdf2(chainingKey: ck, input: input)
        ck = newCK
        cipher = NoiseCipher(key: k)
    }

    mutating func encryptAndHash(_ plaintext: [UInt8]) throws(NoiseXX.NoiseError) -> [UInt8] {
        guard var c = cipher else {
            mixHash(plaintext)
            return plaintext
        }
        let ct = try c.encrypt(plaintext, ad: h)
        cipher = c
        mixHash(ct)
        return ct
    }

    mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseXX.NoiseError) -> [UInt8] {
        guard var c = cipher else {
            mixHash(ciphertext)
            return ciphertext
        }
        let pt = try c.decrypt(ciphertext, ad: h)
        cipher = c
        mixHash(ciphertext)
        return pt
    }

    /// Noise's HKDF with two outputs: HMAC-SHA256 extract, then two chained expansions.
    static func hkdf2(chainingKey: [UInt8], input: [UInt8]) -> ([UInt8], [UInt8]) {
        let temp = Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: chainingKey)))
        let tempKey = SymmetricKey(data: temp)
        let out1 = Array(HMAC<SHA256>.authenticationCode(for: [0x01], using: tempKey))
        let out2 = Array(HMAC<SHA256>.authenticationCode(for: out1 + [0x02], using: tempKey))
        return (out1, out2)
    }
}
