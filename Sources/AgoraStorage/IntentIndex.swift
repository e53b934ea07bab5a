import AgoraCore
import AgoraState
import Foundation
import GRDB

/// The node's index of the intents module, written inside each block's commit transaction from
/// the block, its receipts and its write set (so end-of-block finalisations and expiries, which
/// no transaction carries, are reflected too): every posted intent with its terms and current
/// status; an inverted index of the words of the *open* intents per (group, kind) with
/// document frequencies and book sizes, which is how the mediator retrieves candidates (one
/// primary-key range per query word, never a scan of the book); every settlement by mediator
/// and by party. Words come from `IntentWords`, the same function the matcher uses.
struct IntentIndex: BlockIndexer {
    func index(_ db: Database, _ batch: BlockStore.CommitBatch) throws {
        try IntentIndex.index(db, IndexedTransactions(block: batch.block, receipts: batch.receipts))
        try IntentIndex.applyStatuses(db, batch.writes.entries.lazy.map { ($0.key.bytes, $0.value) })
    }

    static func index(_ db: Database, _ txs: IndexedTransactions) throws {
        let height = txs.height
        for (i, tx) in txs.items {
            let position = Schema.position(height: height, index: i)
            switch tx.body.payload {
            case let .postIntent(content):
                let id = LedgerID.intent(author: tx.sender, nonce: tx.body.nonce)
                let words = IntentWords.counts(content.text, asset: content.terms.asset)
                let length = words.reduce(0) { $0 + $1.count }
                try db.execute(sql: """
                    INSERT INTO intents(position, id, group_id, author, kind, asset, deadline, length, status, settlement)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
                    """, arguments: [position, Data(id.bytes), Data(content.group.bytes), Data(tx.sender.bytes), Int(content.kind.rawValue),
                                     content.terms.asset, Int64(clamping: content.terms.deadline ?? 0), length, Int(IntentStatus.open.rawValue)])
                try addWords(db, group: content.group, kind: content.kind, position: position, words: words, length: length)
            case let .proposeSettlement(p):
                let id = LedgerID.settlement(mediator: tx.sender, nonce: tx.body.nonce)
                try db.execute(sql: "INSERT INTO settlements(position, id, group_id, mediator, status) SELECT ?, ?, group_id, ?, ? FROM intents WHERE id = ?",
                               arguments: [position, Data(id.bytes), Data(tx.sender.bytes), Int(SettlementStatus.proposed.rawValue),
                                           Data(p.intents[0].bytes)])
                for intent in p.intents {
                    try db.execute(sql: "INSERT OR IGNORE INTO settlement_parties(address, position) SELECT author, ? FROM intents WHERE id = ?",
                                   arguments: [position, Data(intent.bytes)])
                }
            default:
                continue
            }
        }
    }

    /// Status changes, from state's own record of them: a block's writes, or (rebuilding from
    /// the state) every intent and settlement record.
    static func applyStatuses<S: Sequence>(_ db: Database, _ entries: S) throws where S.Element == ([UInt8], [UInt8]?) {
        let ip = IntentKeys.intentPrefix, sp = IntentKeys.settlementPrefix
        for (key, value) in entries {
            if key.count == ip.count + 32, key.starts(with: ip), let raw = value, let r = try? IntentRecord(canonicalBytes: raw) {
                let id = Data(key[ip.count...])
                guard let row = try Row.fetchOne(db, sql: "SELECT position, status, group_id, kind FROM intents WHERE id = ?", arguments: [id]) else {
                    continue
                }
                let position: Int64 = try row.stored("position", of: "intent index row")
                let was = IntentStatus(rawValue: UInt8(clamping: try row.stored("status", of: "intent at \(position)", as: Int.self))) ?? .open
                try db.execute(sql: "UPDATE intents SET status = ?, settlement = ? WHERE position = ?",
                               arguments: [Int(r.status.rawValue), r.settlement.map { Data($0.bytes) }, position])
                if was == .open && r.status != .open {
                    try removeWords(db, group: r.group, kind: r.kind, position: position)
                } else if was != .open && r.status == .open {
                    // Reopened by an upheld challenge: its words come back from its transaction.
                    guard let bytes = try Data.fetchOne(db, sql: "SELECT bytes FROM transactions WHERE position = ?", arguments: [position]),
                          let tx = try? Transaction(bytes: Array(bytes)), case let .postIntent(c) = tx.body.payload else { continue }
                    let words = IntentWords.counts(c.text, asset: c.terms.asset)
                    try addWords(db, group: c.group, kind: c.kind, position: position, words: words, length: words.reduce(0) { $0 + $1.count })
                }
            } else if key.count == sp.count + 32, key.starts(with: sp), let raw = value, let s = try? SettlementRecord(canonicalBytes: raw) {
                try db.execute(sql: "UPDATE settlements SET status = ? WHERE id = ?", arguments: [Int(s.status.rawValue), Data(key[sp.count...])])
            }
        }
    }

