import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import GRDB
import Testing
@testable import AgoraStorage

@Suite("Block store")
struct BlockStoreTests {
    let validator = SigningKey()
    let alice = SigningKey()

    func genesis(chain: String = "store-test") throws -> Genesis.Resolved {
        try Genesis(chainID: chain, genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                    params: .init(treasury: Address(raw: [UInt8](repeating: 9, count: 20)).description, transferFeeBps: 0,
                                  minFee: .zero, faucetAmount: .zero, maxTotalSupply: Amount(1_000_000)!,
                                  maxAccountBalance: Amount(1_000_000)!, blockReward: .zero),
                    allocations: [.init(address: alice.address.description, amount: Amount(5_000)!)]).resolve()
    }

    func tempStore() throws -> BlockStore {
        let dir = NSTemporaryDirectory() + "agora-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try BlockStore(path: dir + "/agora.sqlite")
    }

    /// Executes a block of transfers from alice on top of the store's head and returns the batch.
    func nextBatch(_ store: BlockStore, transfers: Int, firstNonce: UInt64 = 0) throws -> BlockStore.CommitBatch {
        let head = try store.head()
        let identity = try #require(try store.identity())
        let txs = (0..<transfers).map { i in
            alice.sign(TransactionBody(chainID: identity.chainID, sender: alice.publicKey, nonce: firstNonce + UInt64(i), fee: .zero,
                                       expiresAt: 1_000, payload: .transfer(to: validator.address, amount: Amount(1)!, memo: "")))
        }
        let cache = StateCache(store: store)
        let executed = try BlockExecutor(chainID: identity.chainID)
            .execute(txs, context: BlockContext(height: head.height + 1, timestamp: head.timestamp + 1, proposer: validator.address),
                     base: cache, mode: .verify)
        let tree = try store.stateTreeUpdate(base: head.height, version: head.height + 1, writes: executed.writes)
        let root = tree.root
        var digest = head.digest
        digest.apply(executed.writes)
        let header = BlockHeader(chainID: identity.chainID, height: head.height + 1, previousHash: head.hash, timestamp: head.timestamp + 1,
                                 proposer: validator.publicKey, txRoot: Block.txRoot(txs), stateRoot: root,
                                 validatorSetHash: identity.validatorSet.hash, lastCommit: nil)
        let seal = Commit(height: header.height, round: 0, blockHash: header.hash,
                          signatures: [validator.sign(Vote(chainID: identity.chainID, height: header.height, round: 0,
                                                           kind: .precommit, blockHash: header.hash))])
        return .init(block: Block(header: header, transactions: txs), seal: seal, receipts: executed.receipts,
                     writes: executed.writes, digest: digest, tree: tree)
    }

    @Test("a committed block, its transactions, receipts and state read back exactly")
    func commitAndRead() throws {
        let store = try tempStore()
        try store.initialize(try genesis())
        let batch = try nextBatch(store, transfers: 3)
        try store.commit(batch)
        let head = try store.head()
        #expect(head.height == 1)
        #expect(head.hash == batch.block.hash)
        #expect(head.stateRoot == batch.block.header.stateRoot)
        let stored = try #require(try store.block(height: 1))
        #expect(stored.block == batch.block)
        #expect(stored.seal == batch.seal)
        #expect(stored.receipts == batch.receipts)
        #expect(try store.block(hash: batch.block.hash)?.block.header.height == 1)
        #expect(try store.blockHash(height: 1) == batch.block.hash)
        #expect(try store.blockHash(height: 2) == nil)
        let tx = try #require(try store.transaction(id: batch.block.transactions[2].id))
        #expect(tx.height == 1 && tx.index == 2)
        #expect(try store.account(alice.address).balance == Amount(4_997)!)
        #expect(try store.account(alice.address).nonce == 3)
        #expect(try store.computeStateDigest() == head.digest)
        #expect(try store.block(height: 2) == nil)
    }

    @Test("a block that does not extend the head is refused and changes nothing")
    func wrongHeight() throws {
        let store = try tempStore()
        try store.initialize(try genesis())
        var batch = try nextBatch(store, transfers: 1)
        batch.block.header.height = 5
        #expect(throws: StorageError.self) { try store.commit(batch) }
        #expect(try store.head().height == 0)
        #expect(try store.account(alice.address).nonce == 0)
    }

    @Test("a failure part-way through a commit rolls back the whole block")
    func atomicCommit() throws {
        let store = try tempStore()
        try store.initialize(try genesis())
        let first = try nextBatch(store, transfers: 2)
        try store.commit(first)
        // A second block that repeats a stored transaction ID fails on the unique key after the
        // block row and state writes were attempted.
        var second = try nextBatch(store, transfers: 1, firstNonce: 2)
        second.block.transactions.append(first.block.transactions[0])
        second.receipts.append(first.receipts[0])
        #expect(throws: StorageError.self) { try store.commit(second) }
        #expect(try store.head().height == 1)
        #expect(try store.block(height: 2) == nil)
        #expect(try store.account(alice.address).nonce == 2)
        #expect(try store.computeStateDigest() == store.head().digest)
    }

    @Test("a data directory is initialised once and remembers its chain across reopening")
    func identityPersists() throws {
        let store = try tempStore()
        let g = try genesis()
        try store.initialize(g)
        #expect(throws: StorageError.self) { try store.initialize(g) }
        try store.commit(try nextBatch(store, transfers: 1))
        try store.close()
        let reopened = try BlockStore(path: store.path)
        let identity = try #require(try reopened.identity())
        #expect(identity.chainID == "store-test")
        #expect(identity.genesisHash == g.hash)
        #expect(try reopened.head().height == 1)
    }

    @Test("synchronous=FULL and WAL are in force on the writer")
    func durabilitySettings() throws {
        let store = try tempStore()
        let (mode, sync) = try store.pool.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(sync == 2)
    }
}
