/// The claims' vocabulary for `TextWords`: English function words only and no synonyms (claims
/// are about anything; folding "price" or "block" away as the intents do would lose topics), and
/// tags counted as words. What the claim index stores for BM25 and what a context query is split
/// into, so that both always agree.
public enum ClaimWords {
    public static let vocabulary = TextWords(stopWords: TextWords.englishStopWords)

    /// A tag weighs as much as two occurrences in the text: an author chose it as the topic.
    public static let tagWeight = 2

    /// The distinct words of a claim's text and tags with their counts, in first-appearance
    /// order (text first). A tag is split like text ("machine-learning" → "machine", "learning").
    public static func counts(text: String, tags: [String]) -> [(word: String, count: Int)] {
        var out = vocabulary.counts(text)
        var at: [String: Int] = [:]
        for (i, w) in out.enumerated() { at[w.word] = i }
        for tag in tags {
            for w in vocabulary.words(tag) {
                if let i = at[w] { out[i].count += tagWeight } else { at[w] = out.count; out.append((w, tagWeight)) }
            }
        }
        return out
    }

    /// A query's distinct words in first-appearance order, at most `limit`.
    public static func query(_ text: String, limit: Int = 16) -> [String] {
        Array(vocabulary.counts(text).map(\.word).prefix(limit))
    }
}
