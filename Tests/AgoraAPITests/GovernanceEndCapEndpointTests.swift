import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import Foundation
import HummingbirdTesting
import Testing

@Suite("API: the governance cap on proposals ending at one height")
struct GovernanceEndCapEndpointTests {
    @Test("a proposal whose natural voting end is full shows the next height with room as its votingEnd; params show the cap")
    func shiftedVotingEnd() async throws {
        let h = try APIHarness(governance: .init(minDeposit: Amount(10)!, depositPeriod: 4, votingPeriod: 5, maxEndingPerHeight: 2))
        for nonce in UInt64(0)..<3 {
            let content = ProposalContent(title: "signal \(nonce)", action: .text)
            try h.chain.submit(h.alice.sign(TransactionBody(chainID: "api-test", sender: h.alice.publicKey, nonce: nonce, fee: Amount(1)!,
                                                            expiresAt: 100, payload: .submitProposal(content: content,
                                                                                                     deposit: Amount(10)!))))
        }
        try h.chain.produceBlock(now: 2_000)  // height 1: all three would end at 6; the cap is 2
        try await h.app.test(.router) { client in
            for (id, end) in [(1, 6), (2, 6), (3, 7)] as [(Int, UInt64)] {
                try await client.execute(uri: "/api/v1/gov/proposals/\(id)", method: .get) { r in
                    #expect(r.status == .ok)
                    let p = try decode(API.ProposalView.self, r.body)
                    #expect(p.status == "voting_period" && p.votingStart == 1)
                    #expect(p.votingEnd == end)
                }
            }
            try await client.execute(uri: "/api/v1/gov/params", method: .get) { r in
                let v = try decode(API.GovParamsView.self, r.body)
                #expect(v.maxEndingPerHeight == 2)
                #expect(v.changeableKeys.contains("gov.maxEndingPerHeight"))
            }
        }
    }
}
