import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

/// The API over a real chain in a temporary SQLite file, driven through Hummingbird's test client.
struct APIHarness {
    let validator = SigningKey()
    let alice = SigningKey()
    let chain: Chain
    let deps: APIDependencies
    /// The chain's database (tests that prune or inspect it directly).
    let store: BlockStore

    init(faucet: UInt64 = 100, rate: Double = 10_000, burst: Double? = nil, mempool: Mempool = Mempool(),
         governance: Genesis.GovernanceConfig? = nil) throws {
        let dir = NSTemporaryDirectory() + "agora-api-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        self.store = store
        try store.initialize(try Genesis(
            chainID: "api-test", genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 4, count: 20)).description, transferFeeBps: 0, minFee: Amount(1)!,
                          faucetAmount: Amount(faucet)!, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!,
                          blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(10_000)!)], governance: governance).resolve())
        registry = PrometheusCollectorRegistry()
        let metrics = NodeMetrics(factory: PrometheusMetricsFactory(registry: registry))
        chain = try Chain(store: store, validatorKey: validator, mempool: mempool, metrics: metrics, logger: Logger(label: "api-test"))
        producer = ProducerStatus()
        let health = HealthRegistry()
        health.register(StorageHealth(chain: chain, producer: producer))
        health.register(ChainHealth(chain: chain, producer: producer, interval: .seconds(1), createEmptyBlocks: false))
        var limits = APILimits()
        limits.maxBodyBytes = 4096
        limits.rateLimitPerSecond = rate
        limits.rateLimitBurst = burst ?? rate
        limits.corsOrigins = ["https://app.example"]
        tokens = AdminTokens(path: dir + "/admin-tokens.json")
        deps = APIDependencies(chain: chain, health: health, metrics: metrics,
                               registry: registry, tokens: tokens, audit: AuditLog(path: dir + "/audit.log"), limits: limits, version: "test")
    }

    let producer: ProducerStatus
    let registry: PrometheusCollectorRegistry
    let tokens: AdminTokens

    var app: some ApplicationProtocol { Application(router: APIRoutes.router(deps)) }

    func transfer(_ nonce: UInt64, to: Address, amount: UInt64 = 10) -> Transaction {
        alice.sign(TransactionBody(chainID: "api-test", sender: alice.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: 100,
                                   payload: .transfer(to: to, amount: Amount(amount)!, memo: "hi")))
    }
}

func body<T: Encodable>(_ value: T) -> ByteBuffer { ByteBuffer(data: try! JSONEncoder().encode(value)) }
func decode<T: Decodable>(_ type: T.Type, _ buffer: ByteBuffer) throws -> T { try JSONDecoder().decode(T.self, from: Data(buffer: buffer)) }

struct ErrorBody: Decodable { let code: String; let message: String }

