import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import Testing
@testable import AgoraStorage

/// Retractions in the claim index and context retrieval over it: what default queries and
/// retrieval leave out, the token budget, determinism, the thread boost, and the quality of the
/// ranking on a labelled corpus (precision@5 and recall@20 printed and held above a floor).
@Suite("Claim retraction and context retrieval")
struct ClaimContextTests {
    let validator = SigningKey()
    let admin = SigningKey(), alice = SigningKey()

    func chainWithGroup() throws -> (ClaimIndexTests.TestChain, Hash) {
        let c = try ClaimIndexTests.TestChain(validator: validator, funded: [admin, alice])
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "g", policy: .none)),
                      c.tx(admin, .addGroupMember(group: group, member: alice.address, role: .member))])
        return (c, group)
    }

    @Test("a retracted claim keeps its row with height and reason, leaves default lists, threads and retrieval, and shows with includeRetracted")
    func retraction() throws {
        let (c, group) = try chainWithGroup()
        let (t1, wrong) = c.claim(alice, group, "the cache halves latency", tags: ["perf"])
        let (t2, reply) = c.claim(admin, group, "cache latency confirmed", parent: wrong)
        try c.commit([t1, t2])
        #expect(try c.store.compileContext(.init(group: group, text: "cache latency", budget: 2_000)).items.count == 2)
        let receipts = try c.commit([c.tx(alice, .retractClaim(claim: wrong, reason: "bad measurement"))])
        #expect(receipts.allSatisfy { $0.succeeded })
        let height = try c.store.head().height

        #expect(try c.store.claims(.init(group: group, limit: 50)).map(\.id) == [reply])
        #expect(try c.store.claims(.init(group: group, tag: "perf", limit: 50)).isEmpty)
        var all = BlockStore.ClaimQuery(group: group, limit: 50)
        all.includeRetracted = true
        let listed = try c.store.claims(all)
        #expect(listed.map(\.id) == [wrong, reply])
        #expect(listed[0].retraction == ClaimRetraction(height: height, reason: "bad measurement") && listed[1].retraction == nil)
        #expect(try c.store.claim(id: wrong)?.retraction?.reason == "bad measurement")
        #expect(try c.store.thread(root: wrong, after: nil, limit: 50).map(\.id) == [reply])
        #expect(try c.store.thread(root: wrong, after: nil, limit: 50, includeRetracted: true).map(\.id) == [wrong, reply])

        let context = try c.store.compileContext(.init(group: group, text: "cache latency", budget: 2_000))
        #expect(context.items.map(\.claim.id) == [reply])
        #expect(context.documents == 1)
    }

    @Test("items fit the budget by the documented estimate, carry ID, author, height and score, best first, ties by claim ID")
    func budgetAndShape() throws {
        let (c, group) = try chainWithGroup()
        var txs: [Transaction] = []
        for i in 0..<30 { txs.append(c.claim(alice, group, "gpu kernel tuning note \(i): " + String(repeating: "detail ", count: i * 4)).0) }
        try c.commit(txs)
        let r = try c.store.compileContext(.init(group: group, text: "gpu kernel tuning", budget: 300))
        #expect(!r.items.isEmpty && r.tokens <= 300 && r.tokens == r.items.map(\.tokens).reduce(0, +))
        #expect(r.candidates == 30 && r.words == ["gpu", "kernel", "tun"])
        for item in r.items {
            #expect(item.tokens == (item.claim.content.text.utf8.count + 3) / 4 + item.claim.content.tags.count + 8)
            #expect(item.claim.author == alice.address && item.claim.height == 2 && item.score > 0)
        }
        for (a, b) in zip(r.items, r.items.dropFirst()) { #expect(a.score > b.score || (a.score == b.score && a.claim.id < b.claim.id)) }
        // The same query at the same height gives the same answer.
        #expect(try c.store.compileContext(.init(group: group, text: "gpu kernel tuning", budget: 300)) == r)
        #expect(try c.store.compileContext(.init(group: group, text: "unrelated words only", budget: 300)).items.isEmpty)
    }

    @Test("newer claims and claims of the named thread rank above equal older ones")
    func recencyAndThread() throws {
        let (c, group) = try chainWithGroup()
        let (t1, old) = c.claim(alice, group, "shard rebalancing plan")
        try c.commit([t1])
        let (t2, root) = c.claim(admin, group, "a thread about storage")
        try c.commit([t2])
        let (t3, inThread) = c.claim(alice, group, "shard rebalancing plan", parent: root)
        let (t4, fresh) = c.claim(admin, group, "shard rebalancing plan")
        try c.commit([t3, t4])
        let plain = try c.store.compileContext(.init(group: group, text: "shard rebalancing", budget: 2_000)).items.map(\.claim.id)
        #expect(plain.last == old)
        var q = BlockStore.ContextQuery(group: group, text: "shard rebalancing", budget: 2_000)
        q.thread = inThread
        let boosted = try c.store.compileContext(q).items.map(\.claim.id)
        #expect(boosted.first == inThread && Set(boosted) == Set([old, inThread, fresh]))
    }

    @Test("labelled corpus: precision@5 and recall@20 stay above their floors")
    func corpusQuality() throws {
        let (c, group) = try chainWithGroup()
        var topicOf: [Hash: Int] = [:]
        var txs: [Transaction] = []
        for claim in ContextCorpus.claims {
            let (tx, id) = c.claim(alice, group, claim.text, tags: claim.tags)
            topicOf[id] = claim.topic
            txs.append(tx)
        }
        for chunk in stride(from: 0, to: txs.count, by: 50) { try c.commit(Array(txs[chunk..<min(txs.count, chunk + 50)])) }
        var precision = 0.0, recall = 0.0
        let topics = ContextCorpus.topics.count
        for t in 0..<topics {
            var q = BlockStore.ContextQuery(group: group, text: ContextCorpus.query(t), budget: 32_000)
            q.maxItems = 20
            let ranked = try c.store.compileContext(q).items.map(\.claim.id)
            let relevant = topicOf.filter { $0.value == t }.count
            precision += Double(ranked.prefix(5).filter { topicOf[$0] == t }.count) / 5
            recall += Double(ranked.prefix(20).filter { topicOf[$0] == t }.count) / Double(relevant)
        }
        precision /= Double(topics)
        recall /= Double(topics)
        print(String(format: "context corpus: %d claims, %d queries, precision@5 %.3f, recall@20 %.3f", txs.count, topics, precision, recall))
        // Measured 0.820 and 0.720 when written: lexical retrieval cannot find the corpus's claims
        // that share no word with the query (by design, about a quarter), so recall stays below 1.
        #expect(precision >= 0.75, "precision@5 \(precision)")
        #expect(recall >= 0.65, "recall@20 \(recall)")
    }

    @Test("the bounded heap picks the same best candidates in the same order as a full sort, ties by position (seeded)")
    func bestMatchesFullSort() {
        var rng = SplitMix64(seed: 18)
        for round in 0..<40 {
            let n = Int(rng.next() % 3_000)
            var scores: [Int64: Double] = [:]
            // Scores from a few dozen values so that many tie; positions spread over heights.
            for _ in 0..<n { scores[Int64(rng.next() % 1_000_000)] = Double(rng.next() % 40) / 4 }
            let head = UInt64(rng.next() % 2)
            let count = [0, 1, 7, 200, 5_000][round % 5]
            var full = scores.map { (position: $0.key, score: $0.value * ContextRanking.recency(position: $0.key, head: head)) }
            full.sort { $0.score != $1.score ? $0.score > $1.score : $0.position < $1.position }
            let best = ContextRanking.best(scores, head: head, count: count)
            #expect(best.map(\.position) == full.prefix(count).map(\.position), "round \(round): \(n) candidates, best \(count)")
            #expect(best.map(\.score) == full.prefix(count).map(\.score))
        }
    }
}
