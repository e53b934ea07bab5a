import AgoraClient
import AgoraCore
import AgoraMCP
import ArgumentParser
import Foundation
import Logging
import MCP

/// `agora mcp`: the stdio server (its default subcommand, so `agora mcp --node URL --agent NAME`
/// serves) and the per-agent tokens of a node's `/mcp` (`agora mcp token …`).
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "MCP for agents: serve over stdio (default), or manage a node's per-agent /mcp tokens.",
        subcommands: [MCPServeCommand.self, MCPTokenCommand.self], defaultSubcommand: MCPServeCommand.self)
}

/// `agora mcp [serve]`: an MCP server on stdin/stdout for one agent, bridging to a running node's
/// API. The agent's key stays in this process: transactions are signed here and submitted to the
/// node. Logs go to stderr because stdout is the protocol. With a trust root (`--genesis`, or
/// `--trust-height` and `--trust-hash`) every read of an account, claim, offer, task or intent
/// is verified by the light client before the agent sees it (`verified: true`); a refusal is the
/// tool's error with the light client's code (docs/mcp.md).
struct MCPServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve MCP over stdio for one agent, signing locally and talking to a node's API; with a trust root, reads are verified.")

    @OptionGroup var node: NodeOption
    @OptionGroup var keys: KeysOption
    @Option(help: "Agent to act as: a key name in the key directory (encrypted keys need AGORA_KEY_PASSWORD). Without it, only reading tools work.")
    var agent: String?
    @Option(help: "Seconds a signing tool waits for its transaction to commit.") var commitTimeout: Double = 30
    @OptionGroup(title: "Verified reads (light client; without a trust root, reads say verified: false)") var trust: TrustOptions

    func run() async throws {
        try await runCommand {
            var log = Logger(label: "agora.mcp", factory: { StreamLogHandler.standardError(label: $0) })
            log.logLevel = .warning
            let gateway = NodeGateway(base: node.url)
            var verifier: StateVerifier?
            if trust.genesis != nil || trust.trustHeight != nil {
                // The root is checked now: a wrong genesis or trusted hash stops the server at
                // start (exit 5), not at the agent's first read.
                let light = try await LightSession.open(node: node, trust: trust)
                verifier = StateVerifier(client: light.client, source: light.source)
            }
            var session = AgentSession(gateway: gateway, agent: nil, sender: nil, commitTimeout: commitTimeout, verifier: verifier)
            if let agent {
                let ring = AgentKeyring.load(directory: keys.directory, password: ProcessInfo.processInfo.environment["AGORA_KEY_PASSWORD"])
                let chosen: AgentKeyring.Agent
                do { chosen = try ring.agent(named: agent) } catch { throw CLIError(Exit.invalidInput, "--agent: \(error) (key directory \(keys.directory))") }
                session = AgentSession(gateway: gateway, agent: chosen, sender: TransactionSender(key: chosen.key, gateway: gateway),
                                       commitTimeout: commitTimeout, secretsDirectory: keys.directory, verifier: verifier)
            }
            // Subscriptions follow the node's /api/v1/events (plain http to an IPv4 address or
            // localhost); otherwise they poll the node's height (docs/mcp.md).
            session.changes = WebSocketChanges(nodeURL: node.url)
            let server = await AgoraMCPServer.make(session: session, version: AgoraVersion.current)
            // Every revision: 2026-07-28 requests are answered in front of the SDK's server.
            try await server.start(transport: ModernStdioTransport(session: session, version: AgoraVersion.current, logger: log))
            await server.waitUntilCompleted()
        }
    }
}

/// `agora mcp token create|list|revoke`: per-agent bearer tokens for a node's `/mcp`
/// (docs/mcp.md). Only hashes are stored, in the data directory; a running node applies
/// changes at once.
struct MCPTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Per-agent bearer tokens for a node's /mcp.",
                                                    subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token that acts as one agent; it is printed once and never stored.")
        @Option(help: "Data directory of the node.") var dataDir: String
        @Option(help: "Agent the token acts as: a key name in the node's mcp.keysDir.") var agent: String
        @Option(help: "Token name (default: the agent's name).") var name: String?
        func run() async throws {
            try await runCommand {
                do {
                    let created = try MCPAgentTokens(dataDirectory: dataDir).create(agent: agent, name: name)
                    print(created.token)
                } catch let e as MCPAgentTokens.TokenError { throw CLIError(Exit.invalidInput, e.description) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens: name, agent, creation time.")
        @Option(help: "Data directory of the node.") var dataDir: String
        func run() async throws {
            try await runCommand {
                do {
                    for t in try MCPAgentTokens(dataDirectory: dataDir).list() { print("\(t.name)\t\(t.agent)\t\(t.createdAt)") }
                } catch let e as MCPAgentTokens.TokenError { throw CLIError(Exit.invalidInput, e.description) }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name; a running node refuses it at once.")
        @Option(help: "Data directory of the node.") var dataDir: String
        @Option(help: "Token name.") var name: String
        func run() async throws {
            try await runCommand {
                do {
                    try MCPAgentTokens(dataDirectory: dataDir).revoke(name: name)
                    print("revoked \(name)")
                } catch let e as MCPAgentTokens.TokenError { throw CLIError(Exit.invalidInput, e.description) }
            }
        }
    }
}
