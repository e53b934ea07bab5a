import AgoraCore
import Foundation
import GRDB

/// Context retrieval over a group's claims: what an agent asks before it acts ("what do we know
/// that matters for this prompt"). The query's words (`ClaimWords`) are looked up in the claim
/// index's inverted index (`claim_words`, written at commit, retracted claims removed); each
/// word contributes its `postingsPerWord` most recent postings, so a query costs at most
/// words × postingsPerWord primary-key reads whatever the size of the group. Candidates are scored
/// by BM25 (the shared `BM25` the intent matcher uses) times a recency boost, the best
/// `candidatePool` are read in full and boosted by thread, and the ranked list is cut to a token
/// budget. Scores are quantised to millionths and ties broken by claim ID, so the answer is a
/// function of the query and the chain at the height it reports. See docs/groups-claims.md.
extension BlockStore {
    public struct ContextQuery: Sendable {
        public var group: Hash
        public var text: String
        /// Tokens the returned items may use together (`ContextRanking.tokens`).
        public var budget: Int
        /// A claim whose thread is boosted (the thread the agent is working in).
        public var thread: Hash?
        public var postingsPerWord = 2_000
        public var candidatePool = 200
        public var maxItems = 100

        public init(group: Hash, text: String, budget: Int, thread: Hash? = nil) {
            self.group = group
            self.text = text
            self.budget = budget
            self.thread = thread
        }
    }

    public struct ContextItem: Sendable, Equatable {
        public var claim: IndexedClaim
        /// The final score in millionths (BM25 × recency × thread).
        public var score: Int64
        /// The item's token estimate (`ContextRanking.tokens`).
        public var tokens: Int
    }

    public struct CompiledContext: Sendable, Equatable {
        /// The chain height the answer reflects.
        public var height: UInt64
        /// The query's words after normalisation.
        public var words: [String]
        public var items: [ContextItem]
        public var tokens: Int
        /// Claims that matched at least one word (within the postings read).
        public var candidates: Int
        /// Claims in the group's retrieval index (not retracted).
        public var documents: Int
    }

    public func compileContext(_ q: ContextQuery) throws -> CompiledContext {
        try read("compile context") { db in
            let height = try self.head(db).height
            let words = ClaimWords.query(q.text)
            let g = Data(q.group.bytes)
            let book = try Row.fetchOne(db, sql: "SELECT docs, total_length FROM claim_book WHERE group_id = ?", arguments: [g])
            let docs = try book.map { try $0.stored("docs", of: "claim book", as: Int.self) } ?? 0
            let total = try book.map { try $0.stored("total_length", of: "claim book", as: Int.self) } ?? 0
            guard !words.isEmpty, docs > 0 else {
                return CompiledContext(height: height, words: words, items: [], tokens: 0, candidates: 0, documents: docs)
            }
            let scores = try ContextRanking.textScores(db, group: g, words: words, documents: docs,
                                                       averageLength: Double(total) / Double(docs), postingsPerWord: q.postingsPerWord)
            let best = ContextRanking.best(scores, head: height, count: q.candidatePool)
            let threadRoot = try q.thread.flatMap { try Data.fetchOne(db, sql: "SELECT root FROM claims WHERE id = ?", arguments: [Data($0.bytes)]) }
                .flatMap { Hash(bytes: $0) }
            let candidates = ContextRanking.rank(pool: try poolEntries(db, positions: best.map(\.position)),
                                                 scores: Dictionary(uniqueKeysWithValues: best.map { ($0.position, $0.score) }), threadRoot: threadRoot)
            // Only the claims the budget takes are read in full, a chunk of the ranked list per
            // query (`contextClaims`), as far down the ranking as the budget reaches.
            let order = candidates.map(\.position)
            var loaded: [Int64: IndexedClaim] = [:]
            var next = 0
            let (kept, used) = try ContextRanking.fit(candidates, budget: q.budget, maxItems: q.maxItems) { position in
                while loaded[position] == nil, next < order.count {
                    let chunk = Array(order[next..<min(order.count, next + ContextRanking.loadChunk)])
                    next += chunk.count
                    for claim in try self.contextClaims(db, positions: chunk) { loaded[claim.position] = claim }
                }
                return loaded[position]
            }
            return CompiledContext(height: height, words: words, items: kept, tokens: used, candidates: scores.count, documents: docs)
        }
    }

