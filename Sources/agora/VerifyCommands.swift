import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraState
import ArgumentParser
import Foundation

/// `agora verify …`: answers checked by the light client instead of trusted from one node
/// (docs/light-client.md). The node is asked for light blocks; nothing it says is believed until
/// it verifies from the trust root the user gives. A refusal exits 5 with its typed reason.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check a node's answers with the light client (from a genesis file or a trusted header).",
                                                    subcommands: [VerifyHeader.self, VerifyProof.self])

    struct VerifyHeader: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "header",
                                                        abstract: "Verify the header at a height (or `latest`) from the trust root; prints it when its commit holds.")
        @OptionGroup var node: NodeOption
        @OptionGroup var trust: TrustOptions
        @Argument(help: "Height, or latest.") var height: String = "latest"

        func run() async throws {
            try await runCommand {
                let session = try await LightSession.open(node: node, trust: trust)
                let target = try await session.height(height)
                var client = session.client
                let block = try await LightSession.refusing { () async throws(LightClientError) -> LightBlock in
                    try await client.verify(height: target, source: session.source)
                }
                printJSON(VerifiedHeaderView(block, fetched: client.fetched, mode: client.mode.rawValue))
            }
        }
    }
}

/// Where the light client starts: a genesis file, or a height and header hash the user trusts.
struct TrustOptions: ParsableArguments {
    @Option(help: "Genesis file of the chain: trust its validator set (its hash must be the node's genesisHash).")
    var genesis: String?
    @Option(name: .customLong("trust-height"), help: "Height of a header you trust (with --trust-hash).")
    var trustHeight: UInt64?
    @Option(name: .customLong("trust-hash"), help: "Hash of the header at --trust-height.")
    var trustHash: String?
    @Option(help: "skipping (jump, bisect when the trusted set cannot vouch) or sequential (every height).")
    var mode: String = LightClient.Mode.skipping.rawValue
    @Option(name: .customLong("trusting-period"),
            help: "How long after its time a trusted header may be verified from: N with s, m, h or d (older: exit 5, trust_expired).")
    var trustingPeriod: String = "168h"
    @Option(name: .customLong("max-clock-drift"),
            help: "How far past this machine's clock a header's time may lie: N with ms, s, m or h, at most 24h (later: exit 5, header_from_future).")
    var maxClockDrift: String = ClockDrift.default.description

    var period: TrustingPeriod { TrustingPeriod(text: trustingPeriod) ?? .default }
    var drift: ClockDrift { ClockDrift(text: maxClockDrift) ?? .default }

    func validate() throws {
        guard LightClient.Mode(rawValue: mode) != nil else { throw ValidationError("--mode \(mode): use skipping or sequential") }
        guard TrustingPeriod(text: trustingPeriod) != nil else {
            throw ValidationError("--trusting-period \(trustingPeriod.prefix(40)): a number and a unit (s, m, h, d), at most 3660d, e.g. 168h")
        }
        guard ClockDrift(text: maxClockDrift) != nil else {
            throw ValidationError("--max-clock-drift \(maxClockDrift.prefix(40)): a number and a unit (ms, s, m, h), at most 24h, e.g. 10s")
        }
        switch (genesis, trustHeight, trustHash) {
        case (_?, nil, nil): return
        case (nil, let h?, let x?):
            guard h > 0 else { throw ValidationError("--trust-height must be at least 1") }
            guard x.utf8.count == 64, Hash(hex: x) != nil else { throw ValidationError("--trust-hash \(x.prefix(80)) is not a 64-character hex hash") }
        case (nil, nil, nil): return  // asked for when a command verifies (LightSession.open)
        default: throw ValidationError("give either --genesis, or both --trust-height and --trust-hash")
        }
    }
}

/// A light client bound to one node and one trust root, for one command.
struct LightSession {
    var client: LightClient
    let source: NodeLightSource
    let status: API.StatusView

    static func open(node: NodeOption, trust: TrustOptions) async throws -> LightSession {
        let status = try await node.client.get("/api/v1/status", as: API.StatusView.self)
        let source = NodeLightSource(gateway: NodeGateway(base: node.url))
        let mode = LightClient.Mode(rawValue: trust.mode) ?? .skipping
        let root: LightClient.TrustRoot
        if let path = trust.genesis {
            let resolved: Genesis.Resolved
            do { resolved = try Genesis.load(path: path).resolve() } catch { throw CLIError(.invalidInput, "--genesis \(path): \(error)") }
            guard status.genesisHash == resolved.hash.hex else {
                throw refusal(.wrongChain(expected: "\(resolved.chainID) (genesis \(resolved.hash.hex))", got: "\(status.chainID) (genesis \(status.genesisHash))", height: 0))
            }
            root = .genesis(chainID: resolved.chainID, validators: resolved.validatorSet, genesisTime: resolved.genesisTime)
        } else if let height = trust.trustHeight, let text = trust.trustHash, let hash = Hash(hex: text) {
            // The chain ID is taken from the node only to name the chain: the trusted hash covers
            // the header's chain ID, so a node lying about it fails the hash check.
            root = .header(chainID: status.chainID, height: height, hash: hash)
        } else {
            throw CLIError(.invalidInput, "give a trust root: --genesis FILE, or --trust-height H with --trust-hash X")
        }
        let client = try await refusing { () async throws(LightClientError) -> LightClient in
            try await LightClient(root: root, source: source, mode: mode, trustingPeriod: trust.period, maxClockDrift: trust.drift)
        }
        return LightSession(client: client, source: source, status: status)
    }

    /// `latest` is the node's head when asked (a lying head is caught by verification).
    func height(_ text: String) async throws -> UInt64 {
        if text == "latest" { return status.height }
        guard let h = UInt64(text), h > 0 else { throw CLIError(.invalidInput, "height \(text.prefix(40)) is not a block height (1, 2, …) or latest") }
        return h
    }

    static func refusing<T>(_ body: () async throws(LightClientError) -> T) async throws -> T {
        do { return try await body() } catch { throw refusal(error) }
    }

    static func refusal(_ error: LightClientError) -> CLIError {
        if case .unreachable = error { return CLIError(.unreachable, error.description) }
        return CLIError(.unverified, "\(error.code): \(error.description)")
    }
}

/// What `agora verify header` prints.
struct VerifiedHeaderView: Encodable {
    let verified = true
    let chainID: String
    let height: UInt64
    let hash: String
    let timestamp: UInt64
    let stateRoot: String
    let validatorSetHash: String
    let nextValidatorSetHash: String
    let signers: Int
    let mode: String
    let lightBlocksFetched: Int

    init(_ b: LightBlock, fetched: Int, mode: String) {
        chainID = b.header.chainID; height = b.height; hash = b.hash.hex; timestamp = b.header.timestamp
        stateRoot = b.header.stateRoot.hex; validatorSetHash = b.header.validatorSetHash.hex
        nextValidatorSetHash = b.header.nextValidatorSetHash.hex; signers = b.commit.signatures.count
        self.mode = mode; lightBlocksFetched = fetched
    }
}
