import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import GRDB
import Testing
@testable import AgoraStorage

/// The module indexes rebuilt from the state alone (IndexRebuild.swift): after a history of
/// groups, claims (tags, a thread, a retraction), tasks (completed, cancelled) and intents (a
/// settlement finalised at end of block, one still open), a database restored from a snapshot —
/// no block below it — answers every index query as the database that committed the blocks, and
/// rebuilding in place reproduces every index table row for row.
@Suite("Index rebuild from state")
struct IndexRebuildTests {
    let validator = SigningKey()
    let admin = SigningKey(), alice = SigningKey(), bob = SigningKey(), mediator = SigningKey()

    struct History {
        var chain: ClaimIndexTests.TestChain
        var group: Hash
        var claims: [Hash]
        var tasks: [Hash]
        var intents: [Hash]
        var settlement: Hash
    }

    func history() throws -> History {
        let c = try ClaimIndexTests.TestChain(validator: validator, funded: [admin, alice, bob, mediator])
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "g", policy: .none)),
                      c.tx(admin, .addGroupMember(group: group, member: alice.address, role: .member)),
                      c.tx(admin, .addGroupMember(group: group, member: bob.address, role: .member)),
                      c.tx(mediator, .registerMediator(stake: Amount(100)!, feeBps: 100))])
        let (t1, root) = c.claim(alice, group, "GPU kernel tuning for the shard planner", tags: ["gpu", "plan"])
        let (t2, reply) = c.claim(bob, group, "the kernel tuning numbers look right", tags: ["gpu"], parent: root)
        let (t3, gone) = c.claim(alice, group, "a claim that will be retracted about kernels")
        try c.commit([t1, t2, t3, c.tx(admin, .setGroupRole(group: group, member: bob.address, role: .admin))])
        let task1 = LedgerID.task(creator: alice.address, nonce: (c.nonces[alice.address] ?? 0) + 1)  // after the retraction
        try c.commit([c.tx(alice, .retractClaim(claim: gone, reason: "wrong numbers")),
                      c.tx(alice, .createTask(TaskSpec(group: group, title: "tune", reward: Amount(10)!, deadline: 1_000_000)))])
        let task2 = LedgerID.task(creator: alice.address, nonce: c.nonces[alice.address] ?? 0)
        try c.commit([c.tx(alice, .createTask(TaskSpec(group: group, title: "second"))),
                      c.tx(alice, .assignTask(task: task1, assignee: bob.address))])
        try c.commit([c.tx(bob, .startTask(task: task1)), c.tx(bob, .completeTask(task: task1, result: TaskResult(text: "done: 1.4x"))),
                      c.tx(admin, .cancelTask(task: task2)), c.tx(bob, .failTask(task: task1, reason: "fails: completed"))])
        func post(_ k: SigningKey, _ kind: IntentKind, _ text: String) throws -> Hash {
            let id = LedgerID.intent(author: k.address, nonce: c.nonces[k.address] ?? 0)
            #expect(try c.commit([c.tx(k, .postIntent(IntentContent(group: group, kind: kind, text: text, terms: .none)))])[0].succeeded)
            return id
        }
        let offer = try post(alice, .offer, "Spare GPU hours on an A100")
        let request = try post(bob, .request, "Need GPU hours for training")
        let open = try post(bob, .offer, "A road bike, size 56")
        let sid = LedgerID.settlement(mediator: mediator.address, nonce: 1)
        let p = SettlementProposal(intents: [offer, request].sorted(), termsText: "deal", terms: .none, payments: [], mediatorFee: .zero,
                                   acceptBy: 100, challengeWindow: 3, score: MatchScore(source: 1, kind: 1000, terms: 500, text: 600, total: 650))
        #expect(try c.commit([c.tx(mediator, .proposeSettlement(p))])[0].succeeded)
        try c.commit([c.tx(alice, .acceptSettlement(settlement: sid)), c.tx(bob, .acceptSettlement(settlement: sid))])
        for _ in 0..<3 { try c.commit([]) }
        #expect(try c.store.settlement(id: sid)?.status == .finalised)
        // A transfer is no index's input and leaves no origin.
        try c.commit([c.tx(alice, .transfer(to: SigningKey().address, amount: Amount(1)!, memo: ""))])
        return History(chain: c, group: group, claims: [root, reply, gone], tasks: [task1, task2], intents: [offer, request, open], settlement: sid)
    }

    /// Every row of every index table, in a fixed order, as text.
    func indexRows(_ store: BlockStore) throws -> [String: [String]] {
        try store.read("dump") { db in
            var out: [String: [String]] = [:]
            for table in BlockStore.indexTables {
                out[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { "\($0)" }.sorted()
            }
            return out
        }
    }

    /// The history's head written as a snapshot and restored into a new database.
    func restored(_ h: History) throws -> BlockStore {
        let store = h.chain.store
        let head = try store.head()
        let dir = NSTemporaryDirectory() + "agora-rebuild-\(UUID().uuidString)"
        let view = try #require(try store.openStateSnapshot(height: head.height))
        let files = SnapshotFiles(directory: dir + "/snapshots")
        let manifest = try files.write(chainID: h.chain.chainID, height: head.height, stateRoot: view.stateRoot) { sink in
            try view.chunks(maxBytes: 1_024, sink)
        }
        let block = try #require(try store.block(height: head.height))
        _ = try StateRestore.build(stagingPath: dir + "/agora.sqlite", identity: try #require(try store.identity()), manifest: manifest,
                                   header: block.block.header, seal: block.seal) { try files.chunk(height: head.height, index: $0) }
        return try BlockStore(path: dir + "/agora.sqlite")
    }

    @Test("a database restored from a snapshot serves claims, tasks, intents, search and context as the one that committed the blocks")
    func restoredAnswersLikeTheOriginal() throws {
        let h = try history()
        let a = h.chain.store, b = try restored(h)
        #expect(try b.earliestHeight() == (try a.head().height) + 1, "no block body below the snapshot")
        _ = try b.checkIntegrity(.full)
        #expect(try indexRows(b) == (try indexRows(a)))
        for id in h.claims {
            let claim = try #require(try a.claim(id: id))
            #expect(try b.claim(id: id) == claim)
        }
        for all in [false, true] {
            var q = BlockStore.ClaimQuery(group: h.group, limit: 50)
            q.includeRetracted = all
            #expect(try b.claims(q) == (try a.claims(q)))
            #expect(try b.thread(root: h.claims[0], after: nil, limit: 50, includeRetracted: all)
                    == (try a.thread(root: h.claims[0], after: nil, limit: 50, includeRetracted: all)))
        }
        #expect(try a.claims(.init(group: h.group, tag: "gpu", limit: 50)).count == 2)
        #expect(try b.claims(.init(group: h.group, tag: "gpu", limit: 50)) == (try a.claims(.init(group: h.group, tag: "gpu", limit: 50))))
        #expect(try b.claims(.init(group: h.group, author: alice.address, limit: 50))
                == (try a.claims(.init(group: h.group, author: alice.address, limit: 50))))
        let context = BlockStore.ContextQuery(group: h.group, text: "kernel tuning", budget: 500)
        #expect(try !a.compileContext(context).items.isEmpty)
        #expect(try b.compileContext(context) == (try a.compileContext(context)))
        #expect(try b.role(in: h.group, of: bob.address, atHeight: 2) == (try a.role(in: h.group, of: bob.address, atHeight: 2)))
        #expect(try b.role(in: h.group, of: bob.address, atHeight: 1) == .member)
        for id in h.tasks {
            let task = try #require(try a.task(id: id))
            #expect(try b.task(id: id) == task)
        }
        #expect(try a.task(id: h.tasks[0])?.result == TaskResult(text: "done: 1.4x"))
        #expect(try b.tasks(.init(group: h.group, limit: 50)) == (try a.tasks(.init(group: h.group, limit: 50))))
        for id in h.intents { #expect(try b.intent(id: id) == (try a.intent(id: id))) }
        #expect(try b.intents(.init(group: h.group, limit: 50)) == (try a.intents(.init(group: h.group, limit: 50))))
        #expect(try b.settlement(id: h.settlement) == (try a.settlement(id: h.settlement)))
        #expect(try b.settlement(id: h.settlement)?.status == .finalised)
        let words = IntentWords.counts("road bike", asset: "").map(\.word)
        let ra = try a.intentCandidates(group: h.group, kind: .offer, words: words, excludingAuthor: nil, limit: 10)
        let rb = try b.intentCandidates(group: h.group, kind: .offer, words: words, excludingAuthor: nil, limit: 10)
        #expect(ra.candidates.map(\.id) == [h.intents[2]] && rb.candidates.map(\.id) == ra.candidates.map(\.id) && rb.documents == ra.documents)
    }

    @Test("rebuilding in place reproduces every index table, and is deterministic")
    func rebuildInPlace() throws {
        let h = try history()
        let before = try indexRows(h.chain.store)
        #expect(before["claims"]?.count == 3 && before["tasks"]?.count == 2 && before["intents"]?.count == 3)
        let first = try h.chain.store.rebuildIndexes(batch: 3)  // batches smaller than a block's origins
        #expect(try indexRows(h.chain.store) == before)
        let second = try h.chain.store.rebuildIndexes()
        #expect(first == second && first.transactions == 18)
        #expect(try indexRows(h.chain.store) == before)
    }

    @Test("an origin is kept for each successful indexed transaction only, and its codec refuses other versions")
    func originsAndCodec() throws {
        let h = try history()
        let origins = try h.chain.store.read("origins") { db in
            try Row.fetchAll(db, sql: "SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key",
                             arguments: [Data(OriginKeys.prefix), Data(Array("origins0".utf8))])
                .map { (Array(try $0.stored("key", of: "k", as: Data.self)), Array(try $0.stored("value", of: "v", as: Data.self))) }
        }
        // By block: 3 group steps (not registerMediator), 3 claims + setGroupRole, retract + create,
        // create + assign, start + complete + cancel (not the failed failTask), 3 intents, the
        // proposal (not the accepts: no index reads them; nor the transfer).
        let decoded = try origins.map { try BlockStore.decodeOrigin(key: $0.0, value: $0.1) }
        #expect(decoded.count == 3 + 4 + 2 + 2 + 3 + 3 + 1)
        #expect(decoded.map(\.position) == decoded.map(\.position).sorted())
        for (position, origin) in decoded {
            let row = try #require(try h.chain.store.read("tx") { db in
                try Row.fetchOne(db, sql: "SELECT bytes, receipt FROM transactions WHERE position = ?", arguments: [position])
            })
            #expect(Array(try row.stored("bytes", of: "tx", as: Data.self)) == origin.transaction.bytes)
            #expect(Array(try row.stored("receipt", of: "tx", as: Data.self)) == origin.receipt.canonicalBytes)
        }
        let one = decoded[0].origin
        #expect(try TransactionOrigin(canonicalBytes: one.canonicalBytes) == one)
        var other = one.canonicalBytes
        other[0] = 2
        #expect(throws: CodecError.unsupportedVersion(type: "origin", version: 2, supported: 1)) { try TransactionOrigin(canonicalBytes: other) }
        #expect(throws: StorageError.self) { try BlockStore.decodeOrigin(key: OriginKeys.prefix + [1], value: one.canonicalBytes) }
    }
}