@Suite("API v1")
struct APITests {
    @Test("a submitted transaction is pending, then committed with its receipt, and the account reflects it")
    func submitAndQuery() async throws {
        let h = try APIHarness()
        let bob = SigningKey().address
        let tx = h.transfer(0, to: bob)
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/transactions", method: .post, body: body(API.SubmitRequest(tx: Hex.encode(tx.bytes)))) { r in
                #expect(r.status == .accepted)
                let s = try decode(API.SubmitResponse.self, r.body)
                #expect(s.id == tx.id.hex)
                #expect(s.status == "pending")
            }
            try await client.execute(uri: "/api/v1/transactions/\(tx.id.hex)", method: .get) { r in
                let decoded = try decode(API.TransactionStatusView.self, r.body)
                #expect(decoded.status == "pending")
            }
            try await client.execute(uri: "/api/v1/accounts/\(h.alice.address)", method: .get) { r in
                let a = try decode(API.AccountView.self, r.body)
                #expect(a.nonce == 0 && a.nextNonce == 1 && a.balance == 10_000)
            }
            try h.chain.produceBlock(now: 2_000)
            try await client.execute(uri: "/api/v1/transactions/\(tx.id.hex)", method: .get) { r in
                let s = try decode(API.TransactionStatusView.self, r.body)
                #expect(s.status == "committed")
                #expect(s.height == 1 && s.index == 0 && s.success == true && s.feePaid == 1)
                let payload = try #require(s.transaction?.payload)
                #expect(payload.type == "transfer" && payload.to == bob.description && payload.amount == 10 && payload.memo == "hi")
            }
            try await client.execute(uri: "/api/v1/accounts/\(bob)", method: .get) { r in
                let decoded = try decode(API.AccountView.self, r.body)
                #expect(decoded.balance == 10)
            }
            let hash = try #require(try h.chain.queries.block(height: 1)).block.hash.hex
            for ref in ["1", "latest", hash] {
                try await client.execute(uri: "/api/v1/blocks/\(ref)", method: .get) { r in
                    #expect(r.status == .ok, "block \(ref)")
                    let b = try decode(API.BlockView.self, r.body)
                    #expect(b.height == 1 && b.transactions.map(\.id) == [tx.id.hex] && b.receipts.first?.success == true)
                }
            }
            try await client.execute(uri: "/api/v1/status", method: .get) { r in
                let s = try decode(API.StatusView.self, r.body)
                #expect(s.chainID == "api-test" && s.height == 1 && s.params.totalSupply == 10_000)
            }
        }
    }

    @Test("a mistyped or old-format address is a 400 invalid_address saying what is wrong, in paths and queries")
    func addressChecksum() async throws {
        let h = try APIHarness()
        let good = SigningKey().address
        var typo = Array(good.description)
        typo[12] = typo[12] == "q" ? "p" : "q"
        let legacy = "ag1" + Hex.encode(good.bytes)
        let cases: [(String, String)] = [
            ("/api/v1/accounts/\(String(typo))", "bad checksum"),
            ("/api/v1/accounts/\(legacy)", "Bech32m"),
            ("/api/v1/transactions?account=\(String(typo))", "account \"\(String(typo))\" has a bad checksum"),
            ("/api/v1/mediators/\(legacy)", "old ag1 + 40 hex form"),
            ("/api/v1/accounts/\(good.description.uppercased().prefix(20))\(good.description.dropFirst(20))", "mixes upper and lower case"),
        ]
        try await h.app.test(.router) { client in
            for (uri, message) in cases {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .badRequest, "\(uri)")
                    let e = try decode(ErrorBody.self, r.body)
                    #expect(e.code == "invalid_address" && e.message.contains(message), "\(uri): \(e.message)")
                }
            }
            for text in [good.description, good.description.uppercased()] {
                try await client.execute(uri: "/api/v1/accounts/\(text)", method: .get) { r in
                    #expect(r.status == .ok)
                    let view = try decode(API.AccountView.self, r.body)
                    #expect(view.address == good.description)
                }
            }
        }
    }

    @Test("bad input gets the documented status and error code")
    func badInput() async throws {
        let h = try APIHarness()
        let valid = h.transfer(0, to: SigningKey().address)
        var forged = valid.signature.bytes
        forged[0] ^= 1
        let forgedTx = Transaction(body: valid.body, signature: Signature(bytes: forged)!)
        let replay = h.transfer(0, to: SigningKey().address, amount: 11)
        let cases: [(String, HTTPRequest.Method, ByteBuffer?, HTTPResponse.Status, String)] = [
            ("/api/v1/transactions", .post, ByteBuffer(string: "{not json"), .badRequest, "invalid_json"),
            ("/api/v1/transactions", .post, ByteBuffer(string: "{\"tx\": 5}"), .badRequest, "invalid_json"),
            ("/api/v1/transactions", .post, ByteBuffer(string: "{}"), .badRequest, "invalid_json"),
            ("/api/v1/transactions", .post, ByteBuffer(string: "{\"tx\": \"00\", \"fee\": 1}"), .badRequest, "unknown_field"),
            ("/api/v1/status", .delete, nil, .methodNotAllowed, "method_not_allowed"),
            ("/api/v1/transactions", .post, ByteBuffer(string: "{\"tx\": \"xyz\"}"), .badRequest, "invalid_hex"),
            ("/api/v1/transactions", .post, ByteBuffer(string: "{\"tx\": \"0001\"}"), .badRequest, "malformed_transaction"),
            ("/api/v1/transactions", .post, ByteBuffer(string: "{\"tx\": \"\(String(repeating: "00", count: 3000))\"}"), .contentTooLarge, "body_too_large"),
            ("/api/v1/transactions", .post, body(API.SubmitRequest(tx: Hex.encode(forgedTx.bytes))), .unprocessableContent, "invalid_signature"),
            ("/api/v1/transactions/zz", .get, nil, .badRequest, "invalid_id"),
            ("/api/v1/transactions/\(Hash.zero.hex)", .get, nil, .notFound, "tx_not_found"),
            ("/api/v1/accounts/ag1nothex", .get, nil, .badRequest, "invalid_address"),
            ("/api/v1/blocks/0", .get, nil, .badRequest, "invalid_block_ref"),
            ("/api/v1/blocks/-1", .get, nil, .badRequest, "invalid_block_ref"),
            ("/api/v1/blocks/99", .get, nil, .notFound, "block_not_found"),
            ("/api/v1/blocks/latest", .get, nil, .notFound, "block_not_found"),
            ("/api/v1/nowhere", .get, nil, .notFound, "not_found"),
        ]
        try await h.app.test(.router) { client in
            for (uri, method, payload, status, code) in cases {
                try await client.execute(uri: uri, method: method, body: payload) { r in
                    #expect(r.status == status, "\(method) \(uri)")
                    #expect(r.headers[.contentType] == "application/json", "\(method) \(uri)")
                    #expect((try? decode(ErrorBody.self, r.body))?.code == code, "\(method) \(uri)")
                }
            }
            // Valid once, then a duplicate and a same-nonce replacement without a fee bump.
            try await client.execute(uri: "/api/v1/transactions", method: .post, body: body(API.SubmitRequest(tx: Hex.encode(valid.bytes)))) { r in
                #expect(r.status == .accepted)
            }
            try await client.execute(uri: "/api/v1/transactions", method: .post, body: body(API.SubmitRequest(tx: Hex.encode(valid.bytes)))) { r in
                #expect(r.status == .conflict)
                let decoded = try decode(ErrorBody.self, r.body)
                #expect(decoded.code == "already_known")
            }
            try await client.execute(uri: "/api/v1/transactions", method: .post, body: body(API.SubmitRequest(tx: Hex.encode(replay.bytes)))) { r in
                #expect(r.status == .conflict)
                let decoded = try decode(ErrorBody.self, r.body)
                #expect(decoded.code == "replacement_underpriced")
            }
            try h.chain.produceBlock(now: 2_000)
            // After commit the same nonce is a replay.
            try await client.execute(uri: "/api/v1/transactions", method: .post, body: body(API.SubmitRequest(tx: Hex.encode(replay.bytes)))) { r in
                #expect(r.status == .unprocessableContent)
                let e = try decode(ErrorBody.self, r.body)
                #expect(e.code == "nonce_too_low")
                #expect(e.message.contains(replay.id.hex), "the message names the transaction")
            }
        }
    }

    @Test("liveness always answers; readiness names the failing component")
    func health() async throws {
        let h = try APIHarness()
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { r in
                #expect(r.status == .ok, "empty blocks off and nothing pending: an idle chain is ready")
            }
        }
        // With empty blocks on and no block ever produced, the chain component fails once its grace period passes.
        let health = HealthRegistry()
        health.register(ChainHealth(chain: h.chain, producer: h.producer, interval: .milliseconds(1), createEmptyBlocks: true))
        var deps = h.deps
        deps.health = health
        try await Task.sleep(for: .milliseconds(20))
        try await Application(router: APIRoutes.router(deps)).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                let view = try decode(API.HealthView.self, r.body)
                #expect(view.components["chain"]?.healthy == false)
            }
        }
    }

    @Test("the X-Request-ID of a submission is echoed back")
    func correlationID() async throws {
        let h = try APIHarness()
        let tx = h.transfer(0, to: SigningKey().address)
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/transactions", method: .post, headers: [.init("X-Request-ID")!: "req-42"],
                                     body: body(API.SubmitRequest(tx: Hex.encode(tx.bytes)))) { r in
                #expect(r.headers[.init("X-Request-ID")!] == "req-42")
            }
            try await client.execute(uri: "/api/v1/status", method: .get) { r in
                #expect(r.headers[.init("X-Request-ID")!]?.isEmpty == false, "a generated ID comes back when none was sent")
            }
        }
        #expect(h.chain.queries.correlationID(tx.id) == "req-42")
    }
}
