import AgoraCore
import Crypto
import Foundation
import Testing
@testable import AgoraCrypto

@Suite("Noise XX")
struct NoiseTests {
    struct Cacophony: Decodable {
        struct Vector: Decodable {
            let protocol_name: String
            // Other patterns in the file lack some keys; XX vectors have them all.
            let init_prologue: String, init_static: String?, init_ephemeral: String?
            let resp_prologue: String, resp_static: String?, resp_ephemeral: String?
            let handshake_hash: String?
            let messages: [Message]
        }
        struct Message: Decodable { let payload: String; let ciphertext: String }
        let vectors: [Vector]
    }

    func key(_ hex: String) throws -> Curve25519.KeyAgreement.PrivateKey {
        try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Hex.decode(hex)!)
    }

    @Test("every Noise_XX_25519_ChaChaPoly_SHA256 cacophony vector matches byte for byte")
    func cacophony() throws {
        let all = try JSONDecoder().decode(Cacophony.self, from: try Vectors.data("noise/cacophony.json")).vectors
        let vectors = all.filter { $0.protocol_name == NoiseXX.protocolName }
        #expect(!vectors.isEmpty)
        for v in vectors {
            var initiator = NoiseXX(role: .initiator, staticKey: try key(v.init_static!), prologue: Hex.decode(v.init_prologue)!,
                                    ephemeral: try key(v.init_ephemeral!))
            var responder = NoiseXX(role: .responder, staticKey: try key(v.resp_static!), prologue: Hex.decode(v.resp_prologue)!,
                                    ephemeral: try key(v.resp_ephemeral!))
            var ciphers: (i: (send: NoiseCipher, receive: NoiseCipher), r: (send: NoiseCipher, receive: NoiseCipher))?
            for (n, m) in v.messages.enumerated() {
                let payload = Hex.decode(m.payload)!, expected = Hex.decode(m.ciphertext)!
                let initiatorSends = n % 2 == 0
                if n < 3 {
                    if initiatorSends {
                        #expect(try initiator.writeMessage(payload) == expected, "handshake message \(n)")
                        #expect(try responder.readMessage(expected) == payload)
                    } else {
                        #expect(try responder.writeMessage(payload) == expected, "handshake message \(n)")
                        #expect(try initiator.readMessage(expected) == payload)
                    }
                    if n == 2 {
                        #expect(Hex.encode(initiator.handshakeHash) == v.handshake_hash)
                        #expect(Hex.encode(responder.handshakeHash) == v.handshake_hash)
                        ciphers = (try initiator.split(), try responder.split())
                    }
                } else {
                    var c = ciphers!
                    if initiatorSends {
                        #expect(try c.i.send.encrypt(payload) == expected, "transport message \(n)")
                        #expect(try c.r.receive.decrypt(expected) == payload)
                    } else {
                        #expect(try c.r.send.encrypt(payload) == expected, "transport message \(n)")
                        #expect(try c.i.receive.decrypt(expected) == payload)
                    }
                    ciphers = c
                }
            }
            #expect(initiator.remoteStatic == Array(try key(v.resp_static!).publicKey.rawRepresentation))
            #expect(responder.remoteStatic == Array(try key(v.init_static!).publicKey.rawRepresentation))
        }
    }

    @Test("a tampered, replayed or out-of-order message is refused")
    func tampering() throws {
        var i = NoiseXX(role: .initiator, staticKey: .init())
        var r = NoiseXX(role: .responder, staticKey: .init())
        let m1 = try i.writeMessage([])
        #expect(throws: NoiseXX.NoiseError.outOfOrder(expected: "read")) { try i.writeMessage([]) }
        _ = try r.readMessage(m1)
        var m2 = try r.writeMessage(Array("hello".utf8))
        m2[40] ^= 1
        #expect(throws: NoiseXX.NoiseError.decryptionFailed) { try i.readMessage(m2) }
        #expect(throws: NoiseXX.NoiseError.messageTooShort(needed: 32, got: 3)) {
            var fresh = NoiseXX(role: .responder, staticKey: .init())
            _ = try fresh.readMessage([1, 2, 3])
        }

        // A full handshake, then transport: replaying a frame fails (the nonce moved on).
        var a = NoiseXX(role: .initiator, staticKey: .init()), b = NoiseXX(role: .responder, staticKey: .init())
        _ = try b.readMessage(try a.writeMessage([]))
        _ = try a.readMessage(try b.writeMessage([]))
        _ = try b.readMessage(try a.writeMessage([]))
        var (aSend, _) = try a.split()
        var (_, bReceive) = try b.split()
        let frame = try aSend.encrypt(Array("one".utf8))
        #expect(try bReceive.decrypt(frame) == Array("one".utf8))
        #expect(throws: NoiseXX.NoiseError.decryptionFailed) { try bReceive.decrypt(frame) }
    }

    @Test("a low-order peer key is refused instead of yielding an all-zero secret")
    func lowOrder() throws {
        var r = NoiseXX(role: .responder, staticKey: .init())
        // The all-zero public key is of low order on Curve25519.
        _ = try r.readMessage([UInt8](repeating: 0, count: 32))
        #expect(throws: NoiseXX.NoiseError.self) { try r.writeMessage([]) }
    }

    @Test("both sides rekey in step and keep talking")
    func rekey() throws {
        var a = NoiseXX(role: .initiator, staticKey: .init()), b = NoiseXX(role: .responder, staticKey: .init())
        _ = try b.readMessage(try a.writeMessage([]))
        _ = try a.readMessage(try b.writeMessage([]))
        _ = try b.readMessage(try a.writeMessage([]))
        var (aSend, _) = try a.split()
        var (_, bReceive) = try b.split()
        aSend.rekey()
        bReceive.rekey()
        #expect(try bReceive.decrypt(try aSend.encrypt([7, 7])) == [7, 7])
    }

    @Test("random bytes at every handshake step are refused without a crash")
    func fuzz() throws {
        var rng = SystemRandomNumberGenerator()
        for i in 0..<2_000 {
            let n = Int.random(in: 0...200, using: &rng)
            let junk = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var r = NoiseXX(role: .responder, staticKey: .init())
            var i2 = NoiseXX(role: .initiator, staticKey: .init())
            if i % 2 == 0 {
                _ = try? r.readMessage(junk)
            } else {
                var peer = NoiseXX(role: .responder, staticKey: .init())
                _ = try peer.readMessage(try i2.writeMessage([]))
                _ = try? i2.readMessage(junk)
            }
        }
    }
}

