import AgoraCore
import AgoraLedger
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Synchronization

/// The LLM matcher: an OpenAI-compatible chat-completions endpoint (`llm.url`, `llm.model`,
/// `llm.apiKey`) judges candidate pairs that already passed the built-in hard rules
/// (complementary kinds, compatible terms) and drafts each match's terms text, answering strict
/// JSON that is validated against a fixed schema and refused when malformed. Every call has a
/// timeout; failures (transport errors, timeouts, 429 and 5xx, malformed answers) are retried
/// with exponential backoff and full jitter; consecutive failed calls open a circuit breaker,
/// and while it is open — or when a call finally fails — the built-in matcher judges instead, so
/// the mediator keeps proposing. The API key goes only into the Authorization header: it is
/// never logged, never in an error, never in `description`.

public struct LLMSettings: Sendable, CustomStringConvertible {
    public var url: URL
    public var model: String
    public var apiKey: String?
    public var timeout: Duration
    /// Retries after the first attempt.
    public var maxRetries: Int
    public var backoffBase: Duration
    public var backoffMax: Duration
    /// Consecutive failed calls that open the breaker, and how long it stays open.
    public var breakerThreshold: Int
    public var breakerCooldown: Duration

    public init(url: URL, model: String, apiKey: String?, timeout: Duration = .seconds(10), maxRetries: Int = 2,
                backoffBase: Duration = .milliseconds(200), backoffMax: Duration = .seconds(5), breakerThreshold: Int = 3,
                breakerCooldown: Duration = .seconds(30)) {
        self.url = url
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.backoffBase = backoffBase
        self.backoffMax = backoffMax
        self.breakerThreshold = breakerThreshold
        self.breakerCooldown = breakerCooldown
    }

    public var description: String {
        "LLMSettings(url: \(url.absoluteString), model: \(model), apiKey: \(apiKey == nil ? "none" : "<redacted>"), timeout: \(timeout))"
    }
}

/// Why one call to the provider failed. Never holds the API key or the request body.
public enum LLMError: Error, Equatable, Sendable, CustomStringConvertible {
    case timeout
    case transport(String)
    case status(Int)
    case malformed(String)
    case breakerOpen

    public var retryable: Bool {
        switch self {
        case .timeout, .transport, .malformed: return true
        case let .status(s): return s == 429 || s >= 500
        case .breakerOpen: return false
        }
    }

    public var kind: String {
        switch self {
        case .timeout: return "timeout"
        case .transport: return "transport"
        case .status: return "status"
        case .malformed: return "malformed"
        case .breakerOpen: return "breaker_open"
        }
    }

    public var description: String {
        switch self {
        case .timeout: return "the LLM provider did not answer in time"
        case let .transport(w): return "LLM transport error: \(w)"
        case let .status(s): return "the LLM provider answered HTTP \(s)"
        case let .malformed(w): return "the LLM answer is not the promised JSON: \(w)"
        case .breakerOpen: return "the LLM circuit breaker is open"
        }
    }
}

/// Closed → (threshold consecutive failures) → open for `cooldown` → half-open: one trial call;
/// success closes it, failure opens it again. Time comes from an injected clock.
public final class CircuitBreaker: Sendable {
    public enum State: Sendable, Equatable {
        case closed, open, halfOpen
        public var gauge: Int { self == .closed ? 0 : self == .halfOpen ? 1 : 2 }
        public var name: String { self == .closed ? "closed" : self == .halfOpen ? "half_open" : "open" }
    }

    struct Inner {
        var failures = 0
        var openedAt: ContinuousClock.Instant?
        var trialInFlight = false
    }

    let threshold: Int
    let cooldown: Duration
    let now: @Sendable () -> ContinuousClock.Instant
    private let inner = Mutex(Inner())

    public init(threshold: Int, cooldown: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self.now = now
    }

    public var state: State {
        inner.withLock { i in
            guard let at = i.openedAt else { return .closed }
            return now() - at >= cooldown ? .halfOpen : .open
        }
    }

    /// Whether a call may go out now (a half-open breaker lets one trial through).
    public func allow() -> Bool {
        inner.withLock { i in
            guard let at = i.openedAt else { return true }
            guard now() - at >= cooldown, !i.trialInFlight else { return false }
            i.trialInFlight = true
            return true
        }
    }

    public func recordSuccess() {
        inner.withLock { $0 = Inner() }
    }

