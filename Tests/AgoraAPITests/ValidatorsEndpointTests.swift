import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import Foundation
import HummingbirdTesting
import Testing

@Suite("API: validators and staking payloads")
struct ValidatorsEndpointTests {
    @Test("GET /validators shows the sets for head+1 and head+2 with power, bond, status and the admin")
    func validators() async throws {
        let h = try APIHarness()
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/validators", method: .get) { r in
                #expect(r.status == .ok)
                let v = try decode(API.ValidatorsView.self, r.body)
                #expect(v.height == 0)
                #expect(v.admin == h.validator.address.description)
                #expect(v.params.doubleSignSlashBps == 500 && v.params.maxEvidenceAge == 1_000 && v.params.minBond == 0)
                #expect(v.active.height == 1 && v.next.height == 2)
                #expect(v.active.validators.map(\.publicKey) == [h.validator.publicKey.hex])
                #expect(v.active.validators.first?.status == "active")
                #expect(v.active.validators.first?.address == h.validator.address.description)
                #expect(v.next.hash == v.active.hash && v.active.totalPower == 1)
            }
        }
    }

    @Test("a committed bond renders as type bond with its amount, and the bond shows on the key")
    func bondPayloadView() async throws {
        let h = try APIHarness()
        let tx = h.alice.sign(TransactionBody(chainID: "api-test", sender: h.alice.publicKey, nonce: 0, fee: Amount(1)!, expiresAt: 100,
                                              payload: .bond(amount: Amount(500)!)))
        try h.chain.submit(tx)
        try h.chain.produceBlock(now: 2_000)
        #expect(try Staking.record(h.alice.publicKey, state: h.chain.queries.state)?.bond == Amount(500)!)
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/transactions/\(tx.id.hex)", method: .get) { r in
                let s = try decode(API.TransactionStatusView.self, r.body)
                #expect(s.success == true)
                #expect(s.transaction?.payload.type == "bond")
                #expect(s.transaction?.payload.amount == 500)
            }
            try await client.execute(uri: "/api/v1/validators", method: .get) { r in
                let v = try decode(API.ValidatorsView.self, r.body)
                #expect(v.height == 1 && v.active.height == 2)
            }
        }
    }
}
