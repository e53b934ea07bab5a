import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("State proofs at the API")
struct StateProofEndpointTests {
    @Test("a raw key and ?prove=true on an account carry a value, proof, header and commit that verify; absence proves too")
    func proofsVerify() async throws {
        let h = try APIHarness()
        let bob = SigningKey().address
        _ = h.chain.admit(batch: [h.transfer(0, to: bob, amount: 25)])
        try h.chain.produceBlock(now: 2_000)
        try h.chain.produceBlock(now: 3_000)
        let key = BankKeys.account(bob)
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/proofs/state?key=\(Hex.encode(key.bytes))&height=1", method: .get) { r in
                #expect(r.status == .ok)
                let view = try decode(API.StateProofView.self, r.body)
                let d = try view.decoded()
                #expect(d.header.height == 1)
                #expect(d.commit.blockHash == d.header.hash)
                #expect(Chain.sealIsValid(d.commit, chainID: "api-test", validators: h.chain.identity.validatorSet))
                try d.verifyProof()
                #expect(try Account(canonicalBytes: try #require(d.value)).balance == Amount(25)!)
                // A node that lies about the value is caught.
                var lie = d
                lie.value = Account(balance: Amount(26)!, nonce: 0, faucetClaimed: false).canonicalBytes
                #expect(throws: StateProofError.self) { try lie.verifyProof() }
            }
            try await client.execute(uri: "/api/v1/accounts/\(bob)?prove=true", method: .get) { r in
                #expect(r.status == .ok)
                let view = try decode(API.AccountView.self, r.body)
                let proof = try #require(view.proof)
                #expect(proof.height == 2)
                try proof.decoded().verifyProof()
            }
            try await client.execute(uri: "/api/v1/accounts/\(bob)", method: .get) { r in
                let plain = try decode(API.AccountView.self, r.body)
                #expect(plain.proof == nil)
            }
            let absent = StateKey("bank/acct/", [UInt8](repeating: 7, count: 20))
            try await client.execute(uri: "/api/v1/proofs/state?key=\(Hex.encode(absent.bytes))", method: .get) { r in
                let d = try decode(API.StateProofView.self, r.body).decoded()
                #expect(d.value == nil && d.header.height == 2)
                try d.verifyProof()
            }
        }
    }

    @Test("bad keys, heights and prove flags are typed refusals")
    func badInput() async throws {
        let h = try APIHarness()
        try h.chain.produceBlock(now: 2_000)
        let key = Hex.encode(BankKeys.account(h.alice.address).bytes)
        let cases: [(String, HTTPResponse.Status, String)] = [
            ("/api/v1/proofs/state", .badRequest, "invalid_key"),
            ("/api/v1/proofs/state?key=zz", .badRequest, "invalid_key"),
            ("/api/v1/proofs/state?key=\(String(repeating: "ab", count: 300))", .badRequest, "invalid_key"),
            ("/api/v1/proofs/state?key=\(key)&height=x", .badRequest, "invalid_height"),
            ("/api/v1/proofs/state?key=\(key)&height=9", .notFound, "height_not_available"),
            ("/api/v1/proofs/state?key=\(key)&height=0", .notFound, "height_not_available"),
            ("/api/v1/accounts/\(h.alice.address)?prove=maybe", .badRequest, "invalid_prove"),
        ]
        try await h.app.test(.router) { client in
            for (uri, status, code) in cases {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == status, "\(uri)")
                    let error = try decode(ErrorBody.self, r.body)
                    #expect(error.code == code, "\(uri)")
                }
            }
        }
    }
}
