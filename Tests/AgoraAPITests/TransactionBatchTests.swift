import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /api/v1/transactions/batch`: each transaction admitted as a single submission would be
/// (load refusals with their retry time, bad signatures refused), one result per transaction in
/// order, and the request refused as a whole only for its shape or the rate limit, which counts
/// the batch's transactions (docs/api.md, docs/mempool.md).
@Suite("API transaction batches")
struct TransactionBatchTests {
    func post(_ client: some TestClientProtocol, _ txs: [Transaction], _ check: @escaping (TestResponse) throws -> Void) async throws {
        try await postHex(client, txs.map { Hex.encode($0.bytes) }, check)
    }

    func postHex(_ client: some TestClientProtocol, _ txs: [String], _ check: @escaping (TestResponse) throws -> Void) async throws {
        try await client.execute(uri: "/api/v1/transactions/batch", method: .post, body: body(API.BatchSubmitRequest(txs: txs))) { r in
            try check(r)
        }
    }

    @Test("each transaction gets the answer a single submission would: admitted in order, a bad signature refused, past the bound mempool_busy with its retry time")
    func perTransactionResults() async throws {
        let h = try APIHarness(mempool: MempoolBackpressureTests.smallPool(ready: 3))
        let bob = SigningKey().address
        let good = (0..<4).map { h.transfer(UInt64($0), to: bob) }
        let forged = Transaction(body: h.transfer(0, to: bob, amount: 11).body, signature: Signature(bytes: [UInt8](repeating: 7, count: 64))!)
        try await h.app.test(.router) { client in
            try await post(client, [forged] + good) { r in
                #expect(r.status == .ok)
                let answer = try decode(API.BatchSubmitResponse.self, r.body)
                #expect(answer.admitted == 3)
                #expect(answer.results.map(\.id) == ([forged] + good).map(\.id.hex))
                #expect(answer.results.map(\.status) == ["refused", "pending", "pending", "pending", "refused"])
                #expect(answer.results[0].error?.code == "invalid_signature")
                #expect(answer.results[0].error?.httpStatus == 422)
                #expect(answer.results[0].error?.retryAfterSeconds == nil)
                #expect(answer.results[4].error?.code == "mempool_busy")
                #expect(answer.results[4].error?.httpStatus == 503)
                #expect(answer.results[4].error?.retryAfterSeconds == 1)
            }
            try await client.execute(uri: "/api/v1/mempool", method: .get) { r in
                #expect(String(buffer: r.body).contains(good[2].id.hex))
                #expect(!String(buffer: r.body).contains(good[3].id.hex))
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(String(buffer: r.body).contains(#"agora_mempool_refused_total{code="mempool_busy"} 1"#))
            }
        }
    }

    @Test("a batch that is empty, over 500, or holds an item that is not a transaction is refused whole with 400 naming it")
    func shape() async throws {
        let h = try APIHarness()
        let bob = SigningKey().address
        try await h.app.test(.router) { client in
            try await postHex(client, []) { r in
                #expect(r.status == .badRequest)
                let decoded = try decode(ErrorBody.self, r.body)
                #expect(decoded.code == "invalid_batch")
            }
            try await postHex(client, Array(repeating: "00", count: APIRoutes.maxBatchTransactions + 1)) { r in
                #expect(r.status == .badRequest)
                let decoded = try decode(ErrorBody.self, r.body)
                #expect(decoded.code == "invalid_batch")
            }
            try await postHex(client, [Hex.encode(h.transfer(0, to: bob).bytes), "zz"]) { r in
                #expect(r.status == .badRequest)
                let e = try decode(ErrorBody.self, r.body)
                #expect(e.code == "invalid_hex")
                #expect(e.message.contains("txs[1]"))
            }
            try await postHex(client, [Hex.encode(h.transfer(0, to: bob).bytes), "0102"]) { r in
                #expect(r.status == .badRequest)
                let decoded = try decode(ErrorBody.self, r.body)
                #expect(decoded.code == "malformed_transaction")
            }
            // Nothing of the refused batches was admitted.
            try await client.execute(uri: "/api/v1/status", method: .get) { r in
                #expect(String(buffer: r.body).contains(#""count":0"#))
            }
        }
    }

    @Test("the per-IP rate limit counts a batch's transactions, not one request")
    func rateLimitCountsTransactions() async throws {
        let h = try APIHarness(rate: 0.1, burst: 6)
        let bob = SigningKey().address
        try await h.app.test(.router) { client in
            try await post(client, (0..<5).map { h.transfer(UInt64($0), to: bob) }) { r in
                #expect(r.status == .ok)
                let decoded = try decode(API.BatchSubmitResponse.self, r.body)
                #expect(decoded.admitted == 5)
            }
            try await post(client, (5..<7).map { h.transfer(UInt64($0), to: bob) }) { r in
                #expect(r.status == .tooManyRequests)
                #expect(r.headers[.retryAfter] != nil)
                let decoded = try decode(ErrorBody.self, r.body)
                #expect(decoded.code == "rate_limited")
            }
        }
    }
}
