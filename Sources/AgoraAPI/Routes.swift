import AgoraCore
import AgoraState
import AgoraServices
import AgoraStorage
import Foundation
import Hummingbird
import Logging

/// What the API serves from: the chain, the producer's status for health, and limits.
public struct APIDependencies: Sendable {
    public var chain: Chain
    public var producer: ProducerStatus
    public var blockInterval: Duration
    public var createEmptyBlocks: Bool
    public var maxBodyBytes: Int
    public var version: String

    public init(chain: Chain, producer: ProducerStatus, blockInterval: Duration, createEmptyBlocks: Bool,
                maxBodyBytes: Int = 256 * 1024, version: String) {
        self.chain = chain
        self.producer = producer
        self.blockInterval = blockInterval
        self.createEmptyBlocks = createEmptyBlocks
        self.maxBodyBytes = maxBodyBytes
        self.version = version
    }
}

/// API v1 routes. Handlers decode and check input at the edge, call the chain, and encode one
/// of the shapes in `API`; every failure is an `APIError`.
public enum APIRoutes {
    public static func router(_ deps: APIDependencies) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ErrorMiddleware())
        let chain = deps.chain

        router.get("/health/live") { _, _ in
            try json(API.HealthView(status: "live", components: [:]))
        }

        router.get("/health/ready") { _, _ in
            let health = readiness(deps)
            return try json(health, status: health.status == "ready" ? .ok : .serviceUnavailable)
        }

        router.get("/api/v1/status") { _, _ in
            let tip = chain.snapshot
            let p = tip.params
            return try json(API.StatusView(
                chainID: chain.identity.chainID, genesisHash: chain.identity.genesisHash.hex, height: tip.head.height,
                headHash: tip.head.hash.hex, headTime: tip.head.timestamp, stateRoot: tip.head.stateRoot.hex,
                validator: chain.identity.validatorSet.validators.first.map { $0.publicKey.address.description } ?? "",
                mempool: .init(count: chain.mempool.count, bytes: chain.mempool.bytes),
                params: .init(treasury: p.treasury.description, transferFeeBps: p.transferFeeBps, minFee: p.minFee.units,
                              faucetAmount: p.faucetAmount.units, maxTotalSupply: p.maxTotalSupply.units,
                              maxAccountBalance: p.maxAccountBalance.units, blockReward: p.blockReward.units,
                              totalSupply: tip.supply.units),
                version: deps.version))
        }

        router.post("/api/v1/transactions") { request, context in
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: deps.maxBodyBytes) } catch {
                throw APIError(.contentTooLarge, "body_too_large", "request body exceeds \(deps.maxBodyBytes) bytes")
            }
            let submit: API.SubmitRequest
            do { submit = try JSONDecoder().decode(API.SubmitRequest.self, from: Data(buffer: body)) } catch {
                throw APIError.badRequest("invalid_json", "body must be {\"tx\": \"<hex>\"}: \(describe(error))")
            }
            guard let raw = Hex.decode(submit.tx) else { throw APIError.badRequest("invalid_hex", "tx is not hex") }
            let tx: Transaction
            do { tx = try Transaction(bytes: raw) } catch {
                throw APIError.badRequest("malformed_transaction", "tx does not decode: \(error)")
            }
            let correlationID = request.headers[.init("X-Request-ID")!] ?? context.id
            let admitted: Mempool.Admitted
            do throws(Mempool.AdmissionError) {
                admitted = try chain.submit(tx, correlationID: correlationID)
            } catch {
                throw admissionError(error, id: tx.id)
            }
            let status: String
            var replaced: String?
            switch admitted {
            case .ready: status = "pending"
            case .queued: status = "queued"
            case let .replaced(old): status = "pending"; replaced = old.hex
            }
            var response = try json(API.SubmitResponse(id: tx.id.hex, status: status, replaced: replaced), status: .accepted)
            response.headers[.init("X-Request-ID")!] = correlationID
            return response
        }

        router.get("/api/v1/transactions/{id}") { _, context in
            let text = try context.parameters.require("id")
            guard let id = Hash(hex: text) else { throw APIError.badRequest("invalid_id", "transaction ID \"\(text)\" is not 32 hex bytes") }
            switch try chain.status(of: id) {
            case let .committed(s):
                return try json(API.TransactionStatusView(
                    id: id.hex, status: "committed", height: s.height, index: s.index, success: s.receipt.succeeded,
                    feePaid: s.receipt.feePaid.units,
                    error: s.receipt.failure.map { API.Failure(code: $0.code, message: $0.description) },
                    transaction: API.TransactionView(s.transaction)))
            case let .pending(tx):
                return try json(API.TransactionStatusView(id: id.hex, status: "pending", transaction: API.TransactionView(tx)))
            case let .rejected(reason):
                return try json(API.TransactionStatusView(id: id.hex, status: "rejected",
                                                          error: API.Failure(code: reason.code, message: reason.description)))
            case .unknown:
                throw APIError.notFound("tx_not_found", "transaction \(id) is not pending, committed or recently rejected")
            }
        }

        router.get("/api/v1/accounts/{address}") { _, context in
            let text = try context.parameters.require("address")
            guard let address = Address(text) else {
                throw APIError.badRequest("invalid_address", "\"\(text)\" is not an address (ag1 + 40 hex digits)")
            }
            let account = try chain.store.account(address)
            return try json(API.AccountView(address: address.description, balance: account.balance.units, nonce: account.nonce,
                                            nextNonce: chain.mempool.nextNonce(sender: address, committed: account.nonce),
                                            faucetClaimed: account.faucetClaimed))
        }

        router.get("/api/v1/blocks/{ref}") { _, context in
            let ref = try context.parameters.require("ref")
            let stored: BlockStore.StoredBlock?
            if ref == "latest" {
                let h = chain.snapshot.head.height
                guard h > 0 else { throw APIError.notFound("block_not_found", "no block has been produced yet") }
                stored = try chain.store.block(height: h)
            } else if ref.utf8.count == 64, let hash = Hash(hex: ref) {
                stored = try chain.store.block(hash: hash)
            } else if let height = UInt64(ref), height > 0 {
                stored = try chain.store.block(height: height)
            } else {
                throw APIError.badRequest("invalid_block_ref", "\"\(ref)\" is not a height (1, 2, …), a block hash or \"latest\"")
            }
            guard let stored else { throw APIError.notFound("block_not_found", "no block \(ref)") }
            return try json(API.BlockView(stored))
        }

        return router
    }

    static func readiness(_ deps: APIDependencies) -> API.HealthView {
        var components: [String: API.HealthView.ComponentView] = [:]
        let status = deps.producer.snapshot
        if let error = status.lastError {
            components["storage"] = .init(healthy: false, detail: "last block commit failed: \(error)")
        } else {
            components["storage"] = .init(healthy: true, detail: "writable")
        }
        if deps.createEmptyBlocks {
            let limit = deps.blockInterval * 3
            if let last = status.lastBlockAt {
                let age = ContinuousClock.now - last
                components["chain"] = age <= limit
                    ? .init(healthy: true, detail: "height \(deps.chain.snapshot.head.height)")
                    : .init(healthy: false, detail: "no block for \(age); expected one every \(deps.blockInterval)")
            } else {
                components["chain"] = .init(healthy: false, detail: "no block produced since start")
            }
        } else {
            components["chain"] = .init(healthy: true, detail: "idle until transactions arrive (empty blocks off)")
        }
        let ready = components.values.allSatisfy(\.healthy)
        return API.HealthView(status: ready ? "ready" : "not_ready", components: components)
    }

    static func admissionError(_ error: Mempool.AdmissionError, id: Hash) -> APIError {
        let message = "transaction \(id): \(error.description)"
        switch error {
        case let .rejected(r):
            switch r {
            case .malformed, .tooLarge: return APIError(.badRequest, r.code, message)
            default: return APIError(.unprocessableContent, r.code, message)
            }
        case .alreadyKnown, .replacementUnderpriced: return APIError(.conflict, error.code, message)
        case .full, .senderLimit: return APIError(.serviceUnavailable, error.code, message)
        case .stateUnavailable: return APIError(.serviceUnavailable, error.code, "transaction \(id): node state unavailable")
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): return "missing field \(key.stringValue)"
        case let DecodingError.typeMismatch(_, c): return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted: return "not valid JSON"
        case let DecodingError.valueNotFound(_, c): return "null at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "invalid body"
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
