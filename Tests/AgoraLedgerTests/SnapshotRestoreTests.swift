import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
@testable import AgoraStorage
import Foundation
import Logging
import Testing

/// Snapshots written by a running chain and restored into a new data directory: the restored
/// database opens as a chain at the snapshot height with the same state and tree, passes the
/// full start-up check, and applies the next block like the original. Every bad input is a
/// typed refusal and leaves no staging file behind.
@Suite("Snapshot write and restore")
struct SnapshotRestoreTests {
    let validator = SigningKey()
    let alice = SigningKey()
    let logger = Logger(label: "snapshot-test")

    func newStore(_ dir: String) throws -> BlockStore {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        try store.initialize(try Genesis(
            chainID: "snap-test", genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 3, count: 20)).description, transferFeeBps: 0, minFee: Amount(1)!,
                          faucetAmount: Amount(50)!, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!,
                          blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(100_000)!)]).resolve())
        return store
    }

    /// A chain with `heights` blocks of transfers to fresh accounts, its snapshots written by the
    /// producer every 2 heights in chunks of at most 256 bytes.
    func chainWithSnapshots(heights: UInt64) async throws -> (Chain, BlockStore, SnapshotFiles, String) {
        let dir = NSTemporaryDirectory() + "agora-snap-\(UUID().uuidString)"
        let store = try newStore(dir)
        let chain = try Chain(store: store, validatorKey: validator, logger: logger)
        let producer = SnapshotProducer(chain: chain, directory: dir + "/snapshots", config: .init(interval: 2, keep: 2, chunkBytes: 256), logger: logger)
        let running = Task { try await producer.run() }
        var nonce: UInt64 = 0
        for h in 1...heights {
            for _ in 0..<3 {
                try chain.submit(alice.sign(TransactionBody(chainID: "snap-test", sender: alice.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: 1_000,
                                                            payload: .transfer(to: SigningKey().address, amount: Amount(10)!, memo: ""))))
                nonce += 1
            }
            try chain.produceBlock(now: 2_000 + h)
            // One snapshot at a time: a newer one due while one is written replaces a waiting one.
            for _ in 0..<250 where h % 2 == 0 && producer.list.first?.height != h { try await Task.sleep(for: .milliseconds(20)) }
        }
        running.cancel()
        return (chain, store, producer.files, dir)
    }

    @Test("a snapshot restores into a staging database that opens at its height with the same state, and applies the next block")
    func restoresAndContinues() async throws {
        let (chain, store, files, dir) = try await chainWithSnapshots(heights: 5)
        #expect(files.list().map(\.height) == [4, 2], "keeps the newest two")
        let manifest = try files.manifest(height: 4)
        #expect(manifest.chunkCount > 3)
        let block4 = try #require(try store.block(height: 4))
        #expect(manifest.stateRoot == block4.block.header.stateRoot)

        let target = NSTemporaryDirectory() + "agora-snap-restored-\(UUID().uuidString)"
        let live = try newStore(target)
        try live.checkpointAndClose()
        let staging = target + "/statesync.sqlite"
        let result = try StateRestore.build(stagingPath: staging, identity: try #require(try store.identity()), manifest: manifest,
                                            header: block4.block.header, seal: block4.seal) { try files.chunk(height: 4, index: $0) }
        #expect(result.height == 4 && result.entries == manifest.entryCount)
        try StateRestore.install(stagingPath: staging, livePath: target + "/agora.sqlite")

        let restored = try BlockStore(path: target + "/agora.sqlite")
        _ = try restored.checkIntegrity(.full)
        #expect(try restored.earliestHeight() == 5)
        #expect(try restored.stateTreeRoot(height: 4) == block4.block.header.stateRoot)
        let follower = try Chain(store: restored, validatorKey: SigningKey(), logger: logger)
        #expect(follower.snapshot.head.height == 4)
        // Block 5 of the original chain applies on the restored one, to the same state root.
        let block5 = try #require(try store.block(height: 5))
        try follower.applyBlock(block5.block, seal: block5.seal)
        #expect(follower.snapshot.head.stateRoot == chain.snapshot.head.stateRoot)
        #expect(try restored.account(alice.address) == (try store.account(alice.address)))
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: target)
    }

    @Test("bad input is refused by name: a corrupted chunk, a manifest root that is not the header's, another chain, forged chunks")
    func refusals() async throws {
        let (_, store, files, dir) = try await chainWithSnapshots(heights: 2)
        let manifest = try files.manifest(height: 2)
        let block = try #require(try store.block(height: 2))
        let identity = try #require(try store.identity())
        let staging = dir + "/staging.sqlite"
        func restore(_ m: SnapshotManifest, chunk: @escaping (Int) throws -> [UInt8]) throws {
            _ = try StateRestore.build(stagingPath: staging, identity: identity, manifest: m, header: block.block.header, seal: block.seal, chunk: chunk)
        }
        let good = { (i: Int) throws -> [UInt8] in try files.chunk(height: 2, index: i) }

        var flipped = try good(1)
        flipped[flipped.count - 1] ^= 1
        let got = Hash.sha256(flipped)
        #expect(throws: SnapshotFault.chunkHashMismatch(height: 2, index: 1, expected: manifest.chunkHashes[1], got: got)) {
            try restore(manifest) { $0 == 1 ? flipped : try good($0) }
        }

        var wrongRoot = manifest
        wrongRoot.stateRoot = Hash.sha256([1])
        #expect(throws: SnapshotFault.manifestRootMismatch(height: 2, manifest: wrongRoot.stateRoot, header: block.block.header.stateRoot)) {
            try restore(wrongRoot, chunk: good)
        }

        var otherChain = manifest
        otherChain.chainID = "another-chain"
        #expect(throws: SnapshotFault.otherChain(expected: "snap-test", got: "another-chain")) { try restore(otherChain, chunk: good) }

        // A liar's consistent manifest: the header's root, but hashes of chunks it changed.
        var chunks = try (0..<manifest.chunkCount).map(good)
        var decoded = try SnapshotChunk(canonicalBytes: chunks[0])
        decoded.entries[0].value = [9, 9, 9]
        chunks[0] = decoded.canonicalBytes
        var forged = manifest
        forged.chunkHashes = chunks.map { Hash.sha256($0) }
        #expect(throws: SnapshotFault.self) { try restore(forged) { chunks[$0] } }
        do {
            try restore(forged) { chunks[$0] }
        } catch let fault as SnapshotFault {
            guard case .rebuiltRootMismatch(2, block.block.header.stateRoot, _) = fault else {
                Issue.record("expected rebuiltRootMismatch, got \(fault)")
                return
            }
        }
        #expect(!FileManager.default.fileExists(atPath: staging), "a refused restore leaves no staging database")
        try? FileManager.default.removeItem(atPath: dir)
    }
}
