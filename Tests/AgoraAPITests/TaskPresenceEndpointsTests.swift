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
import Synchronization
import Testing

/// The tasks and presence endpoints over a real chain: task lists filtered by group, state and
/// assignee with paging, one task with its result, typed errors for bad filters and IDs, and
/// presence heartbeats posted, refused with typed 400s and listed per group.
@Suite("API: tasks and presence")
struct TaskPresenceEndpointsTests {
    /// Alice creates a group with bob as a member and three tasks: one bob completes, one bob
    /// fails, one left pending.
    struct Fixture {
        let h: APIHarness
        let bob = SigningKey()
        let group: Hash
        let done: Hash, failed: Hash, open: Hash

        init() throws {
            h = try APIHarness()
            group = LedgerID.group(creator: h.alice.address, nonce: 0)
            done = LedgerID.task(creator: h.alice.address, nonce: 3)
            failed = LedgerID.task(creator: h.alice.address, nonce: 4)
            open = LedgerID.task(creator: h.alice.address, nonce: 5)
            let artifact = ArtifactRef(sha256: Hash.sha256([1]), size: 42)
            let alice: [Payload] = [
                .createGroup(name: "lab", policy: .none),
                .addGroupMember(group: group, member: bob.address, role: .member),
                .transfer(to: bob.address, amount: Amount(100)!, memo: ""),
                .createTask(TaskSpec(group: group, title: "write the summary", description: "200 words", reward: Amount(30)!, deadline: 1_000_000)),
                .createTask(TaskSpec(group: group, title: "fix the build")),
                .createTask(TaskSpec(group: group, title: "later", artifacts: [artifact])),
                .assignTask(task: done, assignee: bob.address),
                .assignTask(task: failed, assignee: bob.address),
            ]
            for (i, p) in alice.enumerated() { try submit(h.alice, UInt64(i), p) }
            try h.chain.produceBlock(now: 2_000)
            let bobs: [Payload] = [
                .startTask(task: done), .completeTask(task: done, result: TaskResult(text: "summary attached", artifacts: [artifact])),
                .startTask(task: failed), .failTask(task: failed, reason: "no access"),
            ]
            for (i, p) in bobs.enumerated() { try submit(bob, UInt64(i), p) }
            try h.chain.produceBlock(now: 3_000)
        }

        func submit(_ key: SigningKey, _ nonce: UInt64, _ p: Payload) throws {
            try h.chain.submit(key.sign(TransactionBody(chainID: "api-test", sender: key.publicKey, nonce: nonce, fee: Amount(1)!,
                                                        expiresAt: 100, payload: p)))
        }
    }

    func body<T: Encodable>(_ value: T) -> ByteBuffer { ByteBuffer(data: try! JSONEncoder().encode(value)) }

