import AgoraAPI
import AgoraAPIModels
import AgoraClient
import AgoraCore
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

    static func envelope(_ method: String, id: Int = 7, version: String = "2026-07-28", params: String = "") -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":{\#(params)"_meta":{"io.modelcontextprotocol/protocolVersion":"\#(version)","io.modelcontextprotocol/clientCapabilities":{}}}}"#
    }

    static func envelopeHeaders(_ method: String, version: String = "2026-07-28") -> [String: String] {
        ["MCP-Protocol-Version": version, "Mcp-Method": method]
    }

    @Test func serverDiscoverWithoutASessionAnswersThe2026Revision() async {
        let (status, _, body) = await post(router(), Self.envelope("server/discover"), headers: Self.envelopeHeaders("server/discover"))
        #expect(status == 200)
        let result = body?["result"] as? [String: Any]
        #expect((result?["supportedVersions"] as? [String])?.contains("2026-07-28") == true)
        #expect((result?["supportedVersions"] as? [String])?.contains("2025-11-25") == true)
        #expect(result?["resultType"] as? String == "complete")
        #expect(result?["cacheScope"] as? String == "public")
        #expect(body?["id"] as? Int == 7)
    }

    @Test func toolsListWithoutASessionCarriesEveryOutputSchemaAndCachingHints() async {
        let (status, _, body) = await post(router(), Self.envelope("tools/list"), headers: Self.envelopeHeaders("tools/list"))
        #expect(status == 200)
        let result = body?["result"] as? [String: Any]
        let tools = result?["tools"] as? [[String: Any]] ?? []
        #expect(tools.count == ToolCatalog.tools.count)
        #expect(tools.allSatisfy { $0["outputSchema"] != nil && $0["title"] != nil })
        #expect(result?["ttlMs"] as? Int != nil)
    }

    @Test func anUnknownRevisionGetsUnsupportedProtocolVersionNamingTheServedOnes() async {
        let (status, _, body) = await post(router(), Self.envelope("server/discover", version: "2099-01-01"),
                                           headers: Self.envelopeHeaders("server/discover", version: "2099-01-01"))
        #expect(status == 400)
        let error = body?["error"] as? [String: Any]
        #expect(error?["code"] as? Int == -32022)
        let data = error?["data"] as? [String: Any]
        #expect((data?["supported"] as? [String])?.contains("2026-07-28") == true)
        #expect(data?["requested"] as? String == "2099-01-01")
    }

    @Test func anEnvelopeWhoseHeadersDisagreeIsAHeaderMismatch() async {
        let (status, _, body) = await post(router(), Self.envelope("tools/list"), headers: Self.envelopeHeaders("server/discover"))
        #expect(status == 400)
        #expect((body?["error"] as? [String: Any])?["code"] as? Int == -32020)
    }

    @Test func listenStreamsAreCapped() async {
        var settings = MCPSessionRouter.Configuration()
        settings.maxListenStreams = 0
        let r = MCPSessionRouter(keyring: AgentKeyring(agents: [Self.alice], unavailable: [:]), configuration: settings, version: "test",
                                 logger: Logger(label: "test")) { NodeGateway(base: "http://127.0.0.1:9") }
        let listen = Self.envelope("subscriptions/listen", params: #""notifications":{"resourceSubscriptions":[]},"#)
        let (status, _, body) = await post(r, listen, headers: Self.envelopeHeaders("subscriptions/listen"))
        #expect(status == 503)
        #expect(((body?["error"] as? [String: Any])?["message"] as? String)?.contains("listen streams") == true)
    }

    @Test func discoverWithoutTheEnvelopeIsInvalidParams() async {
        let (status, _, body) = await post(router(), #"{"jsonrpc":"2.0","id":7,"method":"server/discover","params":{}}"#)
        #expect(status == 400)
        #expect((body?["error"] as? [String: Any])?["code"] as? Int == -32602)
    }

    @Test func anUnknownMethodWithoutASessionIsMethodNotFound() async {
        let (status, _, body) = await post(router(), #"{"jsonrpc":"2.0","id":7,"method":"nothing/here","params":{}}"#)
        #expect(status == 404)
        #expect((body?["error"] as? [String: Any])?["code"] as? Int == -32601)
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

    @Test func withAgentTokensARequestNeedsOneAndATokenActsOnlyAsItsAgent() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcp-tokens-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tokens = MCPAgentTokens(dataDirectory: dir)
        let alice = try tokens.create(agent: "alice").token
        let bob = try tokens.create(agent: "bob").token
        let mode = try FileManager.default.attributesOfItem(atPath: tokens.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: tokens.path, encoding: .utf8).contains(alice) == false)
        var settings = MCPSessionRouter.Configuration()
        settings.agentTokens = tokens
        let r = MCPSessionRouter(keyring: AgentKeyring(agents: [Self.alice], unavailable: [:]), configuration: settings, version: "test",
                                 logger: Logger(label: "test")) { NodeGateway(base: "http://127.0.0.1:9") }
        let (missing, missingHeaders, _) = await post(r, Self.initialize)
        #expect(missing == 401)
        #expect(missingHeaders["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
        let (wrong, wrongHeaders, _) = await post(r, Self.initialize, headers: ["Authorization": "Bearer agora_mcp_" + String(repeating: "0", count: 64)])
        #expect(wrong == 401)
        #expect(wrongHeaders["WWW-Authenticate"]?.contains("invalid_token") == true)
        let (foreign, foreignHeaders, body) = await post(r, Self.initialize, query: ["agent": "alice"], headers: ["Authorization": "Bearer " + bob])
        #expect(foreign == 403)
        #expect(foreignHeaders["WWW-Authenticate"]?.contains("insufficient_scope") == true)
        #expect(((body?["error"] as? [String: Any])?["message"] as? String)?.contains("bob") == true)
        let (own, ownHeaders, _) = await post(r, Self.initialize, headers: ["Authorization": "Bearer " + alice])
        #expect(own == 200)
        let session = try #require(ownHeaders.first { $0.key.lowercased() == "mcp-session-id" }?.value)
        let (cross, _, _) = await post(r, #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#, session: session, headers: ["Authorization": "Bearer " + bob])
        #expect(cross == 403)
        try tokens.revoke(name: "alice")
        let (revoked, _, _) = await post(r, Self.initialize, headers: ["Authorization": "Bearer " + alice])
        #expect(revoked == 401)
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
        let h = try #require(Hash(hex: id))
        #expect(try LedgerResources.parse("agora://groups/\(id)") == .group(h))
        #expect(try LedgerResources.parse("agora://threads/\(id)") == .thread(h))
        #expect(try LedgerResources.parse("agora://groups/\(id)/claims") == .groupClaims(h, afterHeight: nil))
        #expect(try LedgerResources.parse("agora://groups/\(id)/claims?afterHeight=12") == .groupClaims(h, afterHeight: 12))
        let address = MCPSessionRouterTests.alice.key.address
        #expect(try LedgerResources.parse("agora://agents/\(address)/proposals") == .proposals(address))
        for bad in ["agora://groups/xyz", "http://groups/\(id)", "agora://people/\(id)", "agora://groups/\(id)/x",
                    "agora://groups/\(id)/claims?since=1", "agora://agents/nobody/proposals", "agora://threads/\(id)?afterHeight=1"] {
            #expect(throws: MCPError.self, "\(bad)") { try LedgerResources.parse(bad) }
        }
    }
}
