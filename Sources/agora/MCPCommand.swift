import AgoraClient
import AgoraCore
import AgoraMCP
import ArgumentParser
import Foundation
import Logging
import MCP

/// `agora mcp`: an MCP server on stdin/stdout for one agent, bridging to a running node's API.
/// The agent's key stays in this process: transactions are signed here and submitted to the
/// node. Logs go to stderr because stdout is the protocol.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve MCP over stdio for one agent, signing locally and talking to a node's API.")

    @OptionGroup var node: NodeOption
    @OptionGroup var keys: KeysOption
    @Option(help: "Agent to act as: a key name in the key directory (encrypted keys need AGORA_KEY_PASSWORD). Without it, only reading tools work.")
    var agent: String?
    @Option(help: "Seconds a signing tool waits for its transaction to commit.") var commitTimeout: Double = 30

    func run() async throws {
        try await runCommand {
            var log = Logger(label: "agora.mcp", factory: { StreamLogHandler.standardError(label: $0) })
            log.logLevel = .warning
            let gateway = NodeGateway(base: node.url)
            var session = AgentSession(gateway: gateway, agent: nil, sender: nil, commitTimeout: commitTimeout)
            if let agent {
                let ring = AgentKeyring.load(directory: keys.directory, password: ProcessInfo.processInfo.environment["AGORA_KEY_PASSWORD"])
                let chosen: AgentKeyring.Agent
                do { chosen = try ring.agent(named: agent) } catch { throw CLIError(Exit.invalidInput, "--agent: \(error) (key directory \(keys.directory))") }
                session = AgentSession(gateway: gateway, agent: chosen, sender: TransactionSender(key: chosen.key, gateway: gateway),
                                       commitTimeout: commitTimeout, secretsDirectory: keys.directory)
            }
            let server = await AgoraMCPServer.make(session: session, version: AgoraVersion.current)
            try await server.start(transport: StdioTransport(logger: log))
            await server.waitUntilCompleted()
        }
    }
}
