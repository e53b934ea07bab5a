import AgoraCore
import AgoraCrypto
import AgoraState
import AgoraStorage
import Foundation

/// Creating data directories: `agora init` and the embedded dev network.
public enum NodeSetup {
    /// `agora init --pruning default`: block bodies of the last 100,000 heights (about 28 hours
    /// at one block a second) — room for any peer or client that was offline a day to catch up
    /// from this node; headers and commits stay for every height.
    public static let defaultKeepBlocks = 100_000

    /// Writes settings, genesis and the database for a new node. Refuses a directory that
    /// already holds a chain.
    public static func initialize(dataDir: DataDirectory, genesis: Genesis, validatorKeyPath: String,
                                  http: String = "127.0.0.1:8645", blockIntervalMs: Int = 1000, keepBlocks: Int = 0) throws {
        if FileManager.default.fileExists(atPath: dataDir.settingsFile) || FileManager.default.fileExists(atPath: dataDir.databaseFile) {
            throw NodeError.alreadyInitialized(dataDir.path)
        }
        let resolved = try genesis.resolve()
        _ = try HostPort.parse(http, setting: "http.address")
        guard (10...600_000).contains(blockIntervalMs) else {
            throw NodeError.invalidSetting("block.intervalMs", "\(blockIntervalMs) must be between 10 and 600000")
        }
        guard (0...1_000_000_000).contains(keepBlocks) else {
            throw NodeError.invalidSetting("pruning.keepBlocks", "\(keepBlocks) must be between 0 (archive) and 1000000000")
        }
        try dataDir.create()
        try genesis.write(to: dataDir.genesisFile)
        let store = try BlockStore(path: dataDir.databaseFile)
        try store.initialize(resolved)
        try store.checkpointAndClose()
        var values: [String: Any] = ["chain.id": genesis.chainID, "validator.key": validatorKeyPath,
                                     "http.address": http, "block.intervalMs": blockIntervalMs]
        if keepBlocks > 0 { values["pruning.keepBlocks"] = keepBlocks }
        try NodeConfig.writeFile(dataDir, values: values)
    }

    /// Default bank rules for a chain made by `agora init` without a genesis file, and by `agora dev`.
    public static func defaultParams(faucet: Amount) -> Genesis.Params {
        Genesis.Params(treasury: ModuleAccount.treasury.description, transferFeeBps: 10, minFee: Amount(1)!,
                       faucetAmount: faucet, maxTotalSupply: Amount(1_000_000_000_000_000)!,
                       maxAccountBalance: Amount(100_000_000_000_000)!, blockReward: Amount(0)!)
    }

    public struct DevNetwork: Sendable {
        public var dataDir: DataDirectory
        public var chainID: String
        public var devKeyPath: String
        public var devAddress: Address
        public var validatorKeyPath: String
    }

    /// A single-validator chain with a funded dev account and the faucet on. Reuses the
    /// directory if it already holds a dev chain.
    public static func devNetwork(dataDir: DataDirectory, http: String, blockIntervalMs: Int) throws -> DevNetwork {
        let devKeyPath = dataDir.keysDirectory + "/dev.json"
        let validatorKeyPath = dataDir.keysDirectory + "/validator.json"
        if FileManager.default.fileExists(atPath: dataDir.settingsFile) {
            let dev = try KeyFile.read(from: devKeyPath)
            // From the key, not the file's address field: a dev chain made before addresses were
            // Bech32m holds them in the old hex form there.
            guard let address = PublicKey(hex: dev.publicKey)?.address, Address(checkedField: dev.address) == address else {
                throw NodeError.invalidSetting("keys/dev.json", "address does not match publicKey")
            }
            return DevNetwork(dataDir: dataDir, chainID: "agora-dev", devKeyPath: devKeyPath, devAddress: address,
                              validatorKeyPath: validatorKeyPath)
        }
        try dataDir.create()
        let validator = SigningKey()
        let dev = SigningKey()
        try KeyFile.plaintext(validator, name: "validator").write(to: validatorKeyPath)
        try KeyFile.plaintext(dev, name: "dev").write(to: devKeyPath)
        let chainID = "agora-dev"
        let genesis = Genesis(chainID: chainID, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000),
                              validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                              params: defaultParams(faucet: Amount(1_000_000)!),
                              allocations: [.init(address: dev.address.description, amount: Amount(1_000_000_000_000)!)],
                              // The funded dev account administers the validator set (it can pay fees).
                              staking: .init(admin: dev.address.description))
        try initialize(dataDir: dataDir, genesis: genesis, validatorKeyPath: validatorKeyPath, http: http,
                       blockIntervalMs: blockIntervalMs)
        return DevNetwork(dataDir: dataDir, chainID: chainID, devKeyPath: devKeyPath, devAddress: dev.address,
                          validatorKeyPath: validatorKeyPath)
    }
}

