import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import GRDB
import Testing
@testable import AgoraStorage

@Suite("State tree in SQLite")
struct StateTreeStoreTests {
    let blocks = BlockStoreTests()

    /// Commits `count` blocks of transfers, pruning past `window` heights.
    func commitBlocks(_ store: BlockStore, count: Int, window: UInt64?) throws {
        for _ in 0..<count {
            let head = try store.head()
            var batch = try blocks.nextBatch(store, transfers: 2, firstNonce: try store.account(blocks.alice.address).nonce)
            if let window { batch.pruneThrough = batch.block.header.height > window ? batch.block.header.height - window : nil }
            try store.commit(batch)
            #expect(try store.head().height == head.height + 1)
        }
    }

    @Test("genesis and every block store the tree whose root is the header's, and keys prove against it")
    func rootsMatchHeaders() throws {
        let store = try blocks.tempStore()
        try store.initialize(try blocks.genesis())
        #expect(try store.stateTreeRoot(height: 0) == (try store.head().stateRoot))
        try commitBlocks(store, count: 5, window: nil)
        for height in UInt64(1)...5 {
            let header = try #require(try store.block(height: height)).block.header
            #expect(try store.stateTreeRoot(height: height) == header.stateRoot)
            let proven = try store.proveState(key: BankKeys.account(blocks.alice.address), height: height)
            #expect(proven.header == header)
            let account = try Account(canonicalBytes: try #require(proven.value))
            #expect(account.nonce == height * 2)
            try proven.proof.verify(key: BankKeys.account(blocks.alice.address).bytes, value: proven.value, root: header.stateRoot)
            let absent = try store.proveState(key: StateKey("bank/acct/", [1, 2, 3]), height: height)
            #expect(absent.value == nil)
            try absent.proof.verify(key: StateKey("bank/acct/", [1, 2, 3]).bytes, value: nil, root: header.stateRoot)
        }
    }

    @Test("proofs read through the cache equal proofs read from SQLite, as blocks commit and prune; a cached height pruned since is refused")
    func cachedProofsMatchStored() throws {
        let store = try blocks.tempStore()
        try store.initialize(try blocks.genesis())
        let keys = [BankKeys.account(blocks.alice.address), StateKey("bank/acct/", [1, 2, 3])]
        for _ in 0..<8 {
            try commitBlocks(store, count: 1, window: 3)
            let head = try store.head().height
            for height in max(try store.oldestProvableHeight(), 1)...head {
                for key in keys {
                    let cached = try store.proveState(key: key, height: height)
                    // The same proof from SQLite alone, in a snapshot of its own.
                    let stored = try store.read("uncached") { db in
                        try StateTree.prove(BlockStore.DatabaseTreeNodes(db: db), key: key.bytes, version: height)
                    }
                    #expect(cached.value == stored.value && cached.proof == stored.proof && cached.header.stateRoot == stored.root)
                    #expect(cached.header == (try #require(try store.block(height: height))).block.header)
                }
            }
            #expect(try store.proveState(key: keys[0], height: nil).height == head)
        }
        // Height 4 was cached while provable; the window has moved past it since.
        #expect(try store.oldestProvableHeight() > 4)
        #expect(throws: StateProofUnavailable.self) { try store.proveState(key: keys[0], height: 4) }
        let counts = store.proofReads.counts
        #expect(counts.headers <= ProofReadCache.defaultHeights && counts.pages <= ProofReadCache.defaultPages && counts.roots > 0)
    }

    @Test("a proof held whole in memory is served without SQLite and equals the stored one; outside the window memory answers nothing")
    func memoryProofs() throws {
        let store = try blocks.tempStore()
        try store.initialize(try blocks.genesis())
        try commitBlocks(store, count: 6, window: 2)
        let keys = [BankKeys.account(blocks.alice.address), StateKey("bank/acct/", [1, 2, 3])]
        let head = try store.head().height
        // Nothing of this height is held before SQLite has been read for it.
        #expect(store.proofReads.proveFromMemory(key: keys[0], height: head) == nil)
        for key in keys {
            let stored = try store.proveState(key: key, height: head)
            let held = try #require(store.proofReads.proveFromMemory(key: key, height: head))
            #expect(held == stored)
            #expect(store.proofReads.proveFromMemory(key: key, height: nil) == stored)
            #expect(store.proofReads.proveFromMemory(key: key, height: head + 1) == nil)
            #expect(store.proofReads.proveFromMemory(key: key, height: 0) == nil)
            try held.proof.verify(key: key.bytes, value: held.value, root: held.header.stateRoot)
        }
        // Commits move the window past `head`: memory no longer answers for it, SQLite refuses it.
        try commitBlocks(store, count: 3, window: 2)
        #expect(try store.oldestProvableHeight() > head)
        #expect(store.proofReads.proveFromMemory(key: keys[0], height: head) == nil)
        #expect(throws: StateProofUnavailable.self) { try store.proveState(key: keys[0], height: head) }
        // A window read by a slow reader before the last commit does not move it back.
        let newHead = try store.head().height
        store.proofReads.publish(ProofReadCache.Window(head: head, oldest: 1))
        _ = try store.proveState(key: keys[0], height: newHead)
        #expect(store.proofReads.proveFromMemory(key: keys[0], height: head) == nil)
        #expect(store.proofReads.proveFromMemory(key: keys[0], height: newHead) != nil)
    }

    @Test("pruning keeps the window provable, refuses older heights by name, and bounds the stored pages")
    func pruning() throws {
        let store = try blocks.tempStore()
        try store.initialize(try blocks.genesis())
        try commitBlocks(store, count: 12, window: 3)
        #expect(try store.oldestProvableHeight() == 9)
        for height in UInt64(9)...12 {
            let proven = try store.proveState(key: BankKeys.account(blocks.alice.address), height: height)
            try proven.proof.verify(key: BankKeys.account(blocks.alice.address).bytes, value: proven.value, root: proven.header.stateRoot)
        }
        #expect(throws: StateProofUnavailable.pruned(height: 8, oldest: 9)) {
            try store.proveState(key: BankKeys.account(blocks.alice.address), height: 8)
        }
        #expect(throws: StateProofUnavailable.beyondHead(height: 13, head: 12)) {
            try store.proveState(key: BankKeys.account(blocks.alice.address), height: 13)
        }
        #expect(throws: StateProofUnavailable.genesis) { try store.proveState(key: BankKeys.account(blocks.alice.address), height: 0) }
        // Without pruning every block adds its root page and the changed paths: here the store
        // keeps at most the window's versions of them.
        let unpruned = try blocks.tempStore()
        try unpruned.initialize(try blocks.genesis())
        try commitBlocks(unpruned, count: 12, window: nil)
        let (pages, stale) = try store.stateTreeSize()
        let (allPages, _) = try unpruned.stateTreeSize()
        #expect(pages < allPages)
        #expect(stale <= 4 * 3)
    }

    @Test("a block whose tree update does not match its header's state root is refused, nothing written")
    func mismatchedTree() throws {
        let store = try blocks.tempStore()
        try store.initialize(try blocks.genesis())
        var batch = try blocks.nextBatch(store, transfers: 1)
        batch.tree.root = Hash.sha256([1])
        #expect(throws: StorageError.self) { try store.commit(batch) }
        #expect(try store.head().height == 0)
        #expect(try store.stateTreeSize().pages == (try blocks.tempStoreWithGenesisPages()))
    }
}

extension BlockStoreTests {
    /// Pages a freshly initialised store holds (the genesis tree).
    func tempStoreWithGenesisPages() throws -> Int {
        let store = try tempStore()
        try store.initialize(try genesis())
        return try store.stateTreeSize().pages
    }
}
