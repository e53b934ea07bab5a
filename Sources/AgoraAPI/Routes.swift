import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraP2P
import AgoraState
import AgoraStorage
import Foundation
import Hummingbird
import Logging
import Prometheus

/// Limits at the API edge. Defaults are safe; the node passes its configuration.
public struct APILimits: Sendable {
    public var maxBodyBytes = 256 * 1024
    public var requestTimeout = Duration.seconds(10)
    public var rateLimitPerSecond = 500.0
    public var rateLimitBurst = 1000.0
    public var corsOrigins: [String] = []
    public var eventsMaxConnections = 1_000
    public var eventsMaxPerIP = 32
    public var eventsMaxMessageBytes = 64 * 1024
    public var eventsMessagesPerSecond = 10.0
    public var eventsBurst = 20.0
    public var eventsOrigins: [String] = []
    public init() {}
}

/// Everything the API serves from.
public struct APIDependencies: Sendable {
    public var chain: Chain
    public var health: HealthRegistry
    public var metrics: NodeMetrics
    public var registry: PrometheusCollectorRegistry?
    public var tokens: AdminTokens
    public var audit: AuditLog
    public var limits: APILimits
    public var version: String
    public var logLevel: @Sendable () -> String
    public var setLogLevel: @Sendable (String) -> Bool
    public var peers: @Sendable () -> [PeerService.PeerInfo]
    /// Where consensus stands (nil in tests that run no consensus).
    public var consensus: @Sendable () -> ConsensusService.Status? = { nil }
    /// The artifact store and its upload registry (nil: the artifact routes answer 503).
    public var artifacts: ArtifactDependencies?
    /// The MCP streamable-HTTP endpoint at `/mcp` (nil: not served).
    public var mcp: (any MCPEndpoint)?
    /// Presence heartbeats (nil: the presence routes answer 503).
    public var presence: Presence?
    /// The state snapshots this node stores (`GET /api/v1/snapshots`).
    public var snapshots: @Sendable () -> [SnapshotManifest] = { [] }
    /// The per-height bytes of state proof answers (`GET /api/v1/proofs/state`).
    public var proofAnswers = ProofAnswerCache()

    public init(chain: Chain, health: HealthRegistry, metrics: NodeMetrics = .disabled, registry: PrometheusCollectorRegistry? = nil,
                tokens: AdminTokens, audit: AuditLog, limits: APILimits = APILimits(), version: String,
                peers: @escaping @Sendable () -> [PeerService.PeerInfo] = { [] },
                consensus: @escaping @Sendable () -> ConsensusService.Status? = { nil },
                logLevel: @escaping @Sendable () -> String = { "info" }, setLogLevel: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.chain = chain
        self.health = health
        self.metrics = metrics
        self.registry = registry
        self.tokens = tokens
        self.audit = audit
        self.limits = limits
        self.version = version
        self.consensus = consensus
        self.logLevel = logLevel
        self.setLogLevel = setLogLevel
        self.peers = peers
    }
}