    static func addWords(_ db: Database, group: Hash, kind: IntentKind, position: Int64, words: [(word: String, count: Int)], length: Int) throws {
        let g = Data(group.bytes), k = Int(kind.rawValue)
        let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO intent_words(group_id, kind, word, position, tf) VALUES (?, ?, ?, ?, ?)")
        let df = try db.cachedStatement(sql: """
            INSERT INTO intent_word_df(group_id, kind, word, df) VALUES (?, ?, ?, 1)
            ON CONFLICT(group_id, kind, word) DO UPDATE SET df = df + 1
            """)
        for (w, c) in words {
            insert.setUncheckedArguments([g, k, w, position, c])
            try insert.execute()
            df.setUncheckedArguments([g, k, w])
            try df.execute()
        }
        try db.execute(sql: """
            INSERT INTO intent_book(group_id, kind, docs, total_length) VALUES (?, ?, 1, ?)
            ON CONFLICT(group_id, kind) DO UPDATE SET docs = docs + 1, total_length = total_length + excluded.total_length
            """, arguments: [g, k, length])
    }

    static func removeWords(_ db: Database, group: Hash, kind: IntentKind, position: Int64) throws {
        let g = Data(group.bytes), k = Int(kind.rawValue)
        let rows = try Row.fetchAll(db, sql: "SELECT word, tf FROM intent_words WHERE position = ?", arguments: [position])
        guard !rows.isEmpty else { return }
        var length = 0
        for r in rows {
            length += try r.stored("tf", of: "intent word at \(position)", as: Int.self)
            try db.execute(sql: "UPDATE intent_word_df SET df = df - 1 WHERE group_id = ? AND kind = ? AND word = ?",
                           arguments: [g, k, try r.stored("word", of: "intent word at \(position)", as: String.self)])
        }
        try db.execute(sql: "DELETE FROM intent_word_df WHERE group_id = ? AND kind = ? AND df <= 0", arguments: [g, k])
        try db.execute(sql: "DELETE FROM intent_words WHERE position = ?", arguments: [position])
        try db.execute(sql: "UPDATE intent_book SET docs = docs - 1, total_length = total_length - ? WHERE group_id = ? AND kind = ?",
                       arguments: [length, g, k])
    }
}

/// An intent as the index serves it: its content from its transaction, its status from state
/// (as of the last commit) and where it was committed.
public struct IndexedIntent: Sendable, Equatable {
    public var id: Hash
    public var author: Address
    public var content: IntentContent
    public var status: IntentStatus
    public var settlement: Hash?
    public var height: UInt64
    public var transaction: Hash
    /// The paging cursor and the intent's place in chain order.
    public var position: Int64
    /// Number of indexed words (BM25's document length).
    public var length: Int
}

public struct IndexedSettlement: Sendable, Equatable {
    public var id: Hash
    public var mediator: Address
    public var proposal: SettlementProposal
    public var status: SettlementStatus
    public var height: UInt64
    public var transaction: Hash
    public var position: Int64
}

/// What candidate retrieval returns for one query: the candidates (open intents of the
/// complementary kind in the group sharing at least one word), how often each query word occurs
/// in each, and the statistics BM25 needs.
public struct IntentRetrieval: Sendable {
    public var candidates: [IndexedIntent]
    /// position → word → tf, for the query's words only.
    public var termFrequencies: [Int64: [String: Int]]
    /// Documents in the (group, kind) book, and their mean length.
    public var documents: Int
    public var averageLength: Double
    /// word → document frequency in the (group, kind) book.
    public var documentFrequencies: [String: Int]
}

extension BlockStore {
    public struct IntentQuery: Sendable {
        public var group: Hash?
        public var author: Address?
        public var status: IntentStatus?
        public var after: Int64?
        public var limit: Int
        public init(group: Hash? = nil, author: Address? = nil, status: IntentStatus? = nil, after: Int64? = nil, limit: Int) {
            self.group = group
            self.author = author
            self.status = status
            self.after = after
            self.limit = limit
        }
    }

