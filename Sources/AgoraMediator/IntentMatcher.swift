import AgoraCore
import AgoraState
import Foundation
import Synchronization

/// The matching seam of the mediator: an `IntentBook` retrieves candidate intents for a new one
/// by index (the node's SQLite index, or an in-memory inverted index for tests and benchmarks),
/// and an `IntentMatcher` judges candidate pairs — the built-in BM25 + terms matcher by default,
/// an OpenAI-compatible chat-completions model when one is configured. A judgement carries the
/// score parts that go on chain with the proposal, the terms text, and the agreed terms.

/// An intent as the mediator sees it.
public struct BookIntent: Sendable, Hashable {
    public var id: Hash
    public var author: Address
    public var group: Hash
    public var kind: IntentKind
    public var text: String
    public var terms: IntentTerms
    public var height: UInt64
    /// Indexed words with counts (`IntentWords.counts`).
    public var words: [String: Int]
    public var length: Int

    public init(id: Hash, author: Address, group: Hash, kind: IntentKind, text: String, terms: IntentTerms, height: UInt64) {
        self.id = id
        self.author = author
        self.group = group
        self.kind = kind
        self.text = text
        self.terms = terms
        self.height = height
        let counts = IntentWords.counts(text, asset: terms.asset)
        words = Dictionary(uniqueKeysWithValues: counts.map { ($0.word, $0.count) })
        length = counts.reduce(0) { $0 + $1.count }
    }

    /// A candidate as the index returns it: only the words the query shares with it (that is
    /// all BM25 reads) and its indexed length, so retrieval does not tokenise every candidate.
    public init(id: Hash, author: Address, group: Hash, kind: IntentKind, text: String, terms: IntentTerms, height: UInt64,
                words: [String: Int], length: Int) {
        self.id = id
        self.author = author
        self.group = group
        self.kind = kind
        self.text = text
        self.terms = terms
        self.height = height
        self.words = words
        self.length = length
    }
}

/// The statistics BM25 needs about the book a candidate came from.
public struct BookStatistics: Sendable {
    public var documents: Int
    public var averageLength: Double
    public var documentFrequencies: [String: Int]

    public init(documents: Int, averageLength: Double, documentFrequencies: [String: Int]) {
        self.documents = documents
        self.averageLength = averageLength
        self.documentFrequencies = documentFrequencies
    }
}

/// Candidates for one intent: open intents of the complementary kind in its group that share a
/// word with it, best first, with their book's statistics.
public struct Retrieval: Sendable {
    public var candidates: [BookIntent]
    public var statistics: BookStatistics
}

public protocol IntentBook: Sendable {
    func candidates(for intent: BookIntent, limit: Int) throws -> Retrieval
}

/// One pair to judge: `query` is the new intent, `candidate` one retrieved for it.
public struct CandidatePair: Sendable {
    public var query: BookIntent
    public var candidate: BookIntent
    public var statistics: BookStatistics
    /// The chain height now (deadlines).
    public var height: UInt64

    public init(query: BookIntent, candidate: BookIntent, statistics: BookStatistics, height: UInt64) {
        self.query = query
        self.candidate = candidate
        self.statistics = statistics
        self.height = height
    }

    public var offer: BookIntent { query.kind == .offer ? query : candidate }
    public var request: BookIntent { query.kind == .offer ? candidate : query }
}

/// A matcher's verdict on a pair it accepts.
public struct PairJudgement: Sendable, Equatable {
    public var score: MatchScore
    public var termsText: String
    /// What the parties would agree: the overlap of their terms.
    public var terms: IntentTerms
    /// Native units the requester pays the offerer at finalisation (nil: nothing moves on chain).
    public var price: UInt64?

    public init(score: MatchScore, termsText: String, terms: IntentTerms, price: UInt64?) {
        self.score = score
        self.termsText = termsText
        self.terms = terms
        self.price = price
    }
}

public protocol IntentMatcher: Sendable {
    var name: String { get }
    /// One verdict per pair, in order: nil = not a match. Throws only when the matcher as a
    /// whole cannot judge (the mediator then falls back or skips this round).
    func judge(_ pairs: [CandidatePair]) async throws -> [PairJudgement?]
}

/// An in-memory inverted index with the same retrieval rule as the SQLite index: postings per
/// (group, kind, word), candidates ranked by the summed IDF of shared words, words in more than
/// `maxPostings` intents skipped for retrieval. Used by the corpus test and `agora bench mediator`.
public final class MemoryIntentBook: IntentBook {
    struct Shelf {
        var postings: [String: [Hash: Int]] = [:]
        var totalLength = 0
        var count = 0
    }

    struct Key: Hashable {
        let group: Hash
        let kind: IntentKind
    }

    private let state = Mutex<(shelves: [Key: Shelf], intents: [Hash: BookIntent])>(([:], [:]))
    let maxPostings: Int

    public init(maxPostings: Int = 5_000) { self.maxPostings = maxPostings }

    public var count: Int { state.withLock { $0.intents.count } }

    public func intent(_ id: Hash) -> BookIntent? { state.withLock { $0.intents[id] } }

    public func add(_ intent: BookIntent) {
        state.withLock { s in
            guard s.intents[intent.id] == nil else { return }
            s.intents[intent.id] = intent
            let key = Key(group: intent.group, kind: intent.kind)
            var shelf = s.shelves[key] ?? Shelf()
            for (w, c) in intent.words { shelf.postings[w, default: [:]][intent.id] = c }
            shelf.totalLength += intent.length
            shelf.count += 1
            s.shelves[key] = shelf
        }
    }

    public func remove(_ id: Hash) {
        state.withLock { s in
            guard let intent = s.intents.removeValue(forKey: id) else { return }
            let key = Key(group: intent.group, kind: intent.kind)
            guard var shelf = s.shelves[key] else { return }
            for w in intent.words.keys {
                shelf.postings[w]?[id] = nil
                if shelf.postings[w]?.isEmpty == true { shelf.postings[w] = nil }
            }
            shelf.totalLength -= intent.length
            shelf.count -= 1
            s.shelves[key] = shelf
        }
    }

    public func candidates(for intent: BookIntent, limit: Int) throws -> Retrieval {
        state.withLock { s in
            let shelf = s.shelves[Key(group: intent.group, kind: intent.kind.complement)] ?? Shelf()
            var df: [String: Int] = [:]
            var weight: [Hash: Double] = [:]
            for w in intent.words.keys {
                let postings = shelf.postings[w] ?? [:]
                df[w] = postings.count
                guard !postings.isEmpty, postings.count <= maxPostings else { continue }
                let idf = BM25.idf(documents: shelf.count, frequency: postings.count)
                for id in postings.keys { weight[id, default: 0] += idf }
            }
            let best = weight.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            var out: [BookIntent] = []
            for (id, _) in best {
                guard let c = s.intents[id], c.author != intent.author else { continue }
                out.append(c)
                if out.count >= limit { break }
            }
            let stats = BookStatistics(documents: shelf.count, averageLength: shelf.count > 0 ? Double(shelf.totalLength) / Double(shelf.count) : 1,
                                       documentFrequencies: df)
            return Retrieval(candidates: out, statistics: stats)
        }
    }
}