extension NodeSetup {
    /// A local multi-validator network: what `agora testnet` writes.
    public struct Testnet: Sendable {
        public var chainID: String
        /// `node0` … `nodeN-1`, each an initialised data directory.
        public var nodes: [DataDirectory]
        public var httpAddresses: [String]
        public var p2pAddresses: [String]
        /// A funded account for trying the network out (`keys/funded.json`).
        public var fundedKeyPath: String
        public var fundedAddress: Address
        public var genesisPath: String
    }

    /// Writes a genesis with `validators` validators of power 1 (bonded, administered by the
    /// funded account) and, under `out`, one data
    /// directory per validator with its key, settings (HTTP on `httpBasePort + i`, P2P on
    /// `p2pBasePort + i`, every other node as a bootstrap peer) and the database, plus a funded
    /// account key. Refuses an `out` that already holds a testnet.
    public static func testnet(out: String, validators: Int, chainID: String = "agora-testnet", host: String = "127.0.0.1",
                               httpBasePort: Int, p2pBasePort: Int, blockIntervalMs: Int = 1000,
                               governance: Genesis.GovernanceConfig? = nil) throws -> Testnet {
        guard (1...Limits.maxValidators).contains(validators) else {
            throw NodeError.invalidSetting("validators", "\(validators) must be between 1 and \(Limits.maxValidators)")
        }
        for (name, base) in [("http port", httpBasePort), ("p2p port", p2pBasePort)] where !(1...(65535 - validators)).contains(base) {
            throw NodeError.invalidSetting(name, "\(base) leaves no room for \(validators) consecutive ports")
        }
        guard ChainID.isValid(chainID) else { throw NodeError.invalidSetting("chain-id", "\"\(chainID)\" is not a valid chain ID") }
        let root = DataDirectory(out)
        let genesisPath = root.path + "/genesis.json"
        if FileManager.default.fileExists(atPath: genesisPath) { throw NodeError.alreadyInitialized(root.path) }
        try root.create()

        let keys = (0..<validators).map { _ in SigningKey() }
        let funded = SigningKey()
        let fundedKeyPath = root.keysDirectory + "/funded.json"
        try KeyFile.plaintext(funded, name: "funded").write(to: fundedKeyPath)
        var allocations = [Genesis.Allocation(address: funded.address.description, amount: Amount(1_000_000_000_000)!)]
        // Validators hold a little for fees (bonds, reports) from the start.
        for key in keys { allocations.append(.init(address: key.address.description, amount: Amount(1_000_000_000)!)) }
        // The funded account administers the validator set; every validator is bonded with the
        // minimum, which a double sign slashes (5%, burned) before the validator is removed.
        let genesis = Genesis(chainID: chainID, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000),
                              validators: keys.map { .init(publicKey: $0.publicKey.hex, power: 1, bond: Amount(1_000_000)!) },
                              params: defaultParams(faucet: Amount(1_000_000)!), allocations: allocations,
                              // With governance the set changes by proposal only: no admin key.
                              staking: .init(admin: governance == nil ? funded.address.description : nil, minBond: Amount(1_000_000)!),
                              governance: governance)
        do { _ = try genesis.resolve() } catch { throw NodeError.invalidSetting("governance", error.description) }
        try genesis.write(to: genesisPath)

        let http = (0..<validators).map { "\(host):\(httpBasePort + $0)" }
        let p2p = (0..<validators).map { "\(host):\(p2pBasePort + $0)" }
        var nodes: [DataDirectory] = []
        for (i, key) in keys.enumerated() {
            let dir = DataDirectory(root.path + "/node\(i)")
            try dir.create()
            let keyPath = dir.keysDirectory + "/validator.json"
            try KeyFile.plaintext(key, name: "validator\(i)").write(to: keyPath)
            try initialize(dataDir: dir, genesis: genesis, validatorKeyPath: keyPath, http: http[i], blockIntervalMs: blockIntervalMs)
            try NodeConfig.writeFile(dir, values: [
                "chain.id": chainID, "validator.key": keyPath, "http.address": http[i], "block.intervalMs": blockIntervalMs,
                "p2p.address": p2p[i], "p2p.peers": p2p.enumerated().filter { $0.offset != i }.map(\.element),
            ])
            nodes.append(dir)
        }
        return Testnet(chainID: chainID, nodes: nodes, httpAddresses: http, p2pAddresses: p2p, fundedKeyPath: fundedKeyPath,
                       fundedAddress: funded.address, genesisPath: genesisPath)
    }
}
