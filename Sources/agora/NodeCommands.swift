import AgoraAPI
import AgoraCore
import AgoraCrypto
import AgoraNode
import AgoraState
import ArgumentParser
import Foundation
import AgoraLedger
import Configuration
import Logging
import Synchronization

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a data directory for a new chain (or for joining one with --genesis).")

    @Option(help: "Data directory to create.") var dataDir: String
    @Option(help: "Chain ID (1-64 of a-z 0-9 . _ -). Must match --genesis when given.") var chainId: String
    @Option(help: "Validator key file; created (unencrypted, mode 0600) if it does not exist. An encrypted one is unlocked with $AGORA_KEY_PASSWORD or a prompt.") var validatorKey: String
    @Option(help: "Genesis JSON file. Without it, a genesis with this validator alone is written.") var genesis: String?
    @Option(help: "Initial balance ADDRESS=AMOUNT (repeatable; only without --genesis).") var allocate: [String] = []
    @Option(help: "Faucet grant per new account, 0 = off (only without --genesis).") var faucet: UInt64 = 0
    @Option(help: "HTTP API address.") var http: String = "127.0.0.1:8645"
    @Option(help: "Block interval in milliseconds.") var blockIntervalMs: Int = 1000
    @Option(help: "Pruning of old block bodies: archive (keep all), default (keep the last 100000 heights) or a number of heights to keep (pruning.keepBlocks).")
    var pruning: String = "archive"

    /// `--pruning` as `pruning.keepBlocks`.
    static func keepBlocks(_ text: String) throws -> Int {
        switch text {
        case "archive": return 0
        case "default": return NodeSetup.defaultKeepBlocks
        default:
            guard text.utf8.count <= 10, let n = Int(text), (1...1_000_000_000).contains(n) else {
                throw CLIError(Exit.invalidInput, "--pruning \"\(text.prefix(40))\": use archive, default or a number of heights (1-1000000000)")
            }
            return n
        }
    }

    func run() async throws {
        try await runCommand {
            let keep = try Init.keepBlocks(pruning)
            let dir = DataDirectory(dataDir)
            let key: SigningKey
            if FileManager.default.fileExists(atPath: validatorKey) {
                let file = try KeyFile.read(from: validatorKey)
                key = try file.unlock(password: file.isEncrypted ? try Password.obtain(prompt: "Validator key password: ") : nil)
            } else {
                key = SigningKey()
                try KeyFile.plaintext(key, name: "validator").write(to: validatorKey)
                print("created validator key \(validatorKey) (\(key.address))")
            }
            let g: Genesis
            if let path = genesis {
                g = try Genesis.load(path: path)
                guard g.chainID == chainId else {
                    throw CLIError(Exit.invalidInput, "--chain-id \(chainId) does not match the genesis chain ID \(g.chainID)")
                }
            } else {
                var allocations: [Genesis.Allocation] = []
                for item in allocate {
                    let parts = item.split(separator: "=")
                    guard parts.count == 2, let n = UInt64(parts[1]), let amount = Amount(n) else {
                        throw CLIError(Exit.invalidInput, "--allocate \(item): expected ag1…=AMOUNT")
                    }
                    let address = try addressArgument(String(parts[0]), "--allocate")
                    allocations.append(.init(address: address.description, amount: amount))
                }
                guard let faucetAmount = Amount(faucet) else { throw CLIError(Exit.invalidInput, "--faucet is above 2^63-1") }
                g = Genesis(chainID: chainId, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000),
                            validators: [.init(publicKey: key.publicKey.hex, power: 1)],
                            params: NodeSetup.defaultParams(faucet: faucetAmount), allocations: allocations)
            }
            let keyPath = URL(fileURLWithPath: validatorKey).standardizedFileURL.path
            try NodeSetup.initialize(dataDir: dir, genesis: g, validatorKeyPath: keyPath, http: http, blockIntervalMs: blockIntervalMs,
                                     keepBlocks: keep)
            print("initialised chain \(g.chainID) in \(dir.path)")
            print(keep == 0 ? "pruning: archive (every block body is kept)" : "pruning: block bodies of the last \(keep) heights are kept")
            print("start it with: \(runningExecutable) start --data-dir \(dir.path)")
        }
    }
}

