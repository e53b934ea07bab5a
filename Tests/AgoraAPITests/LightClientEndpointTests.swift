import AgoraAPI
import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraCrypto
import AgoraLedger
import Foundation
import HummingbirdTesting
import Testing

/// The light client's reads against a real chain: a validator-set change made in block 2 shows
/// in header 3's `nextValidatorSetHash` and in `GET /validators/4`, and the light blocks the
/// node serves verify from genesis through the change.
@Suite("API: light blocks and validator sets by height")
struct LightClientEndpointTests {
    struct Served: LightBlockSource {
        let blocks: [UInt64: LightBlock]
        func lightBlock(height: UInt64) async throws(LightClientError) -> LightBlock {
            guard let b = blocks[height] else { throw .heightNotAvailable(height: height, reason: "not served") }
            return b
        }
    }

    @Test("light blocks verify from genesis across a power change; the set of each height hashes to its header's")
    func lightBlocks() async throws {
        let h = try APIHarness()
        let fund = h.alice.sign(TransactionBody(chainID: "api-test", sender: h.alice.publicKey, nonce: 0, fee: Amount(1)!, expiresAt: 100,
                                                payload: .transfer(to: h.validator.address, amount: Amount(100)!, memo: "")))
        try h.chain.submit(fund)
        try h.chain.produceBlock(now: 2_000)
        let update = h.validator.sign(TransactionBody(chainID: "api-test", sender: h.validator.publicKey, nonce: 0, fee: Amount(1)!, expiresAt: 100,
                                                      payload: .validatorUpdate(publicKey: h.validator.publicKey, power: 7)))
        try h.chain.submit(update)
        for t in 3...7 { try h.chain.produceBlock(now: UInt64(t) * 1_000) }  // blocks 2…6; the change takes effect at 4
        let blocks = try await h.app.test(.router) { client in
            var blocks: [UInt64: LightBlock] = [:]
            for height in UInt64(1)...6 {
                blocks[height] = try await client.execute(uri: "/api/v1/light-blocks/\(height)", method: .get) { r in
                    #expect(r.status == .ok)
                    return try LightBlock(view: decode(API.LightBlockView.self, r.body))
                }
            }
            let set = try await client.execute(uri: "/api/v1/validators/4", method: .get) { r in
                try LightBlock.validatorSet(view: decode(API.ValidatorSetAtView.self, r.body))
            }
            #expect(set.totalPower == 7)
            #expect(set.hash == blocks[4]?.header.validatorSetHash)
            #expect(set.hash == blocks[3]?.header.nextValidatorSetHash)
            try await client.execute(uri: "/api/v1/validators/9", method: .get) { r in
                #expect(r.status == .notFound)
                #expect((try? decode(ErrorBody.self, r.body))?.code == "height_not_available")
            }
            try await client.execute(uri: "/api/v1/light-blocks/7", method: .get) { r in
                #expect(r.status == .notFound)
                #expect((try? decode(ErrorBody.self, r.body))?.code == "height_not_available")
            }
            for bad in ["0", "abc", "99999999999999999999999"] {
                try await client.execute(uri: "/api/v1/light-blocks/\(bad)", method: .get) { r in
                    #expect(r.status == .badRequest)
                    #expect((try? decode(ErrorBody.self, r.body))?.code == "invalid_height")
                }
            }
            return blocks
        }
        #expect(blocks[3]?.validators.totalPower == 1 && blocks[4]?.validators.totalPower == 7)
        let genesis = try ValidatorSet([Validator(publicKey: h.validator.publicKey, power: 1)])
        for mode in LightClient.Mode.allCases {
            var light = try await LightClient(root: .genesis(chainID: "api-test", validators: genesis, genesisTime: 1_000),
                                              source: Served(blocks: blocks), mode: mode)
            #expect(try await light.verify(height: 6, source: Served(blocks: blocks)) == blocks[6])
        }
    }
}
