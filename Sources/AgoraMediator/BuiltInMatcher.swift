import AgoraCore
import Foundation

/// The default matcher, with no network: a pair must be of complementary kinds and have
/// compatible structured terms (the same asset when both name one; amount and price ranges that
/// overlap; neither past its deadline), and is scored by three parts in thousandths — kind,
/// terms (how much of the terms both sides stated and agree on) and text (Okapi BM25 of the
/// candidate's words against the query intent's words, normalised by the query's own weight) —
/// combined as 0.2·kind + 0.3·terms + 0.5·text. Deterministic: integer parts, ties broken by ID.
/// The agreed terms are the overlap of the ranges; the price is the overlap's midpoint.
public struct BuiltInMatcher: IntentMatcher {
    public let name = "builtin"
    /// Least text part (thousandths) and total a pair needs to be proposed.
    public var minimumText: UInt32
    public var minimumTotal: UInt32

    public init(minimumText: UInt32 = 150, minimumTotal: UInt32 = 500) {
        self.minimumText = minimumText
        self.minimumTotal = minimumTotal
    }

    public func judge(_ pairs: [CandidatePair]) async throws -> [PairJudgement?] { pairs.map(judge) }

    /// BM25 (the shared `BM25` of AgoraCore) of `doc` for the words of `query`, and the same
    /// score for a document that held every query word once at the average length (the normaliser).
    static func bm25(query: BookIntent, doc: BookIntent, stats: BookStatistics) -> (score: Double, ideal: Double) {
        var score = 0.0, ideal = 0.0
        // Every word of the query is weighted by its rarity in the candidate's book; +1 for the
        // candidate itself when the book has not seen a word (a brand-new word is informative).
        let n = max(stats.documents, 1)
        for (w, qtf) in query.words {
            let df = min(stats.documentFrequencies[w] ?? 0, n)
            let weight = BM25.idf(documents: n, frequency: df) * Double(min(qtf, 2))
            ideal += weight
            guard let tf = doc.words[w] else { continue }
            score += weight * BM25.termWeight(tf: tf, length: doc.length, averageLength: stats.averageLength)
        }
        return (score, ideal)
    }

    public func judge(_ pair: CandidatePair) -> PairJudgement? {
        let offer = pair.offer, request = pair.request
        guard pair.query.kind != pair.candidate.kind, pair.query.author != pair.candidate.author else { return nil }
        for i in [offer, request] { if let d = i.terms.deadline, d < pair.height { return nil } }
        guard let (termsScore, agreed, price) = BuiltInMatcher.terms(offer.terms, request.terms) else { return nil }
        let (score, ideal) = BuiltInMatcher.bm25(query: pair.query, doc: pair.candidate, stats: pair.statistics)
        let text = ideal > 0 ? UInt32(min(1, score / ideal) * 1000) : 0
        let kind: UInt32 = 1000
        let total = (kind * 2 + termsScore * 3 + text * 5) / 10
        guard text >= minimumText, total >= minimumTotal else { return nil }
        let s = MatchScore(source: 1, kind: kind, terms: termsScore, text: text, total: total)
        return PairJudgement(score: s, termsText: BuiltInMatcher.termsText(offer: offer, request: request, agreed: agreed, price: price, score: s),
                             terms: agreed, price: price)
    }

    /// Compatibility of an offer's and a request's terms: nil when they conflict; otherwise the
    /// terms part (1000 per component both stated and agree on, 500 for one stated by one side
    /// only, 250 for a component neither stated, averaged over asset, amount and price), the
    /// agreed terms and the price.
    static func terms(_ o: IntentTerms, _ r: IntentTerms) -> (UInt32, IntentTerms, UInt64?)? {
        var parts: [UInt32] = []
        var agreed = IntentTerms()
        switch (o.asset.isEmpty, r.asset.isEmpty) {
        case (false, false):
            guard o.asset == r.asset else { return nil }
            parts.append(1000); agreed.asset = o.asset
        case (true, true): parts.append(250)
        default: parts.append(500); agreed.asset = o.asset.isEmpty ? r.asset : o.asset
        }
        func range(_ a: ValueRange?, _ b: ValueRange?) -> (UInt32, ValueRange?)? {
            switch (a, b) {
            case let (x?, y?):
                guard x.overlaps(y) else { return nil }
                return (1000, ValueRange(min: max(x.min, y.min), max: min(x.max, y.max)))
            case let (x?, nil): return (500, x)
            case let (nil, y?): return (500, y)
            case (nil, nil): return (250, nil)
            }
        }
        guard let amount = range(o.amount, r.amount), let price = range(o.price, r.price) else { return nil }
        parts.append(amount.0); parts.append(price.0)
        agreed.amount = amount.1
        agreed.price = price.1
        agreed.deadline = [o.deadline, r.deadline].compactMap { $0 }.min()
        let p = price.1.map { $0.min + ($0.max - $0.min) / 2 }
        if let p { agreed.price = ValueRange(min: p, max: p) }
        return (parts.reduce(0, +) / UInt32(parts.count), agreed, p)
    }

    static func termsText(offer: BookIntent, request: BookIntent, agreed: IntentTerms, price: UInt64?, score: MatchScore) -> String {
        var s = "Offer \(offer.id.hex.prefix(12)) meets request \(request.id.hex.prefix(12))"
        if !agreed.asset.isEmpty { s += " on \(agreed.asset)" }
        if let a = agreed.amount { s += ", amount \(a)" }
        if let p = price { s += ", price \(p) paid by the requester to the offerer" }
        if let d = agreed.deadline { s += ", by height \(d)" }
        s += ". Scores (of 1000): kind \(score.kind), terms \(score.terms), text \(score.text), total \(score.total)."
        return s
    }
}