/// Flags shared by `start` and `dev`; each overrides its configuration key.
struct NodeFlags: ParsableArguments {
    @Option(help: "HTTP API address HOST:PORT (http.address; port 0 picks a free port).") var http: String?
    @Option(help: "Block interval in milliseconds (block.intervalMs).") var blockIntervalMs: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error (log.level).") var logLevel: String?
    @Option(help: "Log format: text or json (log.format).") var logFormat: String?
    @Option(help: "P2P listen address HOST:PORT (p2p.address; port 0 picks one).") var p2p: String?
    @Option(help: "Comma-separated bootstrap peers HOST:PORT (p2p.peers).") var peers: String?
    @Flag(help: "Run the mediator service: match open intents and propose settlements (mediator.enabled).") var mediator = false
    @Option(help: "Key file the mediator signs its proposals with (mediator.key); an encrypted one is unlocked with mediator.keyPassword or a prompt.") var key: String?

    @Flag(help: "On an empty data directory, restore a verified snapshot from peers, then block-sync (stateSync.enabled).") var stateSync = false
    @Option(help: "Trusted height for state sync's light client (stateSync.trustHeight; default: the genesis validator set).") var trustHeight: Int?
    @Option(help: "Hash of the block at --trust-height, hex (stateSync.trustHash).") var trustHash: String?

    var overrides: [String: ConfigContent] {
        var o: [String: ConfigContent] = [:]
        if stateSync { o["stateSync.enabled"] = .bool(true) }
        if let trustHeight { o["stateSync.trustHeight"] = .int(trustHeight) }
        if let trustHash { o["stateSync.trustHash"] = .string(trustHash) }
        if let http { o["http.address"] = .string(http) }
        if let blockIntervalMs { o["block.intervalMs"] = .int(blockIntervalMs) }
        if let logLevel { o["log.level"] = .string(logLevel) }
        if let logFormat { o["log.format"] = .string(logFormat) }
        if let p2p { o["p2p.address"] = .string(p2p) }
        if let peers { o["p2p.peers"] = .stringArray(peers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        if mediator { o["mediator.enabled"] = .bool(true) }
        if let key { o["mediator.key"] = .string(key) }
        return o
    }
}

/// Loads configuration, asks for the validator key's password if it is encrypted and none is
/// configured, sets up logging, and runs the node.
func runNode(dataDir: DataDirectory, overrides: [String: ConfigContent], banner: @escaping @Sendable (String) -> String) async throws {
    var overrides = overrides
    var config = try await NodeConfig.load(dataDir: dataDir, overrides: overrides)
    if config.keyPassword == nil, (try? KeyFile.read(from: config.validatorKey))?.isEncrypted == true {
        overrides["key.password"] = .string(try Password.obtain(prompt: "Validator key password: "))
        config = try await NodeConfig.load(dataDir: dataDir, overrides: overrides)
    }
    if config.mediator.enabled, let k = config.mediator.key, config.mediator.keyPassword == nil, (try? KeyFile.read(from: k))?.isEncrypted == true {
        overrides["mediator.keyPassword"] = .string(try Password.obtain(prompt: "Mediator key password: "))
        config = try await NodeConfig.load(dataDir: dataDir, overrides: overrides)
    }
    let control = LogLevelControl(config.logLevel)
    LogSetup.bootstrap(format: config.logFormat, control: control)
    let logger = Logger(label: "agora")
    do {
        try await Node.run(dataDir: dataDir, config: config, logLevel: control, logger: logger,
                           onListening: { bound in writeOut(banner(bound)) },
                           onP2PListening: { bound in writeOut("agora: P2P listening on \(bound)\n") })
    } catch let NodeError.upgradeHalt(halt) {
        throw CLIError(.upgradeRequired, NodeError.upgradeHalt(halt).description)
    }
}

/// Takes the data directory's lock (see `DataDirectoryLock`); a second node on the same
/// directory is refused here, before it opens anything, with exit code 2.
func lockDataDirectory(_ dir: DataDirectory) throws {
    do {
        try DataDirectoryLock.acquire(dir).keepUntilExit()
    } catch {
        throw CLIError(Exit.invalidInput, error.description)
    }
}

/// Set once the API listens: `agora dev` keeps a temporary data directory from then on.
final class ListeningFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a node from an initialised data directory (settings: agora.json < AGORA_* < flags).",
        discussion: "An encrypted validator key is unlocked with key.password ($AGORA_KEY_PASSWORD) or a no-echo prompt; an encrypted mediator key with mediator.keyPassword or a prompt.")