    private static let intentSelect = """
        SELECT i.position, i.id, i.status, i.settlement, i.length, t.bytes, t.id AS tx FROM intents i
        JOIN transactions t ON t.position = i.position
        """

    /// Intents in chain order after `after`, filtered by group (with status), author or status:
    /// each filter is one index range.
    public func intents(_ q: IntentQuery) throws -> [IndexedIntent] {
        try read("list intents") { db in
            var clauses = ["i.position > ?"]
            var args: [(any DatabaseValueConvertible)?] = [q.after ?? -1]
            if let g = q.group { clauses.append("i.group_id = ?"); args.append(Data(g.bytes)) }
            if let a = q.author { clauses.append("i.author = ?"); args.append(Data(a.bytes)) }
            if let s = q.status { clauses.append("i.status = ?"); args.append(Int(s.rawValue)) }
            args.append(q.limit)
            return try Row.fetchAll(db, sql: "\(Self.intentSelect) WHERE \(clauses.joined(separator: " AND ")) ORDER BY i.position LIMIT ?",
                                    arguments: StatementArguments(args)).map(self.indexedIntent)
        }
    }

    public func intent(id: Hash) throws -> IndexedIntent? {
        try read("intent \(id)") { db in
            try Row.fetchOne(db, sql: "\(Self.intentSelect) WHERE i.id = ?", arguments: [Data(id.bytes)]).map(self.indexedIntent)
        }
    }

