import AgoraAPIModels
import AgoraClient
import AgoraCore

/// The light client an MCP session checks its reads with, when the session was given a trust
/// root (`agora mcp --genesis FILE`, or `--trust-height` with `--trust-hash`): every read of
/// an account, claim, offer, task or intent asks the node for the record's state proof
/// (`?prove=true`) and is returned only if the proof leads to the `stateRoot` of a header this
/// client verified from its root (docs/light-client.md). The node's own `/mcp` has none: a node
/// answering about itself has no independent root to check against, so its reads say
/// `verified: false` and attach the proof on request for the agent's client to check.
///
/// One per session (shared by its concurrent calls): what it has verified speeds up later
/// questions. Calls may interleave at the suspension points; each works on a copy of the client
/// and the last one to finish stores its copy — every copy holds only verified headers.
public actor StateVerifier {
    private var client: LightClient
    private let source: any LightBlockSource

    public init(client: LightClient, source: any LightBlockSource) {
        self.client = client
        self.source = source
    }

    /// Verifies a node's state answer about `key` (the key the tool derived from what it was
    /// asked, so an answer about another record is refused).
    public func verify(_ view: API.StateProofView, key: [UInt8]) async throws(LightClientError) -> VerifiedState {
        let answer = try StateAnswer(view: view)
        var working = client
        let verified = try await working.verify(answer, askedKey: key, source: source)
        client = working
        return verified
    }

    /// The height of the highest header verified so far (the root's when none).
    public var highestVerified: UInt64 { client.verified.keys.max() ?? client.rootHeight }
}
