import AgoraCore
import AgoraCrypto
import AgoraNode
import AgoraState
import ArgumentParser
import Foundation
import Logging

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a data directory for a new chain (or for joining one with --genesis).")

    @Option(help: "Data directory to create.") var dataDir: String
    @Option(help: "Chain ID (1-64 of a-z 0-9 . _ -). Must match --genesis when given.") var chainId: String
    @Option(help: "Validator key file; created (unencrypted, mode 0600) if it does not exist.") var validatorKey: String
    @Option(help: "Genesis JSON file. Without it, a genesis with this validator alone is written.") var genesis: String?
    @Option(help: "Initial balance ADDRESS=AMOUNT (repeatable; only without --genesis).") var allocate: [String] = []
    @Option(help: "Faucet grant per new account, 0 = off (only without --genesis).") var faucet: UInt64 = 0
    @Option(help: "HTTP API address.") var http: String = "127.0.0.1:8645"
    @Option(help: "Block interval in milliseconds.") var blockIntervalMs: Int = 1000

    func run() async throws {
        try await runCommand {
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
                    guard parts.count == 2, Address(String(parts[0])) != nil, let n = UInt64(parts[1]), let amount = Amount(n) else {
                        throw CLIError(Exit.invalidInput, "--allocate \(item): expected ag1…=AMOUNT")
                    }
                    allocations.append(.init(address: String(parts[0]), amount: amount))
                }
                guard let faucetAmount = Amount(faucet) else { throw CLIError(Exit.invalidInput, "--faucet is above 2^63-1") }
                g = Genesis(chainID: chainId, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000),
                            validators: [.init(publicKey: key.publicKey.hex, power: 1)],
                            params: NodeSetup.defaultParams(faucet: faucetAmount), allocations: allocations)
            }
            let keyPath = URL(fileURLWithPath: validatorKey).standardizedFileURL.path
            try NodeSetup.initialize(dataDir: dir, genesis: g, validatorKeyPath: keyPath, http: http, blockIntervalMs: blockIntervalMs)
            print("initialised chain \(g.chainID) in \(dir.path)")
            print("start it with: agora start --data-dir \(dir.path)")
        }
    }
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a node from an initialised data directory.")

    @Option(help: "Data directory made by `agora init`.") var dataDir: String
    @Option(help: "HTTP API address HOST:PORT (overrides agora.json; port 0 picks a free port).") var http: String?
    @Option(help: "Block interval in milliseconds (overrides agora.json).") var blockIntervalMs: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String = "info"

    func run() async throws {
        try await runCommand {
            let logger = try makeLogger(level: logLevel)
            let dir = DataDirectory(dataDir)
            let settings = try NodeSettings.load(dir)
            let file = try KeyFile.read(from: settings.validatorKey)
            let password = file.isEncrypted ? try Password.obtain(prompt: "Validator key password: ") : nil
            try await Node.run(dataDir: dir, options: .init(http: http, blockIntervalMs: blockIntervalMs, password: password),
                               logger: logger) { bound in
                writeOut("agora: API listening on http://\(bound)\n")
            }
        }
    }
}

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a single-validator development chain: faucet on, a funded dev account, API on 127.0.0.1.")

    @Option(help: "Data directory (default: a new temporary directory). Reused if it already holds a dev chain.")
    var dataDir: String?
    @Option(help: "HTTP API address HOST:PORT.") var http: String = "127.0.0.1:8645"
    @Option(help: "Block interval in milliseconds.") var blockIntervalMs: Int = 1000
    @Option(help: "Log level.") var logLevel: String = "info"

    func run() async throws {
        try await runCommand {
            let logger = try makeLogger(level: logLevel)
            let path = dataDir ?? (NSTemporaryDirectory() + "agora-dev-" + String(UInt32.random(in: 0...UInt32.max), radix: 16))
            let dev = try NodeSetup.devNetwork(dataDir: DataDirectory(path), http: http, blockIntervalMs: blockIntervalMs)
            try await Node.run(dataDir: dev.dataDir, options: .init(http: http, blockIntervalMs: blockIntervalMs), logger: logger) { bound in
                writeOut("""
                agora dev chain \(dev.chainID)
                  data dir:    \(dev.dataDir.path)
                  dev account: \(dev.devAddress)
                  dev key:     \(dev.devKeyPath)
                agora: API listening on http://\(bound)

                try:
                  agora status --node http://\(bound)
                  agora keys new --name alice
                  agora tx transfer --node http://\(bound) --key \(dev.devKeyPath) --to <ag1…> --amount 1000 --wait

                """)
            }
        }
    }
}
