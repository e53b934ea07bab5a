/// The intents' vocabulary for `TextWords` (the shared tokeniser and stemmer): stop words and a
/// small table of domain synonyms folded onto one word ("sell", "selling", "offering" and
/// "have" all say what the kind already says and are dropped; "laptop" and "notebook" fold to
/// one word). Pure and deterministic: the SQLite index at commit and the mediator's matcher must
/// produce the same words for the same text, on every node.
public enum IntentWords {
    /// The intents' vocabulary: English function words plus the words of trading that every
    /// intent says (the kind already says "buy" or "sell"), and the domain synonyms below.
    public static let vocabulary = TextWords(stopWords: stopWords, synonyms: synonyms)

    /// The distinct words of `text` with their counts, in first-appearance order; the asset, when
    /// named, counts as the word `asset:NAME` twice.
    public static func counts(_ text: String, asset: String = "") -> [(word: String, count: Int)] {
        var out = vocabulary.counts(text)
        if !asset.isEmpty {
            let a = "asset:" + asset
            if let i = out.firstIndex(where: { $0.word == a }) { out[i].count += 2 } else { out.append((a, 2)) }
        }
        return out
    }

    /// The normalised words of `text` in order (with repeats).
    public static func words(_ text: String) -> [String] { vocabulary.words(text) }

    static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "by", "at", "from", "as", "is", "are",
        "be", "it", "its", "this", "that", "these", "those", "my", "our", "your", "me", "we", "you", "us", "i", "am",
        "will", "can", "could", "would", "should", "want", "wanted", "wants", "need", "needs", "needed", "looking",
        "look", "seek", "seeking", "buy", "buying", "sell", "selling", "offer", "offering", "offers", "have", "has",
        "got", "get", "any", "some", "per", "up", "about", "someone", "anyone", "who", "available", "please", "hi",
        "hello", "if", "so", "do", "does", "not", "no", "yes", "all", "also", "just", "only", "but", "than", "then",
        "there", "here", "into", "out", "over", "under", "within", "via", "each", "request", "requesting", "provide",
        "providing", "willing", "able", "happy", "ready", "price", "pay", "paying", "cost", "rate", "fee", "token",
        "tokens", "agora", "unit", "units", "amount", "deadline", "block", "height", "sale", "wtb", "wts", "ll", "ve",
        "re", "don", "let", "like", "much", "many", "more", "less", "very", "good", "great", "new", "used", "hire",
        "hiring", "free", "cheap", "best", "quick", "quickly", "asap", "soon", "today", "week", "day", "hour", "month",
        "year",
    ]

    /// Words that mean the same thing in intents, folded onto one.
    static let synonyms: [String: String] = [
        "notebook": "laptop", "macbook": "laptop", "thinkpad": "laptop",
        "gpus": "gpu", "graphic": "gpu", "graphics": "gpu", "cuda": "gpu", "a100": "gpu", "h100": "gpu",
        "compute": "gpu",
        "translat": "translation", "translate": "translation", "translator": "translation", "translating": "translation",
        "bike": "bicycle", "cycle": "bicycle",
        "flat": "apartment", "apt": "apartment",
        "sofa": "couch", "settee": "couch",
        "photo": "photography", "photographer": "photography", "photograph": "photography",
        "tutor": "tutoring", "teach": "tutoring", "teacher": "tutoring", "lesson": "tutoring",
        "dev": "developer", "programmer": "developer", "coder": "developer", "engineer": "developer",
        "cleaner": "cleaning", "clean": "cleaning",
        "mover": "moving", "move": "moving", "removal": "moving",
        "fix": "repair", "fixing": "repair", "repairing": "repair",
        "storage": "storage", "disk": "storage", "ssd": "storage", "hdd": "storage",
        "bandwidth": "bandwidth", "transit": "bandwidth",
        "dataset": "data", "datum": "data",
        "car": "vehicle", "van": "vehicle", "truck": "vehicle",
        "phone": "smartphone", "iphone": "smartphone", "android": "smartphone",
        "design": "designer", "logo": "designer",
        "legal": "lawyer", "attorney": "lawyer",
        "audit": "auditor", "review": "reviewer",
        "spanish": "spanish", "espanol": "spanish",
        "kwh": "electricity", "power": "electricity", "energy": "electricity", "solar": "electricity",
    ]
}
