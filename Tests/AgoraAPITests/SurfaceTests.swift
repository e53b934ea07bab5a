import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("API surface")
struct SurfaceTests {
    @Test("lists page with limit and cursor until nextCursor is null")
    func paging() async throws {
        let h = try APIHarness()
        let bob = SigningKey().address
        for n in 0..<5 {
            try h.chain.submit(h.transfer(UInt64(n), to: bob))
            try h.chain.produceBlock(now: 2_000 + UInt64(n))
        }
        try h.chain.submit(h.transfer(5, to: bob))
        try await h.app.test(.router) { client in
            var heights: [UInt64] = []
            var cursor: String?
            repeat {
                let uri = "/api/v1/blocks?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                try await client.execute(uri: uri, method: .get) { r in
                    let page = try decode(API.ListView<API.BlockSummaryView>.self, r.body)
                    heights += page.items.map(\.height)
                    cursor = page.nextCursor
                }
            } while cursor != nil
            #expect(heights == [5, 4, 3, 2, 1])

            var ids: [String] = []
            cursor = nil
            repeat {
                let uri = "/api/v1/transactions?limit=3&account=\(h.alice.address)" + (cursor.map { "&cursor=\($0)" } ?? "")
                try await client.execute(uri: uri, method: .get) { r in
                    let page = try decode(API.ListView<API.TransactionStatusView>.self, r.body)
                    ids += page.items.map(\.id)
                    cursor = page.nextCursor
                }
            } while cursor != nil
            #expect(ids == (0..<5).reversed().map { h.transfer(UInt64($0), to: bob).id.hex })

            try await client.execute(uri: "/api/v1/transactions?account=\(bob)", method: .get) { r in
                let page = try decode(API.ListView<API.TransactionStatusView>.self, r.body)
                #expect(page.items.isEmpty)
            }
            try await client.execute(uri: "/api/v1/accounts?limit=500", method: .get) { r in
                let page = try decode(API.ListView<API.AccountView>.self, r.body)
                #expect(Set(page.items.map(\.address)).isSuperset(of: [h.alice.address.description, bob.description]))
                #expect(page.nextCursor == nil)
            }
            try await client.execute(uri: "/api/v1/mempool", method: .get) { r in
                let page = try decode(API.ListView<API.TransactionView>.self, r.body)
                #expect(page.items.map(\.nonce) == [5])
            }
            for bad in ["/api/v1/blocks?limit=0", "/api/v1/blocks?limit=501", "/api/v1/blocks?limit=x", "/api/v1/blocks?cursor=-4",
                        "/api/v1/transactions?account=nope", "/api/v1/accounts?cursor=zz", "/api/v1/mempool?cursor=abc"] {
                try await client.execute(uri: bad, method: .get) { r in #expect(r.status == .badRequest, "\(bad)") }
            }
        }
    }

