import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging

// Shared by the ledger and P2P tests (a test target cannot import another, so the helper lives
// in this small support target that both depend on).

/// A test chain on disk: one validator, no allocations, and a `Chain` per named node over its
/// own SQLite file in a fresh directory.
public struct TestChain {
    public let validator = SigningKey()
    public let dir = NSTemporaryDirectory() + "agora-peers-\(UUID().uuidString)"
    public let genesis: Genesis

    public init(_ chainID: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        genesis = Genesis(chainID: chainID, genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                          params: .init(treasury: Address(raw: [UInt8](repeating: 5, count: 20)).description, transferFeeBps: 0,
                                        minFee: .zero, faucetAmount: .zero, maxTotalSupply: Amount(1_000)!,
                                        maxAccountBalance: Amount(1_000)!, blockReward: .zero), allocations: [])
    }

    public func open(_ name: String, key: SigningKey, initialize: Bool = true, mempool: Mempool = Mempool()) throws -> Chain {
        let store = try BlockStore(path: "\(dir)/\(name).sqlite")
        if initialize { try store.initialize(try genesis.resolve()) }
        return try Chain(store: store, validatorKey: key, mempool: mempool, logger: Logger(label: name))
    }
}