/// API v1: routes, middleware order and the JSON each returns. docs/api.md and the OpenAPI
/// document (`/api/v1/openapi.json`) describe exactly these routes; a test compares them.
public enum APIRoutes {
    /// Every route this router serves, for the OpenAPI comparison test.
    public static let routeTable: [(method: String, path: String)] = [
        ("GET", "/health"), ("GET", "/health/live"), ("GET", "/health/ready"), ("GET", "/metrics"), ("GET", "/admin"),
        ("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/status"), ("GET", "/api/v1/events"), ("GET", "/api/v1/snapshots"),
        ("GET", "/api/v1/blocks"), ("GET", "/api/v1/blocks/{ref}"),
        ("POST", "/api/v1/transactions"), ("POST", "/api/v1/transactions/batch"), ("GET", "/api/v1/transactions"), ("GET", "/api/v1/transactions/{id}"),
        ("GET", "/api/v1/accounts"), ("GET", "/api/v1/accounts/{address}"), ("GET", "/api/v1/mempool"), ("GET", "/api/v1/peers"),
        ("GET", "/api/v1/validators"), ("GET", "/api/v1/consensus"),
        ("GET", "/api/v1/groups"), ("GET", "/api/v1/groups/{id}"), ("GET", "/api/v1/groups/{id}/members"),
        ("GET", "/api/v1/groups/{id}/claims"), ("GET", "/api/v1/groups/{id}/context"), ("GET", "/api/v1/claims/{id}"),
        ("GET", "/api/v1/claims/{id}/thread"),
        ("GET", "/api/v1/admin/tokens"), ("POST", "/api/v1/admin/mempool/flush"), ("GET", "/api/v1/admin/log-level"),
        ("PUT", "/api/v1/admin/log-level"), ("GET", "/api/v1/admin/audit"),
    ] + lightClientRouteTable + proofRouteTable + artifactRouteTable + taskRouteTable + presenceRouteTable + marketRouteTable + intentRouteTable + governanceRouteTable

    public static func router(_ deps: APIDependencies) -> Router<AgoraRequestContext> {
        let router = Router(context: AgoraRequestContext.self)
        // Middleware applies to routes registered after it: add all of it first.
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: CORSAllowlistMiddleware(origins: Set(deps.limits.corsOrigins)))
        router.add(middleware: MetricsMiddleware(metrics: deps.metrics))
        router.add(middleware: ErrorMiddleware())
        let limiter = RateLimiter(rate: deps.limits.rateLimitPerSecond, burst: deps.limits.rateLimitBurst)
        router.add(middleware: RateLimitMiddleware(limiter: limiter, metrics: deps.metrics))

