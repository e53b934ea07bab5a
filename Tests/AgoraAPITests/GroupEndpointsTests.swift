import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import HummingbirdTesting
import Testing

@Suite("API: groups and claims")
struct GroupEndpointsTests {
    /// Alice creates a group, adds bob as an observer, publishes a root claim and a reply.
    struct Fixture {
        let h: APIHarness
        let bob = SigningKey()
        let group: Hash
        let root: Hash
        let reply: Hash
        var nonce: UInt64 = 0

        init() throws {
            h = try APIHarness()
            group = LedgerID.group(creator: h.alice.address, nonce: 0)
            root = LedgerID.claim(author: h.alice.address, nonce: 3)
            reply = LedgerID.claim(author: h.alice.address, nonce: 4)
            let payloads: [Payload] = [
                .createGroup(name: "lab", policy: .none),
                .addGroupMember(group: group, member: bob.address, role: .observer),
                .fundGroup(group: group, amount: Amount(50)!),
                .publishClaim(ClaimContent(group: group, text: "root", tags: ["ai", "rust"], parent: nil,
                                           artifacts: [ArtifactRef(sha256: Hash.sha256([1]), size: 42)])),
                .publishClaim(ClaimContent(group: group, text: "reply", tags: ["ai"], parent: root, artifacts: [])),
            ]
            for (i, p) in payloads.enumerated() {
                try h.chain.submit(h.alice.sign(TransactionBody(chainID: "api-test", sender: h.alice.publicKey, nonce: UInt64(i),
                                                                fee: Amount(1)!, expiresAt: 100, payload: p)))
            }
            try h.chain.produceBlock(now: 2_000)
        }
    }

