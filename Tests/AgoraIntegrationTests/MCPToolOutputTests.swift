import AgoraClient
import AgoraSimulation
import AgoraCrypto
import Foundation
import MCP
import Testing
@testable import AgoraMCP

/// Every MCP tool, called the way an agent would against a real `agora dev` node, returns a
/// `structuredContent` that conforms to the output schema its declaration shows clients. A tool
/// added to the catalogue must get a representative call here (or an exemption saying where
/// its success is checked): the last expectation names any tool that has neither.
@Suite("MCP tool outputs", .serialized)
struct MCPToolOutputTests {
    /// Tools whose success needs a setup this test does not build, and where it is checked.
    static let exempt: [String: String] = [
        "accept_settlement": "needs a mediator's proposal: Tests/e2e/test_intents.py accepts one and checks the schema",
        "challenge_settlement": "needs an accepted settlement: Tests/e2e/test_intents.py",
        "market_dispute": "succeeds only against a seller who delivered a wrong key; called here for its refusal",
        "get_gov_proposal": "needs a chain with governance (agora dev has none); called here for its refusal, Tests/e2e/test_governance.py reads proposals over the API",
        "vote_gov_proposal": "needs a bonded validator on a governance chain; called here for its refusal (governance_disabled)",
    ]

    final class Run: @unchecked Sendable {
        var checked: Set<String> = []
        var failures: [String] = []

        /// Calls `name` and holds its successful result to the tool's output schema.
        @discardableResult
        func ok(_ name: String, _ args: [String: Value], _ session: AgentSession) async throws -> [String: Value] {
            let tool = try #require(ToolCatalog.byName[name], "\(name) is not in the catalogue")
            let result = try await ToolCatalog.call(name, arguments: args, session: session)
            guard result.isError != true, case let .object(out)? = result.structuredContent else {
                failures.append("\(name) failed: \(result.structuredContent.map(ToolCatalog.render) ?? "-")")
                return [:]
            }
            let violations = SchemaConformance.violations(.object(out), tool.output.schema)
            if !violations.isEmpty { failures.append("\(name): \(violations.prefix(5).joined(separator: "; "))") }
            checked.insert(name)
            return out
        }
    }

    static func text(_ o: [String: Value], _ key: String) -> String {
        if case let .string(s)? = o[key] { return s }
        return ""
    }

    @Test("every tool's result for a representative call conforms to its declared outputSchema")
    func everyToolsResultConformsToItsSchema() async throws {
        let dir = try temporaryDirectory("mcp-outputs")
        let node = try AgoraProcess(["dev", "--data-dir", dir + "/data", "--http", "127.0.0.1:0", "--block-interval-ms", "100",
                                     "--log-level", "warning"], logDir: dir)
        let url = try await node.apiURL()
        let gateway = NodeGateway(base: url)
        let dev = try AgentKeyring.load(directory: dir + "/data/keys", password: nil).agent(named: "dev")
        let bobAgent = AgentKeyring.Agent(name: "bob", key: SigningKey())
        for sub in ["/alice", "/bob"] { try FileManager.default.createDirectory(atPath: dir + sub, withIntermediateDirectories: true) }
        let alice = AgentSession(gateway: gateway, agent: dev, sender: TransactionSender(key: dev.key, gateway: gateway), secretsDirectory: dir + "/alice")
        let bob = AgentSession(gateway: gateway, agent: bobAgent, sender: TransactionSender(key: bobAgent.key, gateway: gateway),
                               secretsDirectory: dir + "/bob")
        let run = Run()
        let a = try await run.ok("whoami", [:], alice)
        try await run.ok("transfer", ["to": .string(bobAgent.key.address.description), "amount": 100_000, "memo": "start"], alice)
        try await run.ok("get_balance", [:], bob)
        try await ledgerCalls(run, alice: alice, bob: bob, aliceAddress: Self.text(a, "address"), bobAddress: bobAgent.key.address.description)
        let missing = ToolCatalog.tools.map(\.definition.name).filter { !run.checked.contains($0) && Self.exempt[$0] == nil }
        #expect(missing.isEmpty, "tools without a representative call here: \(missing)")
        #expect(run.failures.isEmpty, "\(run.failures.joined(separator: "\n"))")
        node.signal(SIGTERM)
        _ = try? await node.wait(timeout: 30)
    }