        addHealthRoutes(router, deps)
        addChainRoutes(router, deps)
        addTransactionBatchRoute(router, deps, limiter: limiter)
        addStakingRoutes(router, deps)
        addLightClientRoutes(router, deps)
        addGroupRoutes(router, deps)
        addTaskRoutes(router, deps)
        addPresenceRoutes(router, deps)
        addMarketRoutes(router, deps)
        addIntentRoutes(router, deps)
        addGovernanceRoutes(router, deps)
        addAdminRoutes(router, deps)
        addArtifactRoutes(router, deps)
        addMCPRoutes(router, deps)
        router.get("/api/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPI.document)))
        }
        router.get("/admin") { _, _ in
            var r = Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                             body: .init(byteBuffer: ByteBuffer(string: AdminPage.html)))
            r.headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:"
            r.headers[.init("X-Frame-Options")!] = "DENY"
            return r
        }
        router.get("/api/v1/events") { _, _ -> Response in
            throw APIError(.upgradeRequired, "upgrade_required", "GET /api/v1/events is a WebSocket: send Upgrade: websocket")
        }
        return router
    }

    // MARK: Health and metrics

    static func addHealthRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        router.get("/health/live") { _, _ in try json(API.HealthView(status: "live", components: [:])) }
        router.get("/health/ready") { _, _ in
            let view = await healthView(deps)
            return try json(view, status: view.status == "ready" ? .ok : .serviceUnavailable)
        }
        router.get("/health") { _, _ in
            let view = await healthView(deps)
            return try json(view, status: view.status == "ready" ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            deps.metrics.sampleProcess()
            deps.metrics.storageBytes.record(deps.chain.queries.storageBytes)
            deps.metrics.storageCorrupt.record(deps.chain.queries.storageCorruption == nil ? 0 : 1)
            deps.metrics.mempoolTransactions.record(deps.chain.queries.pendingCount)
            deps.metrics.mempoolBytes.record(deps.chain.queries.pendingBytes)
            let text = NodeMetrics.withHelp(deps.registry?.emitToString() ?? "")
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    static func healthView(_ deps: APIDependencies) async -> API.HealthView {
        let results = await deps.health.run()
        let components = results.mapValues { API.HealthView.ComponentView(healthy: $0.healthy, detail: $0.detail) }
        return API.HealthView(status: components.values.allSatisfy(\.healthy) ? "ready" : "not_ready", components: components)
    }

    // MARK: Chain

    static func addChainRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        addStatusRoutes(router, deps)
        addTransactionRoutes(router, deps)
        addAccountRoutes(router, deps)
        addNodeRoutes(router, deps)
        addBlockRoutes(router, deps)
        addProofRoutes(router, deps)
    }

    /// `/status`: the head, this node's role, the mempool's size and the bank parameters.
    static func addStatusRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/status") { _, _ in
            let tip = chain.snapshot
            let p = tip.params
            return try json(API.StatusView(
                chainID: chain.identity.chainID, genesisHash: chain.identity.genesisHash.hex, height: tip.head.height,
                headHash: tip.head.hash.hex, headTime: tip.head.timestamp, stateRoot: tip.head.stateRoot.hex,
                // This node's validator address while its key is in the next height's set; empty
                // on a node that only follows.
                validator: chain.isValidator ? chain.nodeAddress.description : "",
                mempool: .init(count: chain.queries.pendingCount, bytes: chain.queries.pendingBytes, ready: chain.queries.readyCount,
                               queued: chain.queries.queuedCount, readyBound: chain.queries.readyBound),
                params: .init(treasury: p.treasury.description, transferFeeBps: p.transferFeeBps, minFee: p.minFee.units,
                              faucetAmount: p.faucetAmount.units, maxTotalSupply: p.maxTotalSupply.units,
                              maxAccountBalance: p.maxAccountBalance.units, blockReward: p.blockReward.units,
                              totalSupply: tip.supply.units),
                version: deps.version, earliestHeight: try chain.queries.earliestHeight()))
        }
        router.get("/api/v1/snapshots") { _, _ in
            try json(API.SnapshotListView(items: deps.snapshots().map(API.SnapshotView.init)))
        }
    }

    /// Submitting a transaction, committed transactions (newest first) and one transaction's status.
    static func addTransactionRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.post("/api/v1/transactions") { request, context in
            let submit = try await decodeBody(API.SubmitRequest.self, request, limit: deps.limits.maxBodyBytes,
                                              timeout: deps.limits.requestTimeout, allowedKeys: ["tx"], hint: "body must be {\"tx\": \"<hex>\"}")
            guard let raw = Hex.decode(submit.tx) else { throw APIError.badRequest("invalid_hex", "tx is not hex") }
            let tx: Transaction
            do { tx = try Transaction(bytes: raw) } catch {
                deps.metrics.rejected("malformed")
                throw APIError.badRequest("malformed_transaction", "tx does not decode: \(error)")
            }
            let correlationID = context.requestID ?? context.id
            let admitted: Mempool.Admitted
            do throws(Mempool.AdmissionError) {
                admitted = try chain.submit(tx, correlationID: correlationID)
            } catch {
                throw admissionError(error, id: tx.id)
            }
            context.logger.info("transaction admitted", metadata: ["tx": .string(tx.id.hex)])
            let status: String
            var replaced: String?
            switch admitted {
            case .ready: status = "pending"
            case .queued: status = "queued"
            case let .replaced(old): status = "pending"; replaced = old.hex
            }
            return try json(API.SubmitResponse(id: tx.id.hex, status: status, replaced: replaced), status: .accepted)
        }

        router.get("/api/v1/transactions") { request, _ in
            let page = try Page(request)
            var sender: Address?
            if let a = request.uri.queryParameters["account"] {
                sender = try APIError.address(a, field: "account")
            }
            let rows = try chain.queries.transactions(sender: sender, before: try page.int64Cursor(), limit: page.limit)
            return try json(API.ListView(items: rows.map { committedView($0.1) },
                                         nextCursor: rows.count == page.limit ? rows.last.map { String($0.position) } : nil))
        }

        router.get("/api/v1/transactions/{id}") { _, context in
            let text = try context.parameters.require("id")
            guard let id = Hash(hex: text) else { throw APIError.badRequest("invalid_id", "transaction ID \"\(text)\" is not 32 hex bytes") }
            switch try chain.status(of: id) {
            case let .committed(s): return try json(committedView(s))
            case let .pending(tx):
                return try json(API.TransactionStatusView(id: id.hex, status: "pending", transaction: API.TransactionView(tx)))
            case let .rejected(reason):
                return try json(API.TransactionStatusView(id: id.hex, status: "rejected",
                                                          error: API.Failure(code: reason.code, message: reason.description)))
            case let .evicted(reason):
                return try json(API.TransactionStatusView(id: id.hex, status: "evicted",
                                                          error: API.Failure(code: reason.code, message: reason.description)))
            case .unknown:
                // A pruned node cannot tell an old transaction from one that never was: an ID
                // holds no height. It says what it can: nothing below its earliest height is here.
                let earliest = try chain.queries.earliestHeight()
                if earliest > 1 {
                    throw APIError.pruned("transaction \(id) is not pending or stored here: this node keeps transactions from height \(earliest) on"
                                          + " (pruning); an older one is pruned, ask an archive node", earliest: earliest)
                }
                throw APIError.notFound("tx_not_found", "transaction \(id) is not pending, committed or recently rejected")
            }
        }
    }

    /// Accounts in address order and one account, with the next nonce counting pending transactions.
    static func addAccountRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/accounts") { request, _ in
            let page = try Page(request)
            var after: Address?
            if let c = page.cursor {
                guard let a = Address(c) else { throw APIError.badRequest("invalid_cursor", "cursor \"\(c)\" is not one this endpoint returned") }
                after = a
            }
            let rows = try chain.queries.accounts(after: after, limit: page.limit)
            let items = rows.map { address, account in
                API.AccountView(address: address.description, balance: account.balance.units, nonce: account.nonce,
                                nextNonce: chain.queries.nextNonce(sender: address, committed: account.nonce),
                                faucetClaimed: account.faucetClaimed)
            }
            return try json(API.ListView(items: items, nextCursor: rows.count == page.limit ? rows.last.map { $0.0.description } : nil))
        }

        router.get("/api/v1/accounts/{address}") { request, context in
            let text = try context.parameters.require("address")
            let address = try APIError.address(text, field: "address")
            let prove = try wantsProof(request)
            let account = try chain.account(address)
            var view = API.AccountView(address: address.description, balance: account.balance.units, nonce: account.nonce,
                                       nextNonce: chain.queries.nextNonce(sender: address, committed: account.nonce),
                                       faucetClaimed: account.faucetClaimed)
            if prove { view.proof = try stateProof(deps, BankKeys.account(address)) }
            return try json(view)
        }
    }

    /// This node's peers, consensus progress and mempool.
    static func addNodeRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/peers") { _, _ in
            try json(API.ListView(items: deps.peers(), nextCursor: nil))
        }

        router.get("/api/v1/consensus") { _, _ in
            let head = chain.snapshot.head.height
            let best = deps.peers().map(\.height).max() ?? 0
            let s = deps.consensus()
            return try json(API.ConsensusView(
                height: s?.height ?? head + 1, round: s?.round ?? 0, step: s?.step.description ?? "propose",
                validator: s?.validator?.address.description, headHeight: head, bestPeerHeight: best,
                catchingUp: best > head + ConsensusHealth.maxLag,
                lastCommitAgeMs: s?.lastCommitAt.map { at in
                    let age = ContinuousClock.now - at
                    return UInt64(age.components.seconds) * 1000 + UInt64(age.components.attoseconds / 1_000_000_000_000_000)
                },
                lastError: s?.lastError))
        }

        router.get("/api/v1/mempool") { request, _ in
            let page = try Page(request)
            let rows = chain.queries.pending(after: try page.uint64Cursor(), limit: page.limit)
            return try json(API.ListView(items: rows.map { API.TransactionView($0.tx) },
                                         nextCursor: rows.count == page.limit ? rows.last.map { String($0.seq) } : nil))
        }
    }

    /// Blocks, newest first, and one block by height, hash or `latest`.
    static func addBlockRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/blocks") { request, _ in
            let page = try Page(request)
            let rows = try chain.queries.blocks(before: try page.uint64Cursor(), limit: page.limit)
            let items = rows.map { API.BlockSummaryView(header: $0.header, transactionCount: $0.transactionCount) }
            return try json(API.ListView(items: items, nextCursor: rows.count == page.limit ? rows.last.map { String($0.header.height) } : nil))
        }

        router.get("/api/v1/blocks/{ref}") { _, context in
            let ref = try context.parameters.require("ref")
            let stored: BlockStore.StoredBlock?
            if ref == "latest" {
                let h = chain.snapshot.head.height
                guard h > 0 else { throw APIError.notFound("block_not_found", "no block has been produced yet") }
                stored = try chain.queries.block(height: h)
            } else if ref.utf8.count == 64, let hash = Hash(hex: ref) {
                stored = try chain.queries.block(hash: hash)
            } else if ref.utf8.count <= 20, ref.allSatisfy(\.isASCII), let height = UInt64(ref), height > 0 {
                stored = try chain.queries.block(height: height)
            } else {
                throw APIError.badRequest("invalid_block_ref", "\"\(ref)\" is not a height (1, 2, …), a block hash or \"latest\"")
            }
            guard let stored else { throw APIError.notFound("block_not_found", "no block \(ref)") }
            return try json(API.BlockView(stored))
        }
    }

    /// Methods served on a concrete path, for 405 answers (`{x}` in a template matches one segment).
    static func allowedMethods(path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let matching = routeTable.filter { route in
            let template = route.path.split(separator: "/", omittingEmptySubsequences: false)
            return template.count == parts.count && zip(template, parts).allSatisfy { t, p in t.hasPrefix("{") || t == p }
        }
        // A literal segment beats a parameter, as in the router: `/artifacts/uploads` is the
        // uploads route, not `/artifacts/{sha256}` with the ID "uploads".
        func literals(_ p: String) -> Int { p.split(separator: "/").filter { !$0.hasPrefix("{") }.count }
        let best = matching.map { literals($0.path) }.max() ?? 0
        return matching.filter { literals($0.path) == best }.map(\.method)
    }

    static func committedView(_ s: BlockStore.StoredTransaction) -> API.TransactionStatusView {
        API.TransactionStatusView(
            id: s.transaction.id.hex, status: "committed", height: s.height, index: s.index, success: s.receipt.succeeded,
            feePaid: s.receipt.feePaid.units, error: s.receipt.failure.map { API.Failure(code: $0.code, message: $0.description) },
            transaction: API.TransactionView(s.transaction))
    }

    // MARK: Admin

    static func addAdminRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let admin = router.group("/api/v1/admin").add(middleware: AdminAuthMiddleware(tokens: deps.tokens, audit: deps.audit))
        admin.get("/tokens") { _, _ in
            let list = try deps.tokens.list().map { API.TokenView(name: $0.name, createdAt: $0.createdAt) }
            return try json(API.ListView(items: list, nextCursor: nil))
        }
        admin.post("/mempool/flush") { _, context in
            let n = deps.chain.flushMempool()
            context.logger.notice("mempool flushed by admin", metadata: ["admin": .string(context.adminName ?? "?"), "dropped": .stringConvertible(n)])
            return try json(API.FlushView(dropped: n))
        }
        admin.get("/log-level") { _, _ in try json(API.LogLevelView(level: deps.logLevel())) }
        admin.put("/log-level") { request, context in
            let body = try await decodeBody(API.LogLevelView.self, request, limit: 4096, timeout: deps.limits.requestTimeout, allowedKeys: ["level"],
                                            hint: "body must be {\"level\": \"debug\"}")
            guard deps.setLogLevel(body.level) else {
                throw APIError.badRequest("invalid_level", "\"\(body.level)\": use trace, debug, info, notice, warning, error or critical")
            }
            context.logger.notice("log level changed", metadata: ["admin": .string(context.adminName ?? "?"), "level": .string(body.level)])
            return try json(API.LogLevelView(level: deps.logLevel()))
        }
        admin.get("/audit") { request, _ in
            let page = try Page(request)
            return try json(API.ListView(items: deps.audit.recent(limit: page.limit), nextCursor: nil))
        }
    }

    // MARK: Helpers

    /// `limit` (1…500, default 50) and an opaque `cursor` from a previous page's `nextCursor`.
    struct Page {
        let limit: Int
        let cursor: String?

        init(_ request: Request) throws {
            let q = request.uri.queryParameters
            if let l = q["limit"] {
                guard let n = Int(String(l)), (1...500).contains(n) else {
                    throw APIError.badRequest("invalid_limit", "limit \"\(l)\" must be an integer from 1 to 500")
                }
                limit = n
            } else {
                limit = 50
            }
            // An empty cursor is the first page.
            cursor = q["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        }

        func int64Cursor() throws -> Int64? {
            guard let c = cursor else { return nil }
            guard let v = Int64(c), v >= 0 else { throw APIError.badRequest("invalid_cursor", "cursor \"\(c)\" is not one this endpoint returned") }
            return v
        }

        func uint64Cursor() throws -> UInt64? {
            guard let c = cursor else { return nil }
            guard let v = UInt64(c), v <= UInt64(Int64.max) else { throw APIError.badRequest("invalid_cursor", "cursor \"\(c)\" is not one this endpoint returned") }
            return v
        }
    }

    enum BodyOutcome: Sendable { case body(ByteBuffer), tooLarge, timedOut }

    /// Reads the body within `limit` bytes and `timeout`: a client that drips its body slowly
    /// gets 408 instead of holding the handler (handlers themselves do bounded work).
    static func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int, timeout: Duration, allowedKeys: Set<String>,
                                         hint: String) async throws -> T {
        let requestBody = request.body
        let outcome = await withTaskGroup(of: BodyOutcome.self) { group in
            group.addTask {
                do { return .body(try await requestBody.collect(upTo: limit)) } catch { return .tooLarge }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
        let body: ByteBuffer
        switch outcome {
        case let .body(b): body = b
        case .tooLarge: throw APIError(.contentTooLarge, "body_too_large", "request body exceeds \(limit) bytes")
        case .timedOut: throw APIError(.requestTimeout, "request_timeout", "request body not received within \(timeout)")
        }
        let data = Data(buffer: body)
        let value: T
        do { value = try JSONDecoder().decode(T.self, from: data) } catch {
            throw APIError.badRequest("invalid_json", "\(hint): \(describe(error))")
        }
        // Request bodies are strict: a field this version does not know is an error, not ignored.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let unknown = Set(object.keys).subtracting(allowedKeys)
            if let first = unknown.sorted().first {
                throw APIError.badRequest("unknown_field", "\(hint): unknown field \"\(first.prefix(64))\"")
            }
        }
        return value
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
        case .full: return APIError(.serviceUnavailable, error.code, message)
        case .stateUnavailable: return APIError(.serviceUnavailable, error.code, "transaction \(id): node state unavailable")
        case .expiryTooFar: return APIError(.unprocessableContent, error.code, message)
        // Load, not the transaction: answered at once with when to come back (docs/mempool.md).
        case let .busy(_, _, seconds): return APIError(.serviceUnavailable, error.code, message).retrying(after: seconds)
        case let .queuedLimit(_, _, seconds), let .senderPendingLimit(_, _, seconds):
            return APIError(.tooManyRequests, error.code, message).retrying(after: seconds)
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