    public func recordFailure() {
        inner.withLock { i in
            i.trialInFlight = false
            i.failures += 1
            if i.openedAt != nil || i.failures >= threshold { i.openedAt = now() }
        }
    }
}

/// The HTTP seam, so tests can count calls; production uses URLSession.
public protocol ChatTransport: Sendable {
    func post(_ url: URL, body: Data, headers: [String: String], timeout: Duration) async throws -> (status: Int, body: Data)
}

public struct URLSessionChatTransport: ChatTransport {
    let session: URLSession
    public init() {
        let c = URLSessionConfiguration.ephemeral
        c.httpMaximumConnectionsPerHost = 4
        session = URLSession(configuration: c)
    }

    public func post(_ url: URL, body: Data, headers: [String: String], timeout: Duration) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}

public final class ChatCompletionsMatcher: IntentMatcher {
    public let name = "llm"
    let settings: LLMSettings
    let transport: ChatTransport
    let fallback: BuiltInMatcher
    public let breaker: CircuitBreaker
    let metrics: MediatorMetrics
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    let jitter: @Sendable () -> Double

    public init(settings: LLMSettings, transport: ChatTransport = URLSessionChatTransport(), fallback: BuiltInMatcher = BuiltInMatcher(),
                metrics: MediatorMetrics = .disabled, logger: Logger = Logger(label: "agora.mediator.llm"),
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.settings = settings
        self.transport = transport
        self.fallback = fallback
        breaker = CircuitBreaker(threshold: settings.breakerThreshold, cooldown: settings.breakerCooldown, now: now)
        self.metrics = metrics
        self.logger = logger
        self.sleep = sleep
        self.jitter = jitter
    }

    /// Backoff before retry `attempt` (1-based): full jitter over min(max, base·2^(attempt-1)).
    func backoff(_ attempt: Int) -> Duration {
        let ceiling = min(settings.backoffMax, settings.backoffBase * (1 << min(attempt - 1, 20)))
        return ceiling * jitter()
    }

    public func judge(_ pairs: [CandidatePair]) async throws -> [PairJudgement?] {
        // The hard rules are not the model's to waive: only pairs the built-in matcher finds
        // compatible in kind and terms go to the model; the model decides fit and words.
        var eligible: [(Int, CandidatePair, UInt32)] = []
        for (i, p) in pairs.enumerated() {
            if let t = BuiltInMatcher.terms(p.offer.terms, p.request.terms), p.query.kind != p.candidate.kind,
               p.query.author != p.candidate.author, !expired(p) {
                eligible.append((i, p, t.0))
            }
        }
        var out = [PairJudgement?](repeating: nil, count: pairs.count)
        guard !eligible.isEmpty else { return out }
        metrics.breakerState.record(breaker.state.gauge)
        guard breaker.allow() else {
            metrics.fallbacks.increment()
            return try await fallback.judge(pairs)
        }
        do {
            let verdicts = try await call(eligible.map(\.1))
            breaker.recordSuccess()
            metrics.breakerState.record(breaker.state.gauge)
            for (n, (i, p, termsScore)) in eligible.enumerated() {
                guard let v = verdicts[n], v.match, let agreed = BuiltInMatcher.terms(p.offer.terms, p.request.terms) else { continue }
                let text = UInt32(max(0, min(1, v.confidence)) * 1000)
                let total = (1000 * 2 + termsScore * 3 + text * 5) / 10
                guard text >= fallback.minimumText, total >= fallback.minimumTotal else { continue }
                out[i] = PairJudgement(score: MatchScore(source: 2, kind: 1000, terms: termsScore, text: text, total: total),
                                       termsText: v.terms, terms: agreed.1, price: agreed.2)
            }
            return out
        } catch {
            breaker.recordFailure()
            metrics.breakerState.record(breaker.state.gauge)
            metrics.fallbacks.increment()
            logger.warning("LLM matcher failed; the built-in matcher judges this batch",
                           metadata: ["error": .string("\(error)"), "breaker": .string(breaker.state.name)])
            return try await fallback.judge(pairs)
        }
    }

    func expired(_ p: CandidatePair) -> Bool {
        [p.offer, p.request].contains { i in i.terms.deadline.map { $0 < p.height } ?? false }
    }

    struct Verdict: Equatable {
        var match: Bool
        var confidence: Double
        var terms: String
    }

