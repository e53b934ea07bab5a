import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraCrypto
import Foundation
import Synchronization

/// One MCP session's view of the ledger: the node it talks to and, when the session chose one,
/// the agent it acts as. Reads go to the node's API; writes are signed here with the agent's
/// key (the node never sees it) through a `TransactionSender`, which keeps the agent's nonces
/// in order when a client calls several tools at once. Sessions of the same agent share one
/// sender, so two sessions of one agent do not race for a nonce either.
public struct AgentSession: Sendable {
    public let gateway: NodeGateway
    public let agent: AgentKeyring.Agent?
    public let sender: TransactionSender?
    /// How long a signing tool waits for its transaction to commit.
    public var commitTimeout: Double
    /// Where the agent's market secrets live (content keys of its offers, one-time keys of its
    /// purchases): the key directory, named as `agora market` names them, so the CLI and MCP
    /// can pick up each other's sales.
    public var secrets: MarketSecrets?
    /// The light client reads are verified with (`VerifiedReads`); nil: reads say
    /// `verified: false`.
    public var verifier: StateVerifier?
    /// Where resource subscriptions learn of changes (the node's event bus, for `/mcp`); nil:
    /// they poll the node's height (`ResourceWatch`), as the stdio bridge does.
    public var changes: (any LedgerChangeSource)?

    public init(gateway: NodeGateway, agent: AgentKeyring.Agent?, sender: TransactionSender?, commitTimeout: Double = 30,
                secretsDirectory: String? = nil, verifier: StateVerifier? = nil) {
        self.gateway = gateway
        self.verifier = verifier
        self.agent = agent
        self.sender = sender
        self.commitTimeout = commitTimeout
        secrets = secretsDirectory.map(MarketSecrets.init(directory:))
    }

    func requireSecrets() throws(ToolError) -> MarketSecrets {
        guard let secrets else { throw .nodeRefused(code: "no_secret_store", message: "this session has no key directory for market secrets") }
        return secrets
    }

    func requireSender() throws(ToolError) -> TransactionSender {
        guard let sender else { throw .noIdentity }
        return sender
    }

    /// Signs, submits and waits for the transaction; returns its committed status and the
    /// nonce it used (IDs of created things derive from it).
    func commit(_ makePayload: @escaping @Sendable (_ chainID: String, _ sender: PublicKey) throws -> Payload)
        async throws -> (status: API.TransactionStatusView, transaction: Transaction) {
        let sender = try requireSender()
        let submitted = try await sender.submit(makePayload)
        let status = try await sender.outcome(of: submitted.id, timeout: commitTimeout)
        return (status, submitted.transaction)
    }

    func status() async throws -> API.StatusView { try await gateway.get("/api/v1/status", as: API.StatusView.self) }

    func chainID() async throws -> String { try await gateway.get("/api/v1/status", as: API.StatusView.self).chainID }
}

/// One sender per agent key, shared by every session that acts as it (so their nonces stay in
/// order); made when a session first acts as the agent, replaced if the name's key changed.
public final class AgentSenders: Sendable {
    private let gateway: NodeGateway
    private let senders = Mutex<[String: (key: PublicKey, sender: TransactionSender)]>([:])

    public init(gateway: NodeGateway) { self.gateway = gateway }

    public func sender(for agent: AgentKeyring.Agent) -> TransactionSender {
        senders.withLock { map in
            if let known = map[agent.name], known.key == agent.key.publicKey { return known.sender }
            let sender = TransactionSender(key: agent.key, gateway: gateway)
            map[agent.name] = (agent.key.publicKey, sender)
            return sender
        }
    }
}