    @Option(help: "Data directory made by `agora init`.") var dataDir: String
    @OptionGroup var flags: NodeFlags

    func run() async throws {
        try await runCommand {
            let dir = DataDirectory(dataDir)
            guard FileManager.default.fileExists(atPath: dir.settingsFile) else { throw NodeError.notInitialized(dir.path) }
            try lockDataDirectory(dir)
            try await runNode(dataDir: dir, overrides: flags.overrides) { "agora: API listening on http://\($0)\n" }
        }
    }
}

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a single-validator development chain: faucet on, a funded dev account, API on 127.0.0.1.")

    @Option(help: "Data directory (default: a new temporary directory). Reused if it already holds a dev chain.")
    var dataDir: String?
    @OptionGroup var flags: NodeFlags

    func run() async throws {
        try await runCommand {
            let temporary = dataDir == nil
            let path = dataDir ?? (NSTemporaryDirectory() + "agora-dev-" + String(UInt32.random(in: 0...UInt32.max), radix: 16))
            let dir = DataDirectory(path)
            do {
                try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw CLIError(Exit.invalidInput, "cannot create data directory \(dir.path): \(error.localizedDescription)")
            }
            try lockDataDirectory(dir)
            // A temporary directory is this run's alone: if the node never came up (a port in
            // use, a bad flag), nothing in it is worth keeping. A listener fails only at start.
            let listening = ListeningFlag()
            do {
                try await runDev(dir, listening: listening)
            } catch {
                if temporary, !listening.isSet || error is ListenError { try? FileManager.default.removeItem(atPath: dir.path) }
                throw error
            }
        }
    }

    func runDev(_ dir: DataDirectory, listening: ListeningFlag) async throws {
        let dev = try NodeSetup.devNetwork(dataDir: dir, http: flags.http ?? "127.0.0.1:8645",
                                           blockIntervalMs: flags.blockIntervalMs ?? 1000)
        // The hints name this executable by its absolute path: after `swift run agora dev`
        // there is no `agora` on PATH, and a hint must run as printed.
        let agora = runningExecutable
        try await runNode(dataDir: dev.dataDir, overrides: flags.overrides) { bound in
            listening.set()
            return """
            agora dev chain \(dev.chainID)
              data dir:    \(dev.dataDir.path)
              dev account: \(dev.devAddress)
              dev key:     \(dev.devKeyPath)
              admin page:  http://\(bound)/admin (token: \(agora) admin token create --data-dir \(dev.dataDir.path) --name me)
              MCP:         http://\(bound)/mcp?agent=dev (no token on loopback; per-agent: \(agora) mcp token create --data-dir \(dev.dataDir.path) --agent dev)
            agora: API listening on http://\(bound)

            try:
              \(agora) status --node http://\(bound)
              \(agora) keys new --name alice
              \(agora) tx transfer --node http://\(bound) --key \(dev.devKeyPath) --to <ag1… printed by keys new> --amount 1000 --wait

            """
        }
    }}

