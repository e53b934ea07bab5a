/// A labelled corpus for context retrieval: 20 topics, each with its own vocabulary, ~9 claims per
/// topic written from sentence patterns that use different subsets of that vocabulary (so that a
/// 3-word query does not name every relevant claim's words), and one "near miss" per topic — a
/// claim about the next topic that borrows one of this topic's words. A query is three words of
/// its topic; its relevant claims are the claims of that topic. Retrieval never sees the labels.
enum ContextCorpus {
    struct Topic {
        let words: [String]
        let tag: String
    }

    static let topics: [Topic] = [
        .init(words: ["cache", "latency", "eviction", "hit", "ratio", "memcached"], tag: "perf"),
        .init(words: ["consensus", "validator", "quorum", "precommit", "round", "proposer"], tag: "bft"),
        .init(words: ["sqlite", "wal", "checkpoint", "fsync", "journal", "pragma"], tag: "storage"),
        .init(words: ["tokenizer", "embedding", "transformer", "attention", "context", "prompt"], tag: "ml"),
        .init(words: ["kubernetes", "pod", "helm", "ingress", "namespace", "deployment"], tag: "ops"),
        .init(words: ["rust", "borrow", "lifetime", "trait", "cargo", "crate"], tag: "rust"),
        .init(words: ["protein", "folding", "residue", "alphafold", "structure", "amino"], tag: "bio"),
        .init(words: ["solar", "panel", "inverter", "battery", "photovoltaic", "grid"], tag: "energy"),
        .init(words: ["tls", "certificate", "handshake", "cipher", "revocation", "ocsp"], tag: "security"),
        .init(words: ["gradient", "optimizer", "learning", "momentum", "adam", "warmup"], tag: "training"),
        .init(words: ["invoice", "ledger", "reconciliation", "accrual", "audit", "vendor"], tag: "finance"),
        .init(words: ["coffee", "espresso", "grinder", "roast", "extraction", "crema"], tag: "coffee"),
        .init(words: ["bicycle", "derailleur", "chain", "cassette", "gear", "spoke"], tag: "cycling"),
        .init(words: ["telescope", "galaxy", "redshift", "spectrograph", "nebula", "exposure"], tag: "astro"),
        .init(words: ["vaccine", "antibody", "trial", "placebo", "dose", "efficacy"], tag: "medicine"),
        .init(words: ["compiler", "parser", "lexer", "grammar", "syntax", "ast"], tag: "lang"),
        .init(words: ["drought", "rainfall", "irrigation", "crop", "yield", "soil"], tag: "agri"),
        .init(words: ["earthquake", "seismic", "fault", "magnitude", "tremor", "epicenter"], tag: "geo"),
        .init(words: ["webassembly", "wasm", "fuel", "sandbox", "module", "interpreter"], tag: "wasm"),
        .init(words: ["postgres", "index", "vacuum", "replication", "query", "planner"], tag: "db"),
    ]

    /// Sentence patterns; `$0`, `$1`, `$2` are topic words.
    static let patterns: [String] = [
        "We measured $0 and $1 again today; the numbers held.",
        "Our notes on $1: it matters more than $2 for this team.",
        "Observed a problem with $2 after changing the $0 settings.",
        "Summary of the $0 experiment: $1 improved, nothing else moved.",
        "The $2 behaviour depends on $1, as the last run showed.",
        "A short report on $0, with numbers from three machines.",
        "Careful: $1 and $2 interact badly under heavy load.",
        "Reviewed the literature on $2; most of it agrees with our $0 results.",
        "Plan for next week: revisit $1 and document the $2 findings.",
    ]

    struct Claim {
        let text: String
        let tags: [String]
        let topic: Int
    }

    /// Topic t's claims use words (i, i+1, i+3) of its vocabulary, rotating, so each claim names
    /// three of six words; every third claim also carries the topic's tag.
    static var claims: [Claim] {
        var out: [Claim] = []
        for (t, topic) in topics.enumerated() {
            let w = topic.words
            for (i, p) in patterns.enumerated() {
                let text = p.replacingOccurrences(of: "$0", with: w[i % 6]).replacingOccurrences(of: "$1", with: w[(i + 1) % 6])
                    .replacingOccurrences(of: "$2", with: w[(i + 3) % 6])
                out.append(Claim(text: text, tags: i % 3 == 0 ? [topic.tag] : [], topic: t))
            }
            // A near miss: about the next topic, borrowing this topic's first word.
            let next = topics[(t + 1) % topics.count].words
            out.append(Claim(text: "Unlike \(w[0]), the \(next[2]) and \(next[4]) results were stable all week.", tags: [], topic: (t + 1) % topics.count))
        }
        return out
    }

    /// One query per topic: three of its words, not always the most frequent ones.
    static func query(_ t: Int) -> String {
        let w = topics[t].words
        return "\(w[0]) \(w[2]) \(w[5])"
    }
}
