import AgoraCore
import Foundation
import Testing
@testable import AgoraCrypto

@Suite("Ed25519 against public vectors")
struct Ed25519VectorTests {
    /// RFC 8032 §7.1 cases and the rest of SUPERCOP's 1,024: signing from the seed gives the
    /// exact signature, and it verifies.
    @Test("RFC 8032 / SUPERCOP signing vectors match byte for byte")
    func rfc8032() throws {
        let text = String(decoding: try Vectors.data("rfc/ed25519-sign.input"), as: UTF8.self)
        var count = 0
        for line in text.split(separator: "\n") where !line.isEmpty {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            let sk = Hex.decode(f[0])!, pk = Hex.decode(f[1])!, msg = Hex.decode(f[2])!, sigMsg = Hex.decode(f[3])!
            let key = try SigningKey(seed: sk.prefix(32))
            #expect(key.publicKey.bytes == pk, "public key of case \(count)")
            let sig = key.sign(msg)
            #expect(sig.bytes == Array(sigMsg.prefix(64)), "signature of case \(count)")
            #expect(SignatureVerifier.isValid(sig, of: msg, by: key.publicKey))
            count += 1
        }
        #expect(count == 1024)
    }

    struct Wycheproof: Decodable {
        struct Group: Decodable {
            struct Key: Decodable { let pk: String }
            struct Case: Decodable { let tcId: Int; let comment: String; let msg: String; let sig: String; let result: String }
            let publicKey: Key
            let tests: [Case]
        }
        let testGroups: [Group]
    }

    @Test("Wycheproof: valid signatures verify, every invalid one is refused")
    func wycheproof() throws {
        let suite = try JSONDecoder().decode(Wycheproof.self, from: try Vectors.data("wycheproof/ed25519_test.json"))
        var checked = 0
        for group in suite.testGroups {
            let key = PublicKey(hex: group.publicKey.pk)!
            for t in group.tests {
                let msg = Hex.decode(t.msg)!
                let raw = Hex.decode(t.sig) ?? []
                let valid: Bool
                if let sig = Signature(bytes: raw) {
                    valid = SignatureVerifier.isValid(sig, of: msg, by: key)
                } else {
                    valid = false // wrong length never reaches the verifier
                }
                #expect(valid == (t.result == "valid"), "tcId \(t.tcId): \(t.comment)")
                checked += 1
            }
        }
        #expect(checked == 151)
    }

    @Test("parallel verification returns per-transaction results in order")
    func parallelVerification() throws {
        let key = SigningKey()
        var txs: [Transaction] = (0..<500).map { i in
            key.sign(TransactionBody(chainID: "t", sender: key.publicKey, nonce: UInt64(i), fee: .zero, expiresAt: 10,
                                     payload: .faucet))
        }
        // Corrupt two signatures, and swap one body so its signature belongs to another.
        for i in [17, 333] {
            var sig = txs[i].signature.bytes
            sig[5] ^= 1
            txs[i] = Transaction(body: txs[i].body, signature: Signature(bytes: sig)!)
        }
        txs[400] = Transaction(body: txs[401].body, signature: txs[400].signature)
        let results = SignatureVerifier.verify(txs)
        #expect(results.count == 500)
        for i in 0..<500 { #expect(results[i] == ![17, 333, 400].contains(i), "index \(i)") }
    }

    @Test("a transaction signature cannot be replayed as a vote signature")
    func domainSeparation() {
        let key = SigningKey()
        let vote = Vote(chainID: "t", height: 1, round: 0, kind: .precommit, blockHash: .zero)
        let sig = key.sign(vote)
        #expect(SignatureVerifier.isValid(sig, for: vote))
        #expect(!SignatureVerifier.isValid(sig.signature, of: vote.canonicalBytes, by: key.publicKey))
    }
}
