import AgoraAPI
import AgoraAPIModels
import AgoraClient
import AgoraCrypto
import Foundation
import Logging
import MCP
import Testing
@testable import AgoraMCP

/// The `/mcp` session router without a node behind it: negotiation answers, identity choice at
/// `initialize`, session routing. Tool calls against a real node are in Tests/e2e/test_mcp.py.
@Suite struct MCPSessionRouterTests {
    static let alice = AgentKeyring.Agent(name: "alice", key: SigningKey())

    func router(maxSessions: Int = 4, token: String? = nil) -> MCPSessionRouter {
        var settings = MCPSessionRouter.Configuration()
        settings.maxSessions = maxSessions
        settings.bearerToken = token
        let ring = AgentKeyring(agents: [Self.alice], unavailable: ["locked": .encryptedWithoutPassword])
        // Port 9 (discard): nothing in these tests reaches the node.
        return MCPSessionRouter(keyring: ring, configuration: settings, version: "test", logger: Logger(label: "test")) {
            NodeGateway(base: "http://127.0.0.1:9")
        }
    }

    func post(_ router: MCPSessionRouter, _ json: String, query: [String: String] = [:], session: String? = nil,
              headers extra: [String: String] = [:]) async -> (Int, [String: String], [String: Any]?) {
        var headers = ["Content-Type": "application/json", "Accept": "application/json, text/event-stream"]
        if let session { headers["Mcp-Session-Id"] = session; headers["MCP-Protocol-Version"] = "2025-06-18" }
        headers.merge(extra) { _, b in b }
        let answer = await router.handle(MCPHTTPRequest(method: "POST", headers: headers, query: query, body: Data(json.utf8)))
        switch answer {
        case let .complete(status, h, body):
            return (status, h, body.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] })
        case let .stream(status, h, events):
            var text = ""
            do { for try await e in events { text += String(decoding: e, as: UTF8.self); if text.contains("\"result\"") || text.contains("\"error\"") { break } } } catch {}
            let data = text.split(separator: "\n").first { $0.hasPrefix("data: {") }.map { Data($0.dropFirst(6).utf8) }
            return (status, h, data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] })
        }
    }

    static let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#

    @Test func anUnknownMethodWithoutASessionIsMethodNotFoundSoNewClientsFallBackToInitialize() async {
        let (status, _, body) = await post(router(), #"{"jsonrpc":"2.0","id":7,"method":"server/discover","params":{}}"#)
        #expect(status == 404)
        let error = body?["error"] as? [String: Any]
        #expect(error?["code"] as? Int == -32601)
        #expect(body?["id"] as? Int == 7)
    }

    @Test func aKnownMethodWithoutASessionAsksForOne() async {
        let (status, _, body) = await post(router(), #"{"jsonrpc":"2.0","id":"a","method":"tools/list"}"#)
        #expect(status == 400)
        #expect((body?["error"] as? [String: Any])?["code"] as? Int == -32600)
        #expect(body?["id"] as? String == "a")
    }

    @Test func aBodyThatIsNotOneJSONRPCRequestIsAParseError() async {
        for bad in ["not json", "[]", #"{"jsonrpc":"2.0","id":1}"#] {
            let (status, _, body) = await post(router(), bad)
            #expect(status == 400, "\(bad)")
            #expect((body?["error"] as? [String: Any])?["code"] as? Int == -32700, "\(bad)")
        }
    }

    @Test func initializeWithAnUnknownOrLockedAgentNamesWhatIsAvailable() async throws {
        let r = router()
        let (status, _, body) = await post(r, Self.initialize, query: ["agent": "mallory"])
        #expect(status == 400)
        let message = try #require((body?["error"] as? [String: Any])?["message"] as? String)
        #expect(message.contains("available: alice"))
        let (lockedStatus, _, lockedBody) = await post(r, Self.initialize, query: ["agent": "locked"])
        #expect(lockedStatus == 400)
        let lockedMessage = try #require((lockedBody?["error"] as? [String: Any])?["message"] as? String)
        #expect(lockedMessage.contains("encrypted"))
        #expect(await r.sessionCount == 0)
    }

    @Test func initializeOpensASessionThatLaterRequestsReachByItsID() async throws {
        let r = router()
        let (status, headers, body) = await post(r, Self.initialize, query: ["agent": "alice"])
        #expect(status == 200)
        let session = try #require(headers.first { $0.key.lowercased() == "mcp-session-id" }?.value)
        #expect((body?["result"] as? [String: Any])?["serverInfo"] != nil)
        _ = await post(r, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, session: session)
        let (listStatus, _, list) = await post(r, #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#, session: session)
        #expect(listStatus == 200)
        let tools = try #require((list?["result"] as? [String: Any])?["tools"] as? [[String: Any]])
        #expect(tools.contains { $0["name"] as? String == "publish_claim" })
        let (unknown, _, _) = await post(r, #"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#, session: "no-such-session")
        #expect(unknown == 404)
    }

    @Test func sessionsAreCapped() async {
        let r = router(maxSessions: 1)
        let (first, _, _) = await post(r, Self.initialize)
        let (second, _, body) = await post(r, Self.initialize)
        #expect(first == 200)
        #expect(second == 503)
        #expect((body?["error"] as? [String: Any])?["message"] as? String != nil)
    }

    @Test func aConfiguredTokenIsRequired() async {
        let r = router(token: "0123456789abcdef0123")
        let (without, _, _) = await post(r, Self.initialize)
        #expect(without == 401)
        let (with, _, _) = await post(r, Self.initialize, headers: ["Authorization": "Bearer 0123456789abcdef0123"])
        #expect(with == 200)
    }

    @Test func aForeignBrowserOriginIsRefused() async {
        let (status, _, _) = await post(router(), Self.initialize, headers: ["Origin": "https://evil.example"])
        #expect(status == 403)
        let (local, _, _) = await post(router(), Self.initialize, headers: ["Origin": "http://localhost:3000"])
        #expect(local == 200)
    }
}

@Suite struct ToolCatalogTests {
    @Test func everyToolHasAnObjectSchemaThatRefusesUnknownProperties() {
        for tool in ToolCatalog.definitions {
            guard case let .object(schema) = tool.inputSchema else { Issue.record("\(tool.name): schema is not an object"); continue }
            #expect(schema["type"] == "object", "\(tool.name)")
            #expect(schema["additionalProperties"] == false, "\(tool.name)")
            #expect(tool.description?.isEmpty == false, "\(tool.name)")
        }
        #expect(Set(ToolCatalog.definitions.map(\.name)).count == ToolCatalog.definitions.count)
    }

    @Test func anUnknownToolIsAProtocolErrorAndBadArgumentsAreAToolError() async throws {
        let session = AgentSession(gateway: NodeGateway(base: "http://127.0.0.1:9"), agent: nil, sender: nil)
        await #expect(throws: MCPError.self) { try await ToolCatalog.call("no_such_tool", arguments: nil, session: session) }
        let result = try await ToolCatalog.call("transfer", arguments: ["to": "x", "amount": 1], session: session)
        #expect(result.isError == true)
        guard case let .object(o)? = result.structuredContent, case let .object(e)? = o["error"] else { Issue.record("no error object"); return }
        #expect(e["code"] == "invalid_argument")
    }

    @Test func signingWithoutAnIdentityIsRefusedBeforeAnythingIsSent() async throws {
        let session = AgentSession(gateway: NodeGateway(base: "http://127.0.0.1:9"), agent: nil, sender: nil)
        let to = SigningKey().address.description
        let result = try await ToolCatalog.call("transfer", arguments: ["to": .string(to), "amount": 1], session: session)
        #expect(result.isError == true)
        guard case let .object(o)? = result.structuredContent, case let .object(e)? = o["error"] else { Issue.record("no error object"); return }
        #expect(e["code"] == "no_identity")
    }

    @Test func resourceURIsAreParsedStrictly() throws {
        let id = String(repeating: "ab", count: 32)
        #expect(try LedgerResources.parse("agora://groups/\(id)").0 == "groups")
        #expect(try LedgerResources.parse("agora://threads/\(id)").0 == "threads")
        for bad in ["agora://groups/xyz", "http://groups/\(id)", "agora://people/\(id)", "agora://groups/\(id)/x"] {
            #expect(throws: MCPError.self, "\(bad)") { try LedgerResources.parse(bad) }
        }
    }
}