@Suite("Handshake identity")
struct HandshakeIdentityTests {
    /// Runs XX with identity payloads in messages 2 and 3 and returns what each side verified.
    func handshake(initiatorChain: String = "c", responderChain: String = "c",
                   forge: Bool = false) throws -> (HandshakeIdentity, HandshakeIdentity) {
        let iID = SigningKey(), rID = SigningKey()
        let iStatic = Curve25519.KeyAgreement.PrivateKey(), rStatic = Curve25519.KeyAgreement.PrivateKey()
        var i = NoiseXX(role: .initiator, staticKey: iStatic), r = NoiseXX(role: .responder, staticKey: rStatic)
        _ = try r.readMessage(try i.writeMessage([]))
        // A forger signs some other static key with its identity.
        let signedStatic = forge ? Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation) : Array(rStatic.publicKey.rawRepresentation)
        let rPayload = HandshakeIdentity.make(identity: rID, chainID: responderChain, noiseStatic: signedStatic).canonicalBytes
        let seenByI = try HandshakeIdentity.verify(try i.readMessage(try r.writeMessage(rPayload)), chainID: initiatorChain,
                                                   noiseStatic: i.remoteStatic)
        let iPayload = HandshakeIdentity.make(identity: iID, chainID: initiatorChain, noiseStatic: Array(iStatic.publicKey.rawRepresentation)).canonicalBytes
        let seenByR = try HandshakeIdentity.verify(try r.readMessage(try i.writeMessage(iPayload)), chainID: responderChain,
                                                   noiseStatic: r.remoteStatic)
        #expect(seenByI.identity == rID.publicKey && seenByR.identity == iID.publicKey)
        return (seenByI, seenByR)
    }

    @Test("identities bound to the Noise static keys are accepted on both sides")
    func accepted() throws {
        _ = try handshake()
    }

    @Test("a wrong chain or an identity signature over another static key is refused with a reason")
    func refused() throws {
        #expect(throws: HandshakeIdentity.Refusal.chainMismatch(ours: "c", theirs: "other")) {
            _ = try handshake(responderChain: "other")
        }
        #expect(throws: HandshakeIdentity.Refusal.badSignature) { _ = try handshake(forge: true) }
        #expect(throws: HandshakeIdentity.Refusal.self) {
            _ = try HandshakeIdentity.verify([1, 2, 3], chainID: "c", noiseStatic: [UInt8](repeating: 1, count: 32))
        }
    }
}