    /// The claims at `positions` (any order; the retracted ones are left out) in one query. Only
    /// the transaction's body is decoded: the claim's ID, author, root and transaction ID are
    /// columns of the index, so neither the signature nor a SHA-256 is computed per item.
    func contextClaims(_ db: Database, positions: [Int64]) throws -> [IndexedClaim] {
        guard !positions.isEmpty else { return [] }
        let list = positions.map(String.init).joined(separator: ",")
        let rows = try Row.fetchCursor(db, sql: """
            SELECT c.position, c.id, c.author, c.root, c.time, t.id, t.bytes FROM claims c
            JOIN transactions t ON t.position = c.position WHERE c.position IN (\(list)) AND c.retracted_at IS NULL
            """)
        var out: [IndexedClaim] = []
        while let r = try rows.next() {
            let p: Int64 = try r.stored(at: 0, of: "claim row")
            let what = "claim at \(p)"
            let author: Data = try r.stored(at: 2, of: what)
            var reader = CanonicalReader(Array(try r.stored(at: 6, of: what, as: Data.self)))
            guard let id = Hash(bytes: try r.stored(at: 1, of: what, as: Data.self)), let root = Hash(bytes: try r.stored(at: 3, of: what, as: Data.self)),
                  let tx = Hash(bytes: try r.stored(at: 5, of: what, as: Data.self)), author.count == Address.size,
                  let body = try? reader.read(TransactionBody.self), case let .publishClaim(content) = body.payload
            else { throw StorageError.corrupt(what: "claim index row or transaction at \(p)") }
            let (height, index) = Schema.split(p)
            out.append(IndexedClaim(id: id, author: Address(raw: author), content: content, root: root, height: height, index: index,
                                    time: UInt64(clamping: try r.stored(at: 4, of: what, as: Int64.self)), transaction: tx, position: p,
                                    retraction: nil))
        }
        return out
    }

    /// ID and thread root of the claims at `positions` (any order), from the claims table alone.
    func poolEntries(_ db: Database, positions: [Int64]) throws -> [ContextRanking.Entry] {
        guard !positions.isEmpty else { return [] }
        let list = positions.map(String.init).joined(separator: ",")
        return try Row.fetchAll(db, sql: "SELECT position, id, root FROM claims WHERE position IN (\(list)) AND retracted_at IS NULL").map { r in
            let p: Int64 = try r.stored("position", of: "claim row")
            guard let id = Hash(bytes: try r.stored("id", of: "claim at \(p)", as: Data.self)),
                  let root = Hash(bytes: try r.stored("root", of: "claim at \(p)", as: Data.self)) else {
                throw StorageError.corrupt(what: "claim index row at \(p)")
            }
            return ContextRanking.Entry(position: p, id: id, root: root, score: 0)
        }
    }
}

/// The ranking rules of context retrieval, apart from SQL so that they are read (and tested) as
/// what they are. Every constant here is documented in docs/groups-claims.md.
public enum ContextRanking {
    /// Recency: a claim `age` heights old is boosted by 1 + 0.5 · H / (H + age), H = 100,000
    /// heights (about a day at one block a second): 1.5× at the head, 1.25× at H, towards 1×.
    public static let recencyHeights = 100_000.0
    public static let recencyWeight = 0.5
    /// Thread: ×(1 + 0.1 · n) for n (at most 3) other candidates in the same thread, and ×1.5 for
    /// claims of the thread the query names.
    public static let threadSupport = 0.1
    public static let threadSupportCap = 3
    public static let namedThread = 1.5
    /// Claims read per query when the budget walks down the ranking (a 2,000-token budget
    /// takes about 80 short claims: three queries, not eighty).
    static let loadChunk = 32
    /// Tokens an item costs besides its text and tags: ID, author, height and score.
    public static let itemOverheadTokens = 8

    /// The token estimate of one item: ⌈UTF-8 bytes of the text / 4⌉ + one per tag + 8. Four
    /// bytes per token is the usual figure for English under BPE tokenisers; it overestimates for
    /// long words and underestimates for non-Latin scripts, which a budget with margin absorbs.
    public static func tokens(_ content: ClaimContent) -> Int {
        (content.text.utf8.count + 3) / 4 + content.tags.count + itemOverheadTokens
    }

    public static func recency(position: Int64, head: UInt64) -> Double {
        let height = UInt64(position >> 20)
        let age = Double(head >= height ? head - height : 0)
        return 1 + recencyWeight * recencyHeights / (recencyHeights + age)
    }