    @Test("GET /tasks filters by group, state and assignee and pages; /tasks/{id} shows the result")
    func tasks() async throws {
        let f = try Fixture()
        try await f.h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/tasks?group=\(f.group.hex)", method: .get) { r in
                #expect(r.status == .ok)
                let page = try decode(API.ListView<API.TaskView>.self, r.body)
                #expect(page.items.map(\.id) == [f.done.hex, f.failed.hex, f.open.hex], "creation order")
                #expect(page.items.map(\.state) == ["completed", "failed", "pending"])
                #expect(page.items[0].reward == 30 && page.items[0].deadline == 1_000_000 && page.items[0].overdue == false)
                #expect(page.items[2].assignee == nil && page.items[2].artifacts.map(\.size) == [42])
            }
            try await client.execute(uri: "/api/v1/tasks?state=pending", method: .get) { r in
                let page = try decode(API.ListView<API.TaskView>.self, r.body)
                #expect(page.items.map(\.id) == [f.open.hex])
            }
            try await client.execute(uri: "/api/v1/tasks?assignee=\(f.bob.address)&state=failed", method: .get) { r in
                let page = try decode(API.ListView<API.TaskView>.self, r.body)
                #expect(page.items.map(\.id) == [f.failed.hex])
                #expect(page.items.first?.failReason == "no access")
            }
            try await client.execute(uri: "/api/v1/tasks?limit=2", method: .get) { r in
                let page = try decode(API.ListView<API.TaskView>.self, r.body)
                #expect(page.items.count == 2)
                let cursor = try #require(page.nextCursor)
                try await client.execute(uri: "/api/v1/tasks?limit=2&cursor=\(cursor)", method: .get) { r in
                    let next = try decode(API.ListView<API.TaskView>.self, r.body)
                    #expect(next.items.map(\.id) == [f.open.hex])
                    #expect(next.nextCursor == nil)
                }
            }
            try await client.execute(uri: "/api/v1/tasks/\(f.done.hex)", method: .get) { r in
                #expect(r.status == .ok)
                let t = try decode(API.TaskView.self, r.body)
                #expect(t.state == "completed" && t.assignee == f.bob.address.description && t.creator == f.h.alice.address.description)
                #expect(t.result?.text == "summary attached" && t.result?.artifacts.map(\.size) == [42])
                #expect(t.createdTime == 2_000 && t.updatedTime == 3_000 && t.height == 1)
            }
            // The optional fields are present and null, as the schema requires.
            try await client.execute(uri: "/api/v1/tasks/\(f.open.hex)", method: .get) { r in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
                for key in ["assignee", "deadline", "result", "failReason"] { #expect(json?[key] is NSNull, "\(key)") }
            }
            let bad: [(String, HTTPResponse.Status, String)] = [
                ("/api/v1/tasks?state=done", .badRequest, "invalid_state"),
                ("/api/v1/tasks?group=zz", .badRequest, "invalid_id"),
                ("/api/v1/tasks?group=\(Hash.sha256([9]).hex)", .notFound, "group_not_found"),
                ("/api/v1/tasks?assignee=bob", .badRequest, "invalid_address"),
                ("/api/v1/tasks?cursor=x", .badRequest, "invalid_cursor"),
                ("/api/v1/tasks/\(Hash.sha256([9]).hex)", .notFound, "task_not_found"),
                ("/api/v1/tasks/nothex", .badRequest, "invalid_id"),
            ]
            for (uri, status, code) in bad {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == status, "\(uri)")
                    #expect(String(buffer: r.body).contains("\"code\":\"\(code)\""), "\(uri)")
                }
            }
        }
        // Escrow and payouts through the executor: bob got the reward, the failed task refunded nothing (no reward).
        let bobBalance = try Bank.account(StateOverlay(base: f.h.chain.queries.state), f.bob.address).balance.units
        #expect(bobBalance == 100 + 30 - 4)
    }

    @Test("POST /presence accepts a member's heartbeat, refuses others with typed 400s, GET lists who is online")
    func presence() async throws {
        let f = try Fixture()
        let clock = Mutex<UInt64>(1_000_000)
        let presence = Presence(chain: f.h.chain, clock: { clock.withLock { $0 } })
        var deps = f.h.deps
        deps.presence = presence
        let app = Application(router: APIRoutes.router(deps))
        @Sendable func hex(_ key: SigningKey, _ time: UInt64, chain: String = "api-test") -> String {
            Hex.encode(key.sign(Heartbeat(group: f.group, member: key.publicKey, time: time, status: "reading"), chainID: chain).canonicalBytes)
        }
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/presence", method: .post, body: body(API.HeartbeatRequest(heartbeat: hex(f.bob, 1_000_000)))) { r in
                #expect(r.status == .accepted)
                let a = try decode(API.HeartbeatResponse.self, r.body)
                #expect(a.status == "accepted" && a.member == f.bob.address.description)
            }
            let refused: [(String, String)] = [
                (hex(f.bob, 1_005_000, chain: "other"), "bad_signature"),
                (hex(SigningKey(), 1_000_000), "not_group_member"),
                (hex(f.h.alice, 900_000), "heartbeat_too_old"),
                (hex(f.h.alice, 1_100_000), "heartbeat_from_future"),
                (hex(f.bob, 999_000), "heartbeat_not_newer"),
                ("zz", "invalid_hex"),
                ("00", "malformed_heartbeat"),
            ]
            for (beat, code) in refused {
                try await client.execute(uri: "/api/v1/presence", method: .post, body: body(API.HeartbeatRequest(heartbeat: beat))) { r in
                    #expect(r.status == .badRequest, "\(code)")
                    #expect(String(buffer: r.body).contains("\"code\":\"\(code)\""), "\(code)")
                }
            }
            try await client.execute(uri: "/api/v1/presence", method: .post, body: ByteBuffer(string: "{\"heartbeat\":\"00\",\"x\":1}")) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/presence", method: .get) { r in
                #expect(r.status == .ok)
                let view = try decode(API.GroupPresenceView.self, r.body)
                #expect(view.online == 1 && view.intervalMs == 10_000 && view.staleAfterMs == 30_000)
                #expect(view.members.map(\.address) == [f.bob.address.description] && view.members.first?.status == "reading")
            }
            clock.withLock { $0 += 30_001 }
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/presence", method: .get) { r in
                let view = try decode(API.GroupPresenceView.self, r.body)
                #expect(view.online == 0 && view.members.first?.state == "stale")
            }
            try await client.execute(uri: "/api/v1/groups/\(Hash.sha256([9]).hex)/presence", method: .get) { r in
                #expect(r.status == .notFound)
            }
        }
        // Without a presence service the routes say so with a 503, never a 5xx crash.
        try await f.h.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/groups/\(f.group.hex)/presence", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body).contains("presence_unavailable"))
            }
        }
    }
}
