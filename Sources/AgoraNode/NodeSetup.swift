import AgoraCore
import AgoraCrypto
import AgoraState
import AgoraStorage
import Foundation

/// Creating data directories: `agora init` and the embedded dev network.
public enum NodeSetup {
    /// Writes settings, genesis and the database for a new node. Refuses a directory that
    /// already holds a chain.
    public static func initialize(dataDir: DataDirectory, genesis: Genesis, validatorKeyPath: String,
                                  http: String = "127.0.0.1:8645", blockIntervalMs: Int = 1000) throws {
        if FileManager.default.fileExists(atPath: dataDir.settingsFile) || FileManager.default.fileExists(atPath: dataDir.databaseFile) {
            throw NodeError.alreadyInitialized(dataDir.path)
        }
        let resolved = try genesis.resolve()
        _ = try HostPort.parse(http, setting: "http.address")
        guard (10...600_000).contains(blockIntervalMs) else {
            throw NodeError.invalidSetting("block.intervalMs", "\(blockIntervalMs) must be between 10 and 600000")
        }
        try dataDir.create()
        try genesis.write(to: dataDir.genesisFile)
        let store = try BlockStore(path: dataDir.databaseFile)
        try store.initialize(resolved)
        try store.close()
        try NodeConfig.writeFile(dataDir, values: ["chain.id": genesis.chainID, "validator.key": validatorKeyPath,
                                                   "http.address": http, "block.intervalMs": blockIntervalMs])
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
            guard let address = Address(dev.address) else { throw NodeError.invalidSetting("keys/dev.json", "bad address") }
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
                              allocations: [.init(address: dev.address.description, amount: Amount(1_000_000_000_000)!)])
        try initialize(dataDir: dataDir, genesis: genesis, validatorKeyPath: validatorKeyPath, http: http,
                       blockIntervalMs: blockIntervalMs)
        return DevNetwork(dataDir: dataDir, chainID: chainID, devKeyPath: devKeyPath, devAddress: dev.address,
                          validatorKeyPath: validatorKeyPath)
    }
}