    /// One logical call: attempts with backoff; throws the last error.
    func call(_ pairs: [CandidatePair]) async throws -> [Verdict?] {
        let body = requestBody(pairs)
        var h = ["Content-Type": "application/json"]
        if let key = settings.apiKey, !key.isEmpty { h["Authorization"] = "Bearer \(key)" }
        let headers = h
        var last = LLMError.transport("no attempt")
        for attempt in 0...settings.maxRetries {
            if attempt > 0 {
                metrics.llmRetries.increment()
                try? await sleep(backoff(attempt))
            }
            let started = ContinuousClock.now
            do {
                let (status, data) = try await withTimeout(settings.timeout) { [transport, settings] in
                    try await transport.post(settings.url, body: body, headers: headers, timeout: settings.timeout)
                }
                metrics.llmLatency.recordNanoseconds(Int64((ContinuousClock.now - started).components.attoseconds / 1_000_000_000
                    + (ContinuousClock.now - started).components.seconds * 1_000_000_000))
                guard (200..<300).contains(status) else { throw LLMError.status(status) }
                return try ChatCompletionsMatcher.parse(data, count: pairs.count)
            } catch let e as LLMError {
                last = e
            } catch {
                last = .transport(String(describing: type(of: error)))
            }
            metrics.llmErrors(last.kind).increment()
            logger.notice("LLM call failed", metadata: ["attempt": .stringConvertible(attempt + 1), "error": .string(last.description)])
            if !last.retryable { break }
        }
        throw last
    }

    func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw LLMError.timeout }
            return value
        }
    }

    static let systemPrompt = """
        You are a mediator on a ledger where members post offers and requests in plain language. \
        For each numbered pair (one offer, one request) decide whether the offer fulfils the request. \
        Answer with JSON only, exactly: {"matches":[{"pair":<index>,"match":<true|false>,"confidence":<0..1>,"terms":"<one or two sentences of terms both can accept, empty if no match>"}]} \
        with one entry per pair.
        """

    func requestBody(_ pairs: [CandidatePair]) -> Data {
        var lines: [String] = []
        for (i, p) in pairs.enumerated() {
            lines.append("Pair \(i):\n  offer: \(p.offer.text) [\(p.offer.terms.text)]\n  request: \(p.request.text) [\(p.request.terms.text)]")
        }
        let payload: [String: Any] = [
            "model": settings.model,
            "temperature": 0,
            "response_format": ["type": "json_object"],
            "messages": [
                ["role": "system", "content": ChatCompletionsMatcher.systemPrompt],
                ["role": "user", "content": lines.joined(separator: "\n")],
            ],
        ]
        return (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])) ?? Data()
    }

    /// Validates the chat-completions envelope and the JSON the model promised. Anything else —
    /// missing fields, wrong types, out-of-range indices or confidences, duplicate pairs, terms
    /// over the on-chain limit, prose around the JSON — is `malformed`.
    static func parse(_ data: Data, count: Int) throws(LLMError) -> [Verdict?] {
        struct Envelope: Decodable {
            struct Choice: Decodable {
                struct Message: Decodable { var content: String? }
                var message: Message
            }
            var choices: [Choice]
        }
        struct Answer: Decodable {
            struct Entry: Decodable {
                var pair: Int
                var match: Bool
                var confidence: Double
                var terms: String
            }
            var matches: [Entry]
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: data), let content = envelope.choices.first?.message.content else {
            throw .malformed("no choices[0].message.content")
        }
        let inner = Data(content.utf8)
        guard let object = try? JSONSerialization.jsonObject(with: inner) as? [String: Any], object.keys.sorted() == ["matches"],
              let entries = object["matches"] as? [[String: Any]],
              entries.allSatisfy({ Set($0.keys) == ["pair", "match", "confidence", "terms"] })
        else { throw .malformed("expected exactly {\"matches\": [{pair, match, confidence, terms}]}") }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: inner) else {
            throw .malformed("an entry has a field of the wrong type")
        }
        var out = [Verdict?](repeating: nil, count: count)
        for m in answer.matches {
            guard (0..<count).contains(m.pair), out[m.pair] == nil else { throw .malformed("pair \(m.pair) is out of range or repeated") }
            guard (0...1).contains(m.confidence) else { throw .malformed("confidence \(m.confidence) is outside 0…1") }
            guard m.terms.utf8.count <= Limits.maxSettlementTermsBytes, !m.match || !m.terms.isEmpty else {
                throw .malformed("terms of pair \(m.pair) are empty or too long")
            }
            out[m.pair] = Verdict(match: m.match, confidence: m.confidence, terms: m.terms)
        }
        return out
    }
}
