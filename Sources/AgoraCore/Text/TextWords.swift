import Foundation

/// How text becomes the words that the search indexes and scorers compare, shared by the intents
/// module (the mediator's matching) and the claims module (context retrieval): lowercase, split on
/// anything that is not a letter or digit, words of 2–32 characters, stop words dropped, a light
/// suffix stemmer, then an optional table of synonyms folded onto one word. Pure and
/// deterministic: the SQLite index written at commit and every scorer must produce the same words
/// for the same text on every node. Each module picks its vocabulary (`IntentWords`, `ClaimWords`);
/// the tokeniser and stemmer are this one function.
public struct TextWords: Sendable {
    public let stopWords: Set<String>
    public let synonyms: [String: String]
    /// At most this many words are read from one text (the rest of a long text is not indexed).
    public let maxWords: Int

    public init(stopWords: Set<String>, synonyms: [String: String] = [:], maxWords: Int = 256) {
        self.stopWords = stopWords
        self.synonyms = synonyms
        self.maxWords = maxWords
    }

    /// The normalised words of `text` in order (with repeats).
    public func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        func flush() {
            defer { current = "" }
            guard current.count >= 2, current.count <= 32 else { return }
            if let w = normalise(current) { out.append(w) }
        }
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || (scalar.value >= 48 && scalar.value <= 57) {
                current.unicodeScalars.append(scalar)
            } else {
                flush()
            }
            if out.count >= maxWords { break }
        }
        flush()
        return out
    }

    /// The distinct words of `text` with their counts, in first-appearance order.
    public func counts(_ text: String) -> [(word: String, count: Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for w in words(text) {
            if counts[w] == nil { order.append(w) }
            counts[w, default: 0] += 1
        }
        return order.map { ($0, counts[$0] ?? 0) }
    }

    func normalise(_ raw: String) -> String? {
        if stopWords.contains(raw) { return nil }
        let stemmed = TextWords.stem(raw)
        if stopWords.contains(stemmed) { return nil }
        return synonyms[stemmed] ?? stemmed
    }

    /// A deliberately small stemmer: plural and verb endings that matter for short texts.
    public static func stem(_ w: String) -> String {
        guard w.count > 4, !w.allSatisfy(\.isNumber) else { return w }
        for (suffix, replacement) in [("ies", "y"), ("ing", ""), ("ers", "er"), ("ed", ""), ("es", ""), ("s", "")] where w.hasSuffix(suffix) {
            if suffix == "s" && (w.hasSuffix("ss") || w.hasSuffix("us")) { continue }
            if suffix == "es" && !(w.hasSuffix("ches") || w.hasSuffix("shes") || w.hasSuffix("xes") || w.hasSuffix("sses")) { continue }
            let base = String(w.dropLast(suffix.count)) + replacement
            if base.count >= 3 { return base }
        }
        return w
    }

    /// English function words: they carry no topic in any module's texts.
    public static let englishStopWords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "by", "at", "from", "as", "is", "are",
        "be", "it", "its", "this", "that", "these", "those", "my", "our", "your", "me", "we", "you", "us", "i", "am",
        "will", "can", "could", "would", "should", "was", "were", "been", "being", "they", "them", "their", "he", "she",
        "his", "her", "what", "which", "when", "where", "how", "why", "any", "some", "up", "about", "who", "if", "so",
        "do", "does", "did", "not", "no", "yes", "all", "also", "just", "only", "but", "than", "then", "there", "here",
        "into", "out", "over", "under", "within", "via", "each", "ll", "ve", "re", "don", "let", "much", "many", "more",
        "less", "very", "has", "have", "had",
    ]
}

/// Okapi BM25 (k1 = 1.2, b = 0.75), the text score of the intent matcher and of claim retrieval:
/// one definition so that both rank words the same way. Floating point, and therefore only ever
/// used off chain (matching, retrieval); what goes on chain is quantised by its caller.
public enum BM25 {
    public static let k1 = 1.2
    public static let b = 0.75

    /// Inverse document frequency of a word in `frequency` of `documents` documents (the
    /// non-negative "+1" form, so a word in most documents still counts a little).
    public static func idf(documents: Int, frequency: Int) -> Double {
        log(1 + (Double(documents) - Double(frequency) + 0.5) / (Double(frequency) + 0.5))
    }

    /// The saturated, length-normalised weight of a word that occurs `tf` times in a document
    /// of `length` words, in a collection whose mean length is `averageLength`.
    public static func termWeight(tf: Int, length: Int, averageLength: Double) -> Double {
        guard tf > 0 else { return 0 }
        let t = Double(tf)
        return t * (k1 + 1) / (t + k1 * (1 - b + b * Double(length) / max(averageLength, 1)))
    }
}
