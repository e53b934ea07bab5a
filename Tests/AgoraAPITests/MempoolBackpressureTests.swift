import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /api/v1/transactions` under the mempool's bounds: typed refusals with `Retry-After`,
/// counted in `agora_mempool_refused_total` (docs/mempool.md, docs/api.md).
@Suite("API mempool backpressure")
struct MempoolBackpressureTests {
    /// A pool that holds `ready` ready transactions at most (the floor rate for one second).
    static func smallPool(ready: Int, queuedPerSender: Int = 64) -> Mempool {
        var config = Mempool.Config()
        config.maxPendingSeconds = 1
        config.minCommitRate = Double(ready)
        config.maxQueuedPerSender = queuedPerSender
        return Mempool(config: config)
    }

    func submit(_ client: some TestClientProtocol, _ tx: Transaction, _ check: @escaping (TestResponse) throws -> Void) async throws {
        try await client.execute(uri: "/api/v1/transactions", method: .post, body: body(API.SubmitRequest(tx: Hex.encode(tx.bytes)))) { r in
            try check(r)
        }
    }

    @Test("over the ready bound a submission gets 503 mempool_busy with Retry-After, and the metric counts it")
    func busy() async throws {
        let h = try APIHarness(mempool: Self.smallPool(ready: 2))
        let bob = SigningKey().address
        try await h.app.test(.router) { client in
            for n in 0..<2 { try await submit(client, h.transfer(UInt64(n), to: bob)) { #expect($0.status == .accepted) } }
            try await submit(client, h.transfer(2, to: bob)) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "1")
                let e = try decode(ErrorBody.self, r.body)
                #expect(e.code == "mempool_busy")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains(#"agora_mempool_refused_total{code="mempool_busy"} 1"#))
            }
        }
    }

    @Test("a sender past its queued limit gets 429 queued_limit with Retry-After; a far expiry gets 422 expiry_too_far")
    func queuedAndExpiry() async throws {
        let h = try APIHarness(mempool: Self.smallPool(ready: 100, queuedPerSender: 2))
        let bob = SigningKey().address
        try await h.app.test(.router) { client in
            for n in 1...2 { try await submit(client, h.transfer(UInt64(n), to: bob)) { #expect($0.status == .accepted) } }
            try await submit(client, h.transfer(3, to: bob)) { r in
                #expect(r.status == .tooManyRequests)
                #expect(Int(r.headers[.retryAfter] ?? "") ?? 0 >= 1)
                let e = try decode(ErrorBody.self, r.body)
                #expect(e.code == "queued_limit")
            }
            let far = h.alice.sign(TransactionBody(chainID: "api-test", sender: h.alice.publicKey, nonce: 0, fee: Amount(1)!,
                                                   expiresAt: 1_000_000_000, payload: .transfer(to: bob, amount: Amount(1)!, memo: "")))
            try await submit(client, far) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.headers[.retryAfter] == nil)
                let e = try decode(ErrorBody.self, r.body)
                #expect(e.code == "expiry_too_far")
                #expect(e.message.contains("1000000000"))
            }
        }
    }
}
