import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import GRDB
import Testing
@testable import AgoraStorage

/// Pruning block bodies below the earliest height: what goes, what stays (headers, seals, the
/// transactions module records read), and how reads of pruned data answer.
@Suite("Block pruning")
struct BlockPruningTests {
    let validator = SigningKey()
    let admin = SigningKey(), alice = SigningKey()

    /// A chain of `blocks` blocks of two transfers each (plus a claim in block 2).
    func chain(blocks: Int) throws -> (ClaimIndexTests.TestChain, claim: Hash, claimTx: Hash, transfers: [[Hash]]) {
        let c = try ClaimIndexTests.TestChain(validator: validator, funded: [admin, alice])
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "g", policy: .none))])
        let (claimTx, claim) = c.claim(admin, group, "kept with the state")
        // Indexed by height: heights 1 and 2 hold no transfers.
        let transfers: [[Hash]] = [[], [], []]
        var rest: [[Hash]] = []
        try c.commit([claimTx])
        for _ in 3...blocks {
            let txs = (0..<2).map { _ in c.tx(alice, .transfer(to: admin.address, amount: Amount(1)!, memo: "")) }
            try c.commit(txs)
            rest.append(txs.map(\.id))
        }
        return (c, claim, claimTx.id, transfers + rest)
    }

    func count(_ store: BlockStore, _ sql: String) throws -> Int {
        try store.read("count") { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }

    @Test("pruning deletes bodies below the target, keeps headers, seals and claim transactions, and reads below answer pruned")
    func prunesBelowTarget() throws {
        let (c, claim, claimTx, transfers) = try chain(blocks: 10)
        let store = c.store
        #expect(try store.earliestHeight() == 1)
        var steps = 0
        while try store.pruneStep(target: 8, maxHeights: 2, maxRows: 100) != nil { steps += 1 }
        #expect(steps == 4)  // heights 1…7 in steps of two heights at most
        #expect(try store.earliestHeight() == 8)
        // Headers and seals of every height are kept.
        #expect(try count(store, "SELECT COUNT(*) FROM blocks") == 10)
        #expect(try store.sealedHeader(height: 3)?.header.height == 3)
        // A body below the earliest height is a typed refusal naming it; at or above, whole.
        #expect(throws: StorageError.self) { try store.block(height: 5) }
        do { _ = try store.block(height: 5); Issue.record("expected pruned") } catch let StorageError.pruned(_, earliest) {
            #expect(earliest == 8)
        }
        #expect(try store.block(height: 8)?.block.transactions.count == 2)
        #expect(try store.transaction(id: transfers[5][0]) == nil)
        #expect(try store.transaction(id: transfers[9][1])?.height == 9)
        // The claim's transaction stays: the claim reads its text from it.
        #expect(try store.transaction(id: claimTx)?.height == 2)
        #expect(try store.claim(id: claim)?.content.text == "kept with the state")
        // Lists stop at the earliest height; a cursor below it is pruned.
        let listed = try store.transactions(sender: nil, before: nil, limit: 100)
        #expect(listed.allSatisfy { $0.1.height >= 8 } && listed.count == 6)
        #expect(throws: StorageError.self) { try store.transactions(sender: nil, before: Schema.position(height: 3, index: 0), limit: 10) }
    }

    @Test("the head's body is never pruned and the earliest height survives reopening")
    func headKeptAndPersisted() throws {
        let (c, _, _, _) = try chain(blocks: 5)
        while try c.store.pruneStep(target: 100) != nil {}
        #expect(try c.store.earliestHeight() == 5)
        #expect(try c.store.block(height: 5) != nil)
        let path = c.store.path
        try c.store.close()
        let reopened = try BlockStore(path: path)
        #expect(try reopened.earliestHeight() == 5)
        // The full start-up check passes: bodies are checked from the earliest height on only.
        _ = try reopened.checkIntegrity(.full)
    }

    @Test("a step deletes about maxRows rows but always moves at least one height")
    func stepIsBounded() throws {
        let (c, _, _, _) = try chain(blocks: 10)
        let first = try #require(try c.store.pruneStep(target: 10, maxHeights: 100, maxRows: 3))
        // Heights 1-2 hold the group and the claim (kept), then two transfers a block.
        #expect(first.earliestHeight <= 5)
        #expect(first.rowsDeleted <= 4)
        let tiny = try #require(try c.store.pruneStep(target: 10, maxHeights: 100, maxRows: 1))
        #expect(tiny.earliestHeight == first.earliestHeight + 1)
    }

    @Test("the earliest height set by state sync only moves up and never past the head + 1")
    func setEarliest() throws {
        let (c, _, _, _) = try chain(blocks: 4)
        try c.store.setEarliestHeight(3)
        try c.store.setEarliestHeight(2)
        #expect(try c.store.earliestHeight() == 3)
        #expect(throws: StorageError.self) { try c.store.setEarliestHeight(6) }
    }
}