    func ledgerCalls(_ run: Run, alice: AgentSession, bob: AgentSession, aliceAddress: String, bobAddress: String) async throws {
        let group = Self.text(try await run.ok("create_group", ["name": "outputs"], alice), "group")
        try await run.ok("add_group_member", ["group": .string(group), "member": .string(bobAddress), "role": "member"], alice)
        try await run.ok("list_groups", [:], bob)
        try await run.ok("get_group", ["group": .string(group)], bob)
        let art = try await run.ok("upload_artifact", ["content": "measurements\n"], alice)
        let claim = Self.text(try await run.ok("publish_claim", ["group": .string(group), "text": "a finding", "tags": ["x"],
                                                                 "artifacts": [.object(["sha256": art["sha256"] ?? .null, "size": art["size"] ?? .null])]], alice), "claim")
        try await run.ok("publish_claim", ["group": .string(group), "text": "confirmed", "parent": .string(claim)], bob)
        try await run.ok("search_claims", ["group": .string(group), "since": 0], bob)
        try await run.ok("get_claim", ["claim": .string(claim)], bob)
        try await run.ok("get_thread", ["claim": .string(claim)], bob)
        try await run.ok("fetch_artifact", ["sha256": art["sha256"] ?? .null], bob)
        try await run.ok("compile_context", ["group": .string(group), "query": "finding confirmed", "budget": 500], bob)
        let wrong = Self.text(try await run.ok("publish_claim", ["group": .string(group), "text": "a mistake"], bob), "claim")
        try await run.ok("retract_claim", ["claim": .string(wrong), "reason": "measured wrongly"], bob)
        try await taskCalls(run, alice: alice, bob: bob, group: group, bobAddress: bobAddress)
        try await run.ok("heartbeat", ["group": .string(group), "status": "testing"], alice)
        try await run.ok("get_presence", ["group": .string(group)], bob)
        try await marketCalls(run, alice: alice, bob: bob, aliceAddress: aliceAddress)
        let intent = Self.text(try await run.ok("post_intent", ["group": .string(group), "kind": "offer", "text": "Proofreading",
                                                                "terms": "asset=proofreading price=10..20"], alice), "intent")
        #expect(!intent.isEmpty)
        try await run.ok("get_intent", ["intent": .string(intent)], bob)
        try await run.ok("list_my_intents", [:], alice)
        try await run.ok("list_proposals", ["status": "all"], alice)
    }

    func taskCalls(_ run: Run, alice: AgentSession, bob: AgentSession, group: String, bobAddress: String) async throws {
        let task = Self.text(try await run.ok("create_task", ["group": .string(group), "title": "summarise", "reward": 50], alice), "task")
        let other = Self.text(try await run.ok("create_task", ["group": .string(group), "title": "review"], alice), "task")
        try await run.ok("list_tasks", ["group": .string(group)], bob)
        try await run.ok("get_task", ["task": .string(task)], bob)
        try await run.ok("take_task", ["task": .string(task)], bob)
        try await run.ok("assign_task", ["task": .string(other), "assignee": .string(bobAddress)], alice)
        try await run.ok("update_task", ["task": .string(task), "action": "start"], bob)
        try await run.ok("update_task", ["task": .string(task), "action": "complete", "result": "done"], bob)
    }

    func marketCalls(_ run: Run, alice: AgentSession, bob: AgentSession, aliceAddress: String) async throws {
        let offer = Self.text(try await run.ok("market_offer", ["content": "the recipe", "title": "recipe", "price": 100, "bond": 10,
                                                                "deliveryWindowMs": 60_000, "disputeWindowMs": 60_000], alice), "offer")
        try await run.ok("list_offers", ["seller": .string(aliceAddress)], bob)
        try await run.ok("get_offer", ["offer": .string(offer)], bob)
        let purchase = Self.text(try await run.ok("market_buy", ["offer": .string(offer)], bob), "purchase")
        try await run.ok("list_purchases", ["role": "buyer"], bob)
        try await run.ok("market_deliver", ["purchase": .string(purchase)], alice)
        try await run.ok("market_receive", ["purchase": .string(purchase), "waitSeconds": 30], bob)
        let refused = try await ToolCatalog.call("market_dispute", arguments: ["purchase": .string(purchase)], session: bob)
        #expect(refused.isError == true)
        try await governanceCalls(run, alice: alice)
    }

    func governanceCalls(_ run: Run, alice: AgentSession) async throws {
        try await run.ok("list_gov_proposals", [:], alice)
        let missing = try await ToolCatalog.call("get_gov_proposal", arguments: ["proposal": 1], session: alice)
        #expect(missing.isError == true)
        let vote = try await ToolCatalog.call("vote_gov_proposal", arguments: ["proposal": 1, "option": "yes"], session: alice)
        #expect(vote.isError == true)
        #expect(ToolCatalog.render(vote.structuredContent ?? .null).contains("governance_disabled"))
    }
}