    /// Open intents of `kind` in `group` that share a word with `words`, best first by the sum of
    /// the shared words' inverse document frequencies, at most `limit`. Each word contributes at
    /// most its `postingsPerWord` most recent intents (a descending range of the primary key), and
    /// words in more than `maxPostings` intents are skipped for retrieval (they still count in
    /// scoring): the cost of one query is bounded by words × postingsPerWord, whatever the size
    /// of the book.
    public func intentCandidates(group: Hash, kind: IntentKind, words: [String], excludingAuthor: Address?, limit: Int,
                                 postingsPerWord: Int = 1_000, maxPostings: Int = 50_000) throws -> IntentRetrieval {
        try read("intent candidates") { db in
            let g = Data(group.bytes), k = Int(kind.rawValue)
            let book = try Row.fetchOne(db, sql: "SELECT docs, total_length FROM intent_book WHERE group_id = ? AND kind = ?", arguments: [g, k])
            let docs = try book.map { try $0.stored("docs", of: "intent book", as: Int.self) } ?? 0
            let total = try book.map { try $0.stored("total_length", of: "intent book", as: Int.self) } ?? 0
            var df: [String: Int] = [:]
            let dfStatement = try db.cachedStatement(sql: "SELECT df FROM intent_word_df WHERE group_id = ? AND kind = ? AND word = ?")
            for w in Set(words) { df[w] = try Int.fetchOne(dfStatement, arguments: [g, k, w]) ?? 0 }
            var weight: [Int64: Double] = [:]
            var tfs: [Int64: [String: Int]] = [:]
            let postings = try db.cachedStatement(sql: """
                SELECT position, tf FROM intent_words WHERE group_id = ? AND kind = ? AND word = ? ORDER BY position DESC LIMIT ?
                """)
            for (w, n) in df where n > 0 && n <= maxPostings {
                let idf = BM25.idf(documents: docs, frequency: n)
                let rows = try Row.fetchAll(postings, arguments: [g, k, w, postingsPerWord])
                for r in rows {
                    let p: Int64 = try r.stored("position", of: "intent word \(w)")
                    weight[p, default: 0] += idf
                    tfs[p, default: [:]][w] = try r.stored("tf", of: "intent word \(w) at \(p)", as: Int.self)
                }
            }
            let best = weight.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit * 2).map(\.key)
            var out: [IndexedIntent] = []
            if !best.isEmpty {
                let list = best.map(String.init).joined(separator: ",")
                let rows = try Row.fetchAll(db, sql: "\(Self.intentSelect) WHERE i.position IN (\(list))")
                var byPosition: [Int64: IndexedIntent] = [:]
                for r in rows {
                    let c = try self.indexedIntent(r)
                    if c.author != excludingAuthor { byPosition[c.position] = c }
                }
                out = best.compactMap { byPosition[$0] }.prefix(limit).map { $0 }
            }
            return IntentRetrieval(candidates: out, termFrequencies: tfs.filter { p in out.contains { $0.position == p.key } },
                                   documents: docs, averageLength: docs > 0 ? Double(total) / Double(docs) : 1, documentFrequencies: df)
        }
    }

    public struct SettlementQuery: Sendable {
        public var party: Address?
        public var mediator: Address?
        public var status: SettlementStatus?
        public var after: Int64?
        public var limit: Int
        public init(party: Address? = nil, mediator: Address? = nil, status: SettlementStatus? = nil, after: Int64? = nil, limit: Int) {
            self.party = party
            self.mediator = mediator
            self.status = status
            self.after = after
            self.limit = limit
        }
    }

    /// Settlements in chain order, by party or mediator (one index range each) or all.
    public func settlements(_ q: SettlementQuery) throws -> [IndexedSettlement] {
        try read("list settlements") { db in
            var sql = "SELECT s.position, s.id, s.mediator, s.status, t.bytes, t.id AS tx FROM settlements s JOIN transactions t ON t.position = s.position"
            var clauses = ["s.position > ?"]
            var args: [(any DatabaseValueConvertible)?] = [q.after ?? -1]
            if let p = q.party {
                sql += " JOIN settlement_parties sp ON sp.position = s.position"
                clauses.append("sp.address = ?")
                args.append(Data(p.bytes))
            }
            if let m = q.mediator { clauses.append("s.mediator = ?"); args.append(Data(m.bytes)) }
            if let s = q.status { clauses.append("s.status = ?"); args.append(Int(s.rawValue)) }
            args.append(q.limit)
            return try Row.fetchAll(db, sql: "\(sql) WHERE \(clauses.joined(separator: " AND ")) ORDER BY s.position LIMIT ?",
                                    arguments: StatementArguments(args)).map(self.indexedSettlement)
        }
    }

    public func settlement(id: Hash) throws -> IndexedSettlement? {
        try read("settlement \(id)") { db in
            try Row.fetchOne(db, sql: """
                SELECT s.position, s.id, s.mediator, s.status, t.bytes, t.id AS tx FROM settlements s
                JOIN transactions t ON t.position = s.position WHERE s.id = ?
                """, arguments: [Data(id.bytes)]).map(self.indexedSettlement)
        }
    }

    /// Settled-or-not pairs a mediator already proposed (for its "never twice" memory on restart).
    public func proposedIntentSets(mediator: Address, limit: Int = 1_000_000) throws -> [[Hash]] {
        try settlements(SettlementQuery(mediator: mediator, limit: limit)).map(\.proposal.intents)
    }

    private func indexedIntent(_ row: Row) throws -> IndexedIntent {
        let position: Int64 = try row.stored("position", of: "intent index row")
        let what = "intent at \(position)"
        let bytes: Data = try row.stored("bytes", of: what)
        guard let tx = try? Transaction(bytes: Array(bytes)), case let .postIntent(content) = tx.body.payload,
              let id = Hash(bytes: try row.stored("id", of: what, as: Data.self)),
              let status = IntentStatus(rawValue: UInt8(clamping: try row.stored("status", of: what, as: Int.self)))
        else { throw StorageError.corrupt(what: "intent index row at \(position)") }
        let settlement = try row.storedIfPresent("settlement", of: what, as: Data.self).flatMap { Hash(bytes: $0) }
        return IndexedIntent(id: id, author: tx.sender, content: content, status: status, settlement: settlement,
                             height: Schema.split(position).height, transaction: tx.id, position: position,
                             length: try row.stored("length", of: what))
    }

    private func indexedSettlement(_ row: Row) throws -> IndexedSettlement {
        let position: Int64 = try row.stored("position", of: "settlement index row")
        let what = "settlement at \(position)"
        let bytes: Data = try row.stored("bytes", of: what)
        guard let tx = try? Transaction(bytes: Array(bytes)), case let .proposeSettlement(p) = tx.body.payload,
              let id = Hash(bytes: try row.stored("id", of: what, as: Data.self)),
              let status = SettlementStatus(rawValue: UInt8(clamping: try row.stored("status", of: what, as: Int.self)))
        else { throw StorageError.corrupt(what: "settlement index row at \(position)") }
        return IndexedSettlement(id: id, mediator: tx.sender, proposal: p, status: status, height: Schema.split(position).height,
                                 transaction: tx.id, position: position)
    }
}
