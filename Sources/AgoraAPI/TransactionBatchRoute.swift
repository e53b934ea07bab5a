import AgoraAPIModels
import AgoraCore
import AgoraLedger
import Foundation
import Hummingbird

/// `POST /api/v1/transactions/batch`: many signed transactions in one request, for a client
/// that signs faster than one HTTP round trip per transaction allows (the Python SDK's
/// `submit_batch`). Each transaction is admitted under exactly the rules of
/// `POST /api/v1/transactions` (`Chain.submit(batch:)`: load refusals before any signature
/// check, no displacement) and gets its own result, in order; the request itself fails only
/// when its shape is wrong. The per-IP rate limit counts the batch's transactions, not one
/// request, so batching buys fewer round trips, never more admissions than single submissions
/// would get (docs/api.md, docs/mempool.md).
extension APIRoutes {
    /// Transactions in one batch at most (also bounded by `http.maxBodyBytes`).
    public static let maxBatchTransactions = 500

    static func addTransactionBatchRoute(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies, limiter: RateLimiter) {
        router.post("/api/v1/transactions/batch") { request, context in
            let batch = try await decodeBody(API.BatchSubmitRequest.self, request, limit: deps.limits.maxBodyBytes,
                                             timeout: deps.limits.requestTimeout, allowedKeys: ["txs"],
                                             hint: "body must be {\"txs\": [\"<hex>\", …]}")
            guard (1...maxBatchTransactions).contains(batch.txs.count) else {
                throw APIError.badRequest("invalid_batch", "txs holds \(batch.txs.count) transactions; 1…\(maxBatchTransactions) per batch")
            }
            guard Double(batch.txs.count) <= limiter.burst else {
                throw APIError.badRequest("invalid_batch", "txs holds \(batch.txs.count) transactions; the rate limit allows \(Int(limiter.burst)) at once")
            }
            // The middleware took one token for the request; the rest of the batch pays here.
            if batch.txs.count > 1, case let .limited(retryAfter) = limiter.check(context.clientIP, cost: Double(batch.txs.count - 1)) {
                deps.metrics.apiLimited("rate")
                throw APIError(.tooManyRequests, "rate_limited",
                               "\(batch.txs.count) transactions exceed the rate limit of \(context.clientIP); retry after \(Int(retryAfter.rounded(.up))) s")
                    .retrying(after: Int(retryAfter.rounded(.up)))
            }
            let decoded = try batch.txs.enumerated().map { i, hex in try decodeBatchItem(hex, index: i, metrics: deps.metrics) }
            let results = deps.chain.submit(batch: decoded, correlationID: context.requestID ?? context.id)
            let items = zip(decoded, results).map { tx, result in batchItem(tx, result) }
            return try json(API.BatchSubmitResponse(admitted: items.filter { $0.error == nil }.count, results: items))
        }
    }

    /// One transaction of a batch: a batch with an item that is not a transaction at all is a
    /// malformed request (400 naming the item), not a partial success.
    static func decodeBatchItem(_ hex: String, index: Int, metrics: NodeMetrics) throws -> Transaction {
        guard let raw = Hex.decode(hex) else { throw APIError.badRequest("invalid_hex", "txs[\(index)] is not hex") }
        do { return try Transaction(bytes: raw) } catch {
            metrics.rejected("malformed")
            throw APIError.badRequest("malformed_transaction", "txs[\(index)] does not decode: \(error)")
        }
    }

    /// The result of one transaction: its status as `POST /api/v1/transactions` answers it, or
    /// the error code, message and (for load refusals) seconds to wait that it would have got.
    static func batchItem(_ tx: Transaction, _ result: Result<Mempool.Admitted, Mempool.AdmissionError>) -> API.BatchItem {
        switch result {
        case .success(.ready): return API.BatchItem(id: tx.id.hex, status: "pending")
        case .success(.queued): return API.BatchItem(id: tx.id.hex, status: "queued")
        case let .success(.replaced(old)): return API.BatchItem(id: tx.id.hex, status: "pending", replaced: old.hex)
        case let .failure(error):
            let e = admissionError(error, id: tx.id)
            let retry = error.retryAfter.map { max(1, $0) }
            return API.BatchItem(id: tx.id.hex, status: "refused",
                                 error: API.BatchError(code: e.code, message: e.message, httpStatus: Int(e.status.code), retryAfterSeconds: retry))
        }
    }
}