    @Test("GET /groups and /groups/{id} show the group with policy, treasury and counts")
    func groups() async throws {
        let f = try Fixture()
        try await f.h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/groups", method: .get) { r in
                #expect(r.status == .ok)
                let page = try decode(API.ListView<API.GroupView>.self, r.body)
                #expect(page.items.map(\.id) == [f.group.hex])
                #expect(page.nextCursor == nil)
            }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)", method: .get) { r in
                let g = try decode(API.GroupView.self, r.body)
                #expect(g.name == "lab" && g.creator == f.h.alice.address.description && g.createdAt == 1)
                #expect(g.treasury == 50 && g.admins == 1 && g.members == 2 && g.claims == 2 && g.policy.claimReward == 0)
            }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/members", method: .get) { r in
                let page = try decode(API.ListView<API.MemberView>.self, r.body)
                let roles = Dictionary(uniqueKeysWithValues: page.items.map { ($0.address, $0.role) })
                #expect(roles == [f.h.alice.address.description: "admin", f.bob.address.description: "observer"])
            }
        }
    }

    @Test("GET /groups/{id}/claims filters by since, tag and author; /claims/{id} and /thread read the thread")
    func claims() async throws {
        let f = try Fixture()
        try await f.h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/claims", method: .get) { r in
                #expect(r.status == .ok)
                let page = try decode(API.ListView<API.ClaimView>.self, r.body)
                #expect(page.items.map(\.id) == [f.root.hex, f.reply.hex])
                #expect(page.items[0].artifacts.map(\.sha256) == [Hash.sha256([1]).hex] && page.items[0].artifacts.map(\.size) == [42])
                #expect(page.items[0].parent == nil && page.items[1].parent == f.root.hex && page.items[1].root == f.root.hex)
                #expect(page.items[0].time == 2_000 && page.items[0].height == 1 && page.items[0].index == 3)
            }
            // The parent key is present and null on a thread's first claim, as the schema requires.
            try await client.execute(uri: "/api/v1/claims/\(f.root.hex)", method: .get) { r in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
                #expect(json?["parent"] is NSNull)
            }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/claims?tag=%23Rust", method: .get) { r in
                let page = try decode(API.ListView<API.ClaimView>.self, r.body)
                #expect(page.items.map(\.id) == [f.root.hex])
            }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/claims?since=2001", method: .get) { r in
                let page = try decode(API.ListView<API.ClaimView>.self, r.body)
                #expect(page.items.isEmpty)
            }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/claims?author=\(f.bob.address)", method: .get) { r in
                let page = try decode(API.ListView<API.ClaimView>.self, r.body)
                #expect(page.items.isEmpty)
            }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/claims?limit=1", method: .get) { r in
                let page = try decode(API.ListView<API.ClaimView>.self, r.body)
                #expect(page.items.map(\.id) == [f.root.hex])
                let cursor = try #require(page.nextCursor)
                try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/claims?limit=1&cursor=\(cursor)", method: .get) { r in
                    let page = try decode(API.ListView<API.ClaimView>.self, r.body)
                    #expect(page.items.map(\.id) == [f.reply.hex])
                }
            }
            try await client.execute(uri: "/api/v1/claims/\(f.reply.hex)", method: .get) { r in
                let c = try decode(API.ClaimView.self, r.body)
                #expect(c.text == "reply" && c.tags == ["ai"] && c.author == f.h.alice.address.description && c.group == f.group.hex)
            }
            try await client.execute(uri: "/api/v1/claims/\(f.reply.hex)/thread", method: .get) { r in
                let page = try decode(API.ListView<API.ClaimView>.self, r.body)
                #expect(page.items.map(\.id) == [f.root.hex, f.reply.hex])
            }
        }
    }

    @Test("GET /groups/{id}/context ranks claims for a query within the budget; a retraction hides a claim from lists and context, not from /claims/{id}")
    func contextAndRetraction() async throws {
        let f = try Fixture()
        try await f.h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/context?q=Rust%20reply&budget=100", method: .get) { r in
                #expect(r.status == .ok)
                let c = try decode(API.ContextView.self, r.body)
                #expect(c.height == 1 && c.words == ["rust", "reply"] && c.budget == 100 && c.documents == 2)
                #expect(Set(c.items.map(\.claim)) == [f.root.hex, f.reply.hex] && c.tokens <= 100)
                #expect(c.items.allSatisfy { $0.author == f.h.alice.address.description && $0.height == 1 && $0.score > 0 })
            }
        }
        try f.h.chain.submit(f.h.alice.sign(TransactionBody(chainID: "api-test", sender: f.h.alice.publicKey, nonce: 5, fee: Amount(1)!,
                                                            expiresAt: 100, payload: .retractClaim(claim: f.reply, reason: "duplicate"))))
        try f.h.chain.produceBlock(now: 3_000)
        try await f.h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/claims", method: .get) { r in
                let ids = try decode(API.ListView<API.ClaimView>.self, r.body).items.map(\.id)
                #expect(ids == [f.root.hex])
            }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/claims?includeRetracted=true", method: .get) { r in
                let items = try decode(API.ListView<API.ClaimView>.self, r.body).items
                #expect(items.map(\.id) == [f.root.hex, f.reply.hex])
                #expect(items[0].retracted == nil && items[1].retracted == .init(height: 2, reason: "duplicate"))
            }
            try await client.execute(uri: "/api/v1/claims/\(f.reply.hex)", method: .get) { r in
                let claim = try decode(API.ClaimView.self, r.body)
                #expect(claim.retracted?.reason == "duplicate")
            }
            try await client.execute(uri: "/api/v1/claims/\(f.root.hex)/thread", method: .get) { r in
                let ids = try decode(API.ListView<API.ClaimView>.self, r.body).items.map(\.id)
                #expect(ids == [f.root.hex])
            }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/context?q=reply", method: .get) { r in
                let c = try decode(API.ContextView.self, r.body)
                #expect(c.height == 2 && c.items.isEmpty && c.documents == 1)
            }
        }
    }

    @Test("bad IDs, addresses, tags, since and cursors are 400 with a code; unknown groups and claims are 404")
    func badInput() async throws {
        let f = try Fixture()
        let missing = Hash.sha256([9]).hex
        let cases: [(String, Int, String)] = [
            ("/api/v1/groups/xyz", 400, "invalid_id"),
            ("/api/v1/groups/\(missing)", 404, "group_not_found"),
            ("/api/v1/groups/\(missing)/members", 404, "group_not_found"),
            ("/api/v1/groups/\(missing)/claims", 404, "group_not_found"),
            ("/api/v1/groups?cursor=zz", 400, "invalid_cursor"),
            ("/api/v1/groups/\(f.group.hex)/members?cursor=ag1zz", 400, "invalid_cursor"),
            ("/api/v1/groups/\(f.group.hex)/claims?since=-1", 400, "invalid_since"),
            ("/api/v1/groups/\(f.group.hex)/claims?author=bob", 400, "invalid_address"),
            ("/api/v1/groups/\(f.group.hex)/claims?tag=a%20b", 400, "invalid_tag"),
            ("/api/v1/groups/\(f.group.hex)/claims?cursor=abc", 400, "invalid_cursor"),
            ("/api/v1/groups/\(f.group.hex)/claims?limit=0", 400, "invalid_limit"),
            ("/api/v1/claims/12", 400, "invalid_id"),
            ("/api/v1/claims/\(missing)", 404, "claim_not_found"),
            ("/api/v1/claims/\(missing)/thread", 404, "claim_not_found"),
            ("/api/v1/groups/\(f.group.hex)/claims?includeRetracted=yes", 400, "invalid_include_retracted"),
            ("/api/v1/groups/\(missing)/context?q=rust", 404, "group_not_found"),
            ("/api/v1/groups/\(f.group.hex)/context", 400, "invalid_query"),
            ("/api/v1/groups/\(f.group.hex)/context?q=the%20and%20of", 400, "invalid_query"),
            ("/api/v1/groups/\(f.group.hex)/context?q=\(String(repeating: "a", count: 1_025))", 400, "invalid_query"),
            ("/api/v1/groups/\(f.group.hex)/context?q=rust&budget=15", 400, "invalid_budget"),
            ("/api/v1/groups/\(f.group.hex)/context?q=rust&budget=lots", 400, "invalid_budget"),
            ("/api/v1/groups/\(f.group.hex)/context?q=rust&thread=xyz", 400, "invalid_thread"),
        ]
        try await f.h.app.test(.router) { client in
            for (uri, status, code) in cases {
                try await client.execute(uri: uri, method: .get) { r in
                    let error = try decode(ErrorBody.self, r.body)
                    #expect(Int(r.status.code) == status, "\(uri)")
                    #expect(error.code == code, "\(uri)")
                }
            }
        }
    }

    @Test("a committed claim renders its payload; a refused publish shows its typed failure")
    func payloadViews() async throws {
        let f = try Fixture()
        let tx = f.bob.sign(TransactionBody(chainID: "api-test", sender: f.bob.publicKey, nonce: 0, fee: .zero, expiresAt: 100,
                                            payload: .publishClaim(ClaimContent(group: f.group, text: "hi", tags: [], parent: nil, artifacts: []))))
        // Bob has no funds and fee 0 is under the minimum: he is refused before execution.
        #expect(throws: Mempool.AdmissionError.self) { try f.h.chain.submit(tx) }
        let claimTx = f.h.alice.sign(TransactionBody(chainID: "api-test", sender: f.h.alice.publicKey, nonce: 5, fee: Amount(1)!, expiresAt: 100,
                                                     payload: .removeGroupMember(group: f.group, member: f.h.alice.address)))
        try f.h.chain.submit(claimTx)
        try f.h.chain.produceBlock(now: 3_000)
        try await f.h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/transactions/\(claimTx.id.hex)", method: .get) { r in
                let s = try decode(API.TransactionStatusView.self, r.body)
                #expect(s.success == false)
                #expect(s.error?.code == "last_group_admin")
                #expect(s.transaction?.payload.type == "group_remove_member")
                #expect(s.transaction?.payload.group == f.group.hex && s.transaction?.payload.member == f.h.alice.address.description)
            }
            let rootTx = try #require(try f.h.chain.queries.claim(id: f.root)).transaction
            try await client.execute(uri: "/api/v1/transactions/\(rootTx.hex)", method: .get) { r in
                let p = try #require(try decode(API.TransactionStatusView.self, r.body).transaction?.payload)
                #expect(p.type == "claim_publish" && p.text == "root" && p.tags == ["ai", "rust"] && p.parent == nil)
                #expect(p.artifacts?.first?.size == 42)
            }
        }
    }
}