    @Test("admin endpoints need a live token; every attempt is audited; revocation is immediate")
    func adminAuth() async throws {
        let h = try APIHarness()
        let token = try h.tokens.create(name: "ops")
        try h.chain.submit(h.transfer(0, to: SigningKey().address))
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/admin/mempool/flush", method: .post) { r in
                #expect(r.status == .unauthorized)
                let decoded = try decode(ErrorBody.self, r.body)
                #expect(decoded.code == "admin_token_required")
            }
            try await client.execute(uri: "/api/v1/admin/mempool/flush", method: .post,
                                     headers: [.authorization: "Bearer agora_" + String(repeating: "0", count: 64)]) { r in
                let e = try decode(ErrorBody.self, r.body)
                #expect(e.code == "invalid_admin_token")
            }
            try await client.execute(uri: "/api/v1/admin/mempool/flush", method: .post, headers: [.authorization: "Bearer \(token)"]) { r in
                #expect(r.status == .ok)
                let decoded = try decode(API.FlushView.self, r.body)
                #expect(decoded.dropped == 1)
            }
            try await client.execute(uri: "/api/v1/admin/log-level", method: .put, headers: [.authorization: "Bearer \(token)"],
                                     body: ByteBuffer(string: #"{"level": "loud"}"#)) { r in
                let e = try decode(ErrorBody.self, r.body)
                #expect(e.code == "invalid_level")
            }
            try h.tokens.revoke(name: "ops")
            try await client.execute(uri: "/api/v1/admin/tokens", method: .get, headers: [.authorization: "Bearer \(token)"]) { r in
                #expect(r.status == .unauthorized)
            }
        }
        let audit = try String(contentsOfFile: h.deps.audit.path, encoding: .utf8).split(separator: "\n")
        #expect(audit.count == 5)
        #expect(audit.filter { $0.contains("\"result\":\"denied\"") }.count == 3)
        #expect(audit.contains { $0.contains("mempool\\/flush") && $0.contains("\"token\":\"ops\"") && $0.contains("\"result\":\"ok\"") })
        #expect(!audit.contains { $0.contains(token) }, "the token itself is never written")
    }

    @Test("metrics expose chain, mempool, API and process figures in Prometheus text")
    func metrics() async throws {
        let h = try APIHarness()
        try h.chain.submit(h.transfer(0, to: SigningKey().address))
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/status", method: .get) { _ in }
            try await client.execute(uri: "/api/v1/transactions/zz", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: r.body)
                for name in ["agora_mempool_transactions 1", "agora_api_requests_total{method=\"GET\",route=\"/api/v1/status\",status=\"200\"} 1",
                             "agora_api_requests_total{method=\"GET\",route=\"/api/v1/transactions/{id}\",status=\"400\"} 1",
                             "agora_api_request_duration_seconds_bucket", "process_resident_memory_bytes", "process_open_fds",
                             "agora_storage_bytes"] {
                    #expect(text.contains(name), "missing \(name)")
                }
            }
        }
    }

    @Test("CORS allows only exact listed origins")
    func cors() async throws {
        let h = try APIHarness()
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/status", method: .get, headers: [.origin: "https://app.example"]) { r in
                #expect(r.headers[.accessControlAllowOrigin] == "https://app.example")
            }
            for other in ["https://evil.example", "https://app.example.evil", "http://app.example", "null"] {
                try await client.execute(uri: "/api/v1/status", method: .get, headers: [.origin: other]) { r in
                    #expect(r.headers[.accessControlAllowOrigin] == nil, "\(other)")
                }
                try await client.execute(uri: "/api/v1/transactions", method: .options, headers: [.origin: other]) { r in
                    #expect(r.status == .forbidden, "\(other)")
                }
            }
            try await client.execute(uri: "/api/v1/transactions", method: .options, headers: [.origin: "https://app.example"]) { r in
                #expect(r.status == .noContent)
            }
        }
    }

    @Test("over its rate a client gets 429 with Retry-After; health stays reachable")
    func rateLimit() async throws {
        // A burst of 3 that refills slowly: a loaded machine cannot earn a token back mid-test.
        let h = try APIHarness(rate: 0.01, burst: 3)
        try await h.app.test(.router) { client in
            for _ in 0..<3 { try await client.execute(uri: "/api/v1/status", method: .get) { r in #expect(r.status == .ok) } }
            try await client.execute(uri: "/api/v1/status", method: .get) { r in
                #expect(r.status == .tooManyRequests)
                #expect(Int(r.headers[.retryAfter] ?? "") ?? 0 >= 1)
                let decoded = try decode(ErrorBody.self, r.body)
                #expect(decoded.code == "rate_limited")
            }
            try await client.execute(uri: "/health/live", method: .get) { r in #expect(r.status == .ok) }
        }
    }

    @Test("the OpenAPI document lists exactly the routes the server has, and each route is served")
    func openAPIMatchesRoutes() async throws {
        let h = try APIHarness()
        try await h.app.test(.router) { client in
            var documented: Set<String> = []
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { r in
                let doc = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                #expect(doc["openapi"] as? String == "3.1.0")
                for (path, item) in doc["paths"] as! [String: [String: Any]] {
                    for method in item.keys where ["get", "head", "post", "put", "delete", "patch"].contains(method) {
                        documented.insert("\(method.uppercased()) \(path)")
                    }
                }
            }
            let served = Set(APIRoutes.routeTable.map { "\($0.method) \($0.path)" })
            #expect(documented == served, "undocumented: \(served.subtracting(documented)); not served: \(documented.subtracting(served))")
            // Every route in the table answers with something other than "no such route".
            for (method, path) in APIRoutes.routeTable {
                let uri = path.replacingOccurrences(of: "{ref}", with: "1").replacingOccurrences(of: "{id}", with: Hash.zero.hex)
                    .replacingOccurrences(of: "{address}", with: h.alice.address.description)
                try await client.execute(uri: uri, method: .init(rawValue: method)!) { r in
                    #expect((try? decode(ErrorBody.self, r.body))?.code != "not_found", "\(method) \(path) is not routed")
                }
            }
        }
    }
}
