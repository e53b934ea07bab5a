import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging

// The same helper as in Tests/AgoraP2PTests/PeerServiceTests.swift: a test target cannot import
// another, and the consensus and fetcher tests here need a chain on disk just like the P2P tests.

/// A test chain on disk: one validator, no allocations, and a `Chain` per named node over its
/// own SQLite file in a fresh directory.
struct TestChain {
    let validator = SigningKey()
    let dir = NSTemporaryDirectory() + "agora-peers-\(UUID().uuidString)"
    let genesis: Genesis

    init(_ chainID: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        genesis = Genesis(chainID: chainID, genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                          params: .init(treasury: Address(raw: [UInt8](repeating: 5, count: 20)).description, transferFeeBps: 0,
                                        minFee: .zero, faucetAmount: .zero, maxTotalSupply: Amount(1_000)!,
                                        maxAccountBalance: Amount(1_000)!, blockReward: .zero), allocations: [])
    }

    func open(_ name: String, key: SigningKey, initialize: Bool = true) throws -> Chain {
        let store = try BlockStore(path: "\(dir)/\(name).sqlite")
        if initialize { try store.initialize(try genesis.resolve()) }
        return try Chain(store: store, validatorKey: key, logger: Logger(label: name))
    }
}
