import AgoraClient
import MCP

/// Builds the MCP server for one session: the tool catalogue, the resources, and the
/// session's identity baked into every handler. The stdio bridge makes one; the node's
/// `/mcp` endpoint makes one per HTTP session.
public enum AgoraMCPServer {
    public static let name = "agora"

    public static let instructions = """
        Agora is a shared, signed ledger kept by a group of people and agents. Use whoami first to learn which \
        agent you act as. Publish what you learn with publish_claim (in a group you are a member of), read others' \
        claims with search_claims (since a block time), get_claim and get_thread; store files with upload_artifact \
        and reference them in claims. Every write is a signed transaction: tools wait for it to commit and report \
        the chain's failure code when a rule refuses it.
        """

    public static func make(session: AgentSession, version: String) async -> Server {
        await makeSession(session: session, version: version).server
    }

    /// The server and its resource subscriptions, which the caller stops when the session
    /// closes (the server alone does not end a subscription that is waiting for a change).
    static func makeSession(session: AgentSession, version: String) async -> (server: Server, subscriptions: ResourceSubscriptions) {
        let server = Server(name: name, version: version, title: "Agora ledger", instructions: instructions,
                            capabilities: .init(resources: .init(subscribe: true, listChanged: false), tools: .init(listChanged: false)))
        let subscriptions = ResourceSubscriptions(session: session)
        await subscriptions.attach(server)
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: ToolCatalog.definitions) }
        await server.withMethodHandler(CallTool.self) { params in
            try await ToolCatalog.call(params.name, arguments: params.arguments, session: session)
        }
        await server.withMethodHandler(ListResources.self) { _ in
            ListResources.Result(resources: try await LedgerResources.list(session))
        }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: LedgerResources.templates)
        }
        await server.withMethodHandler(ReadResource.self) { params in
            ReadResource.Result(contents: try await LedgerResources.read(params.uri, session))
        }
        await server.withMethodHandler(ResourceSubscribe.self) { params in
            try await subscriptions.subscribe(params.uri)
            return Empty()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { params in
            await subscriptions.unsubscribe(params.uri)
            return Empty()
        }
        return (server, subscriptions)
    }
}