    /// BM25 of every claim whose postings were read, keyed by position. Words are visited in
    /// query order so the sums are the same on every run.
    static func textScores(_ db: Database, group: Data, words: [String], documents: Int, averageLength: Double,
                           postingsPerWord: Int) throws -> [Int64: Double] {
        let dfStatement = try db.cachedStatement(sql: "SELECT df FROM claim_word_df WHERE group_id = ? AND word = ?")
        let postings = try db.cachedStatement(sql: """
            SELECT position, tf, length FROM claim_words WHERE group_id = ? AND word = ? ORDER BY position DESC LIMIT ?
            """)
        var scores: [Int64: Double] = [:]
        for w in words {
            guard let df = try Int.fetchOne(dfStatement, arguments: [group, w]), df > 0 else { continue }
            let idf = BM25.idf(documents: documents, frequency: min(df, documents))
            let rows = try Row.fetchCursor(postings, arguments: [group, w, postingsPerWord])
            while let r = try rows.next() {
                let p: Int64 = try r.stored(at: 0, of: "claim word \(w)")
                let tf: Int = try r.stored(at: 1, of: "claim word \(w) at \(p)")
                let length: Int = try r.stored(at: 2, of: "claim word \(w) at \(p)")
                scores[p, default: 0] += idf * BM25.termWeight(tf: tf, length: length, averageLength: averageLength)
            }
        }
        return scores
    }

    /// The `count` best candidates by BM25 × recency, best first, ties by position (older
    /// first): the same list a full sort gives, found with a bounded heap in one pass over the
    /// candidates (thousands at a million claims) instead of sorting them all.
    public static func best(_ scores: [Int64: Double], head: UInt64, count: Int) -> [(position: Int64, score: Double)] {
        guard count > 0 else { return [] }
        var heap = WorstFirstHeap(capacity: count)
        for (position, bm25) in scores { heap.offer(position: position, score: bm25 * recency(position: position, head: head)) }
        return heap.sortedBestFirst()
    }

    /// At most `capacity` candidates with the worst kept one at the root, so that a candidate
    /// that cannot enter costs one comparison.
    struct WorstFirstHeap {
        let capacity: Int
        var items: [(position: Int64, score: Double)] = []

        init(capacity: Int) {
            self.capacity = capacity
            items.reserveCapacity(capacity)
        }

        /// `a` ranks above `b`: higher score, or the same score and an earlier position.
        static func better(_ a: (position: Int64, score: Double), _ b: (position: Int64, score: Double)) -> Bool {
            a.score != b.score ? a.score > b.score : a.position < b.position
        }

        mutating func offer(position: Int64, score: Double) {
            let item = (position: position, score: score)
            if items.count < capacity {
                items.append(item)
                var i = items.count - 1
                while i > 0, Self.better(items[(i - 1) / 2], items[i]) {
                    items.swapAt(i, (i - 1) / 2)
                    i = (i - 1) / 2
                }
            } else if let root = items.first, Self.better(item, root) {
                items[0] = item
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var worst = i
                    if l < items.count, Self.better(items[worst], items[l]) { worst = l }
                    if r < items.count, Self.better(items[worst], items[r]) { worst = r }
                    if worst == i { break }
                    items.swapAt(i, worst)
                    i = worst
                }
            }
        }

        func sortedBestFirst() -> [(position: Int64, score: Double)] { items.sorted(by: Self.better) }
    }

    /// A candidate being ranked: where it is, its ID and thread, and its score in millionths.
    public struct Entry: Sendable, Equatable {
        public var position: Int64
        public var id: Hash
        public var root: Hash
        public var score: Int64
    }

    /// The pool ranked: `scores` (BM25 × recency) times the thread boosts, quantised to
    /// millionths, best first, ties by claim ID.
    public static func rank(pool: [Entry], scores: [Int64: Double], threadRoot: Hash?) -> [Entry] {
        var perRoot: [Hash: Int] = [:]
        for c in pool { perRoot[c.root, default: 0] += 1 }
        var ranked = pool.map { c -> Entry in
            var s = scores[c.position] ?? 0
            s *= 1 + threadSupport * Double(min(threadSupportCap, (perRoot[c.root] ?? 1) - 1))
            if c.root == threadRoot { s *= namedThread }
            return Entry(position: c.position, id: c.id, root: c.root, score: Int64((s * 1_000_000).rounded()))
        }
        ranked.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return ranked
    }

    /// Items in rank order while they fit: one that does not fit is skipped and smaller ones
    /// after it may still be taken (the budget is used, the order kept), at most `maxItems`;
    /// stops once what is left could not hold any item. `load` reads a claim in full.
    public static func fit(_ ranked: [Entry], budget: Int, maxItems: Int,
                           load: (Int64) throws -> IndexedClaim?) throws -> ([BlockStore.ContextItem], Int) {
        var kept: [BlockStore.ContextItem] = []
        var used = 0
        for entry in ranked where kept.count < maxItems {
            guard let claim = try load(entry.position) else { continue }
            let cost = tokens(claim.content)
            guard used + cost <= budget else { continue }
            kept.append(BlockStore.ContextItem(claim: claim, score: entry.score, tokens: cost))
            used += cost
            if budget - used <= itemOverheadTokens { break }
        }
        return (kept, used)
    }
}
