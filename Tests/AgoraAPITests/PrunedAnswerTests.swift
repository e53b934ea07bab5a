import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// What a pruning node answers for data below its earliest height: 410 `pruned` with the
/// earliest height in the body; what pruning keeps (headers, light blocks) stays 200.
@Suite("Pruned answers")
struct PrunedAnswerTests {
    struct PrunedBody: Decodable { let code: String; let message: String; let earliestHeight: UInt64? }

    @Test("a pruned block, transaction and transaction page are 410 pruned with earliestHeight; status shows it; headers stay")
    func answers() async throws {
        let h = try APIHarness()
        let bob = SigningKey().address
        let old = h.transfer(0, to: bob)
        _ = h.chain.admit(batch: [old])
        try h.chain.produceBlock(now: 2_000)
        for i in 1...3 {
            _ = h.chain.admit(batch: [h.transfer(UInt64(i), to: bob)])
            try h.chain.produceBlock(now: 2_000 + UInt64(i))
        }
        let store = h.store
        while try store.pruneStep(target: 3) != nil {}
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/status", method: .get) { r in
                let status = try decode(API.StatusView.self, r.body)
                #expect(status.earliestHeight == 3)
            }
            for uri in ["/api/v1/blocks/1", "/api/v1/transactions/\(old.id.hex)", "/api/v1/transactions?cursor=\(1 << 20)"] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .gone, "\(uri)")
                    let b = try decode(PrunedBody.self, r.body)
                    #expect(b.code == "pruned" && b.earliestHeight == 3, "\(uri): \(b)")
                }
            }
            for uri in ["/api/v1/blocks/3", "/api/v1/light-blocks/1", "/api/v1/blocks"] {
                try await client.execute(uri: uri, method: .get) { r in #expect(r.status == .ok, "\(uri)") }
            }
        }
    }

    @Test("an archive node still answers 404 for an unknown transaction and shows earliestHeight 1")
    func archive() async throws {
        let h = try APIHarness()
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/transactions/\(Hash.sha256([7]).hex)", method: .get) { r in
                #expect(r.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/status", method: .get) { r in
                let status = try decode(API.StatusView.self, r.body)
                #expect(status.earliestHeight == 1)
            }
        }
    }
}