struct Testnet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the data directories of a local network of validators (one `agora start` each).")

    @Option(help: "Number of validators (power 1 each).") var validators: Int = 4
    @Option(help: "Directory to create: genesis.json, keys/funded.json and node0 … nodeN-1.") var out: String
    @Option(help: "Chain ID.") var chainId: String = "agora-testnet"
    @Option(help: "Address the nodes listen on.") var host: String = "127.0.0.1"
    @Option(help: "HTTP port of node0; node i uses this + i.") var httpBasePort: Int = 8645
    @Option(help: "P2P port of node0; node i uses this + i.") var p2pBasePort: Int = 26656
    @Option(help: "Block interval in milliseconds.") var blockIntervalMs: Int = 1000
    @Flag(help: "Enable governance in the genesis (docs/governance.md): the validator set then changes only by proposal, no staking admin.")
    var governance = false
    @Option(help: "With --governance: deposit period in heights.") var govDepositPeriod: UInt64?
    @Option(help: "With --governance: voting period in heights.") var govVotingPeriod: UInt64?
    @Option(help: "With --governance: minimum deposit in base units.") var govMinDeposit: UInt64?

    func run() async throws {
        try await runCommand {
            let govFlags = govDepositPeriod != nil || govVotingPeriod != nil || govMinDeposit != nil
            guard governance || !govFlags else { throw CLIError(Exit.invalidInput, "--gov-* options need --governance") }
            let minDeposit = try govMinDeposit.map { v throws -> Amount in
                guard let a = Amount(v), a > .zero else { throw CLIError(Exit.invalidInput, "--gov-min-deposit must be 1…2^63-1") }
                return a
            }
            let gov = governance ? Genesis.GovernanceConfig(minDeposit: minDeposit, depositPeriod: govDepositPeriod, votingPeriod: govVotingPeriod) : nil
            let net = try NodeSetup.testnet(out: out, validators: validators, chainID: chainId, host: host,
                                            httpBasePort: httpBasePort, p2pBasePort: p2pBasePort, blockIntervalMs: blockIntervalMs,
                                            governance: gov)
            var text = "testnet \(net.chainID): \(net.nodes.count) validators in \(out)\n  genesis:        \(net.genesisPath)\n"
            text += "  funded account: \(net.fundedAddress) (key \(net.fundedKeyPath))\n\nstart each node:\n"
            for (i, dir) in net.nodes.enumerated() {
                text += "  \(runningExecutable) start --data-dir \(dir.path)    # API http://\(net.httpAddresses[i]), P2P \(net.p2pAddresses[i])\n"
            }
            print(text, terminator: "")
        }
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Inspect node configuration.",
                                                    subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration: every key, its value (secrets masked) and where it came from.")
        @Option(help: "Data directory.") var dataDir: String
        @OptionGroup var flags: NodeFlags

        func run() async throws {
            try await runCommand {
                let dir = DataDirectory(dataDir)
                for (key, value, source) in try await NodeConfig.describe(dataDir: dir, overrides: flags.overrides) {
                    print("\(key) = \(value)  (\(source))")
                }
                do { _ = try await NodeConfig.load(dataDir: dir, overrides: flags.overrides) } catch {
                    throw CLIError(Exit.invalidInput, "configuration is not valid: \(error)")
                }
            }
        }
    }
}

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Administer a node's data directory.", subcommands: [Token.self])

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Admin API tokens (only their hashes are stored).",
                                                        subcommands: [Create.self, List.self, Revoke.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a token; it is printed once and never stored.")
            @Option(help: "Data directory.") var dataDir: String
            @Option(help: "Token name.") var name: String
            func run() async throws {
                try await runCommand {
                    let token = try AdminTokens(path: DataDirectory(dataDir).adminTokensFile).create(name: name)
                    print(token)
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List token names and creation times.")
            @Option(help: "Data directory.") var dataDir: String
            func run() async throws {
                try await runCommand {
                    for t in try AdminTokens(path: DataDirectory(dataDir).adminTokensFile).list() { print("\(t.name)\t\(t.createdAt)") }
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a token by name; a running node stops accepting it at once.")
            @Option(help: "Data directory.") var dataDir: String
            @Option(help: "Token name.") var name: String
            func run() async throws {
                try await runCommand {
                    try AdminTokens(path: DataDirectory(dataDir).adminTokensFile).revoke(name: name)
                    print("revoked \(name)")
                }
            }
        }
    }
}
