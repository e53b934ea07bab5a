/// How an intent's text becomes the words that the index and the matchers compare: lowercase,
/// split on anything that is not a letter or digit, stop words dropped, a light suffix stemmer
/// and a small table of domain synonyms folded onto one word ("sell", "selling", "offering" and
/// "have" all say what the kind already says and are dropped; "laptop" and "notebook" fold to
/// one word). Pure and deterministic: the SQLite index at commit and the mediator's matcher must
/// produce the same words for the same text, on every node.
public enum IntentWords {
    /// The distinct words of `text` with their counts, in first-appearance order.
    public static func counts(_ text: String, asset: String = "") -> [(word: String, count: Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for w in words(text) {
            if counts[w] == nil { order.append(w) }
            counts[w, default: 0] += 1
        }
        if !asset.isEmpty {
            let a = "asset:" + asset
            if counts[a] == nil { order.append(a) }
            counts[a, default: 0] += 2
        }
        return order.map { ($0, counts[$0]!) }
    }

    /// The normalised words of `text` in order (with repeats).
    public static func words(_ text: String) -> [String] {
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
            if out.count >= 256 { break }
        }
        flush()
        return out
    }

    static func normalise(_ raw: String) -> String? {
        if stopWords.contains(raw) { return nil }
        let stemmed = stem(raw)
        if stopWords.contains(stemmed) { return nil }
        return synonyms[stemmed] ?? stemmed
    }

    /// A deliberately small stemmer: plural and verb endings that matter for short intents.
    static func stem(_ w: String) -> String {
        guard w.count > 4, !w.allSatisfy(\.isNumber) else { return w }
        for (suffix, replacement) in [("ies", "y"), ("ing", ""), ("ers", "er"), ("ed", ""), ("es", ""), ("s", "")] where w.hasSuffix(suffix) {
            if suffix == "s" && (w.hasSuffix("ss") || w.hasSuffix("us")) { continue }
            if suffix == "es" && !(w.hasSuffix("ches") || w.hasSuffix("shes") || w.hasSuffix("xes") || w.hasSuffix("sses")) { continue }
            let base = String(w.dropLast(suffix.count)) + replacement
            if base.count >= 3 { return base }
        }
        return w
    }

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
