// AgoraMediator: the node's optional matchmaker for intents. It owns the mediator service (after
// each committed block it retrieves candidates from the intent index, has an `IntentMatcher` — the
// built-in BM25 + terms matcher or an OpenAI-compatible LLM that falls back to it — judge them, and
// submits signed settlement proposals through `Chain`), the matchers and the LLM client.

import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Synchronization

/// The mediator: after every committed block it reads the intents posted since its cursor
/// (from the node's intent index), retrieves candidates for each from the `IntentBook` (by
/// index), has the `IntentMatcher` judge the pairs, and proposes the best-scoring ones — at most
/// `proposalsPerBlock` per block (good pairs over the budget compete again next round), each
/// intent in at most one proposal per round, and never the
/// same set of intents twice (the memory is persisted under the data dir and rebuilt from the
/// chain's own record of this mediator's proposals). A failure of one round (a matcher error,
/// a refused transaction) is logged and counted; the service keeps running.

/// What the mediator needs from the node, so that tests can drive it without one.
public protocol MediatorLedger: Sendable {
    var height: UInt64 { get }
    /// Intents posted after chain position `after`, in chain order, at most `limit`.
    func intents(after: Int64, limit: Int) throws -> [(position: Int64, intent: BookIntent)]
    /// Whether the intent is open in committed state.
    func isOpen(_ id: Hash) throws -> Bool
    /// This mediator's registration (nil: not registered).
    func mediatorRecord() throws -> MediatorRecord?
    /// Signs `payload` with the mediator's key and admits it; returns the transaction ID.
    func submit(_ payload: Payload, correlation: Hash) throws -> Hash
}

/// The "never twice" memory: sorted intent sets already proposed, one line of hex per set in
/// `mediator/proposed.log` (appended and fsynced per proposal).
public final class ProposalMemory: Sendable {
    let path: String?
    private let sets = Mutex<Set<[Hash]>>([])

    public init(path: String?) throws {
        self.path = path
        guard let path else { return }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            var loaded = Set<[Hash]>()
            for line in text.split(separator: "\n") {
                let ids = line.split(separator: ",").compactMap { Hash(hex: String($0)) }
                if ids.count >= 2 { loaded.insert(ids.sorted()) }
            }
            sets.withLock { $0 = loaded }
        }
    }

    public var count: Int { sets.withLock { $0.count } }
    public func contains(_ ids: [Hash]) -> Bool { sets.withLock { $0.contains(ids.sorted()) } }

    public func remember(_ ids: [Hash]) throws {
        let key = ids.sorted()
        guard sets.withLock({ $0.insert(key).inserted }) else { return }
        guard let path else { return }
        let line = key.map(\.hex).joined(separator: ",") + "\n"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o600)
        guard fd >= 0 else { throw MediatorError.memory(path: path, errno: errno) }
        defer { close(fd) }
        _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        fsync(fd)
    }
}

public enum MediatorError: Error, CustomStringConvertible {
    case memory(path: String, errno: Int32)
    case notRegistered

    public var description: String {
        switch self {
        case let .memory(p, e): return "cannot write the mediator's proposal memory \(p): errno \(e)"
        case .notRegistered: return "the mediator key is not registered on chain (agora tx intent register-mediator)"
        }
    }
}

public struct MediatorSettings: Sendable {
    public var proposalsPerBlock: Int
    public var candidatesPerIntent: Int
    public var intentsPerRound: Int
    public var acceptWindow: UInt64
    public var challengeWindow: UInt64

    public init(proposalsPerBlock: Int = 10, candidatesPerIntent: Int = 50, intentsPerRound: Int = 1_000, acceptWindow: UInt64 = 50,
                challengeWindow: UInt64 = 10) {
        self.proposalsPerBlock = proposalsPerBlock
        self.candidatesPerIntent = candidatesPerIntent
        self.intentsPerRound = intentsPerRound
        self.acceptWindow = acceptWindow
        self.challengeWindow = challengeWindow
    }
}

public final class MediatorService: Sendable {
    public struct Proposed: Sendable, Equatable {
        public var tx: Hash
        public var intents: [Hash]
        public var score: MatchScore
    }

    public struct Status: Sendable {
        public var cursor: Int64 = -1
        public var rounds = 0
        public var lastRoundAt: ContinuousClock.Instant?
        public var lastError: String?
        public var proposed = 0
    }

    let ledger: MediatorLedger
    let book: IntentBook
    let matcher: IntentMatcher
    let memory: ProposalMemory
    let settings: MediatorSettings
    let metrics: MediatorMetrics
    let logger: Logger
    private let state = Mutex(Status())
    /// Pairs judged good but left out by the budget: they compete again next round (bounded).
    private let carried = Mutex<[(CandidatePair, PairJudgement)]>([])
    /// The on-chain `acceptances` last seen, so the counter follows the chain's record.
    private let seenAcceptances = Mutex<UInt64?>(nil)
    static let maxCarried = 1_000

    public init(ledger: MediatorLedger, book: IntentBook, matcher: IntentMatcher, memory: ProposalMemory, settings: MediatorSettings,
                metrics: MediatorMetrics = .disabled, logger: Logger = Logger(label: "agora.mediator")) {
        self.ledger = ledger
        self.book = book
        self.matcher = matcher
        self.memory = memory
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    public var status: Status { state.withLock { $0 } }

    /// Starts the next round after chain position `position` (a benchmark measuring only new
    /// intents; a node always starts from the beginning of the book).
    public func resume(after position: Int64) { state.withLock { $0.cursor = position } }

    /// One round: new intents since the cursor → candidates → judgements → the best proposals
    /// within the budget. Returns what it proposed. Never throws for a bad intent or a refused
    /// proposal; throws only when the ledger itself cannot be read.
    @discardableResult
    public func round() async throws -> [Proposed] {
        let cursor = state.withLock { $0.cursor }
        let fresh = try ledger.intents(after: cursor, limit: settings.intentsPerRound)
        let waiting = carried.withLock { $0 }
        guard !fresh.isEmpty || !waiting.isEmpty else { return [] }
        let last = fresh.last?.position ?? cursor
        let height = ledger.height
        guard let me = try ledger.mediatorRecord() else {
            state.withLock { $0.lastError = MediatorError.notRegistered.description }
            throw MediatorError.notRegistered
        }
        var used = Set<Hash>()
        var out: [Proposed] = []
        var leftOver: [(CandidatePair, PairJudgement)] = []
        for (pair, j) in Self.ranked(try await judgeFresh(fresh, height: height) + waiting) {
            let ids = [pair.offer.id, pair.request.id].sorted()
            guard out.count < settings.proposalsPerBlock else {
                if leftOver.count < MediatorService.maxCarried, !memory.contains(ids) { leftOver.append((pair, j)) }
                continue
            }
            guard !used.contains(ids[0]), !used.contains(ids[1]), !memory.contains(ids) else { continue }
            guard try ledger.isOpen(ids[0]), try ledger.isOpen(ids[1]) else { continue }
            let proposal = settlementProposal(pair, j, ids: ids, mediator: me, height: height)
            if let proposed = submit(proposal, ids: ids, pair: pair, judgement: j) {
                used.formUnion(ids)
                out.append(proposed)
            }
        }
        carried.withLock { $0 = leftOver }
        state.withLock { s in
            s.cursor = last
            s.rounds += 1
            s.lastRoundAt = .now
            s.proposed += out.count
        }
        return out
    }

    /// The candidates of each fresh intent from the book, judged by the matcher; pairs it
    /// turns down are dropped.
    private func judgeFresh(_ fresh: [(position: Int64, intent: BookIntent)], height: UInt64) async throws -> [(CandidatePair, PairJudgement)] {
        var pairs: [CandidatePair] = []
        for (_, intent) in fresh {
            let retrieval = try book.candidates(for: intent, limit: settings.candidatesPerIntent)
            for c in retrieval.candidates where c.id != intent.id {
                pairs.append(CandidatePair(query: intent, candidate: c, statistics: retrieval.statistics, height: height))
            }
        }
        metrics.candidatesScored.increment(by: pairs.count)
        var judged: [(CandidatePair, PairJudgement)] = []
        if !pairs.isEmpty {
            let verdicts = try await matcher.judge(pairs)
            for (p, v) in zip(pairs, verdicts) { if let v { judged.append((p, v)) } }
        }
        return judged
    }

    /// Best score first; ties in intent order, so that a round is deterministic.
    private static func ranked(_ judged: [(CandidatePair, PairJudgement)]) -> [(CandidatePair, PairJudgement)] {
        judged.sorted { a, b in
            a.1.score.total != b.1.score.total ? a.1.score.total > b.1.score.total
                : (a.0.query.id, a.0.candidate.id) < (b.0.query.id, b.0.candidate.id)
        }
    }

    /// The settlement a judged pair becomes: the request's author pays the offer's at the
    /// judged price, with this mediator's fee rate on it.
    private func settlementProposal(_ pair: CandidatePair, _ j: PairJudgement, ids: [Hash], mediator me: MediatorRecord,
                                    height: UInt64) -> SettlementProposal {
        var payments: [SettlementPayment] = []
        var fee = Amount.zero
        if let price = j.price, price > 0, let amount = Amount(price) {
            payments = [SettlementPayment(from: pair.request.author, to: pair.offer.author, amount: amount)]
            fee = amount.basisPoints(me.feeBps)
        }
        // Acceptances after an intent's deadline would fail: accept by then (but leave the
        // proposal a block to land).
        let acceptBy = max(height + 2, min(height + settings.acceptWindow, j.terms.deadline ?? .max))
        return SettlementProposal(intents: ids, termsText: String(j.termsText.utf8.prefix(Limits.maxSettlementTermsBytes)) ?? j.termsText,
                                  terms: j.terms, payments: payments, mediatorFee: fee, acceptBy: acceptBy,
                                  challengeWindow: settings.challengeWindow, score: j.score)
    }

    /// Signs and admits the proposal and remembers its intent set. A refusal is logged,
    /// counted and kept as the last error; the round goes on with the next pair.
    private func submit(_ proposal: SettlementProposal, ids: [Hash], pair: CandidatePair, judgement j: PairJudgement) -> Proposed? {
        let correlation = pair.request.id
        do {
            let tx = try ledger.submit(.proposeSettlement(proposal), correlation: correlation)
            try memory.remember(ids)
            metrics.proposals.increment()
            logger.info("proposed settlement", metadata: IntentLog.metadata(correlation: correlation, [
                "tx": .string(tx.hex), "offer": .string(pair.offer.id.hex), "request": .string(pair.request.id.hex),
                "score": .string("kind=\(j.score.kind) terms=\(j.score.terms) text=\(j.score.text) total=\(j.score.total)"),
                "matcher": .string(j.score.source == 2 ? "llm" : "builtin"),
            ]))
            return Proposed(tx: tx, intents: ids, score: j.score)
        } catch {
            metrics.proposalFailures.increment()
            logger.warning("proposal refused", metadata: IntentLog.metadata(correlation: correlation, ["error": .string("\(error)")]))
            state.withLock { $0.lastError = "\(error)" }
            return nil
        }
    }

    /// Follows the mediator's on-chain record: settlements every party accepted since the last
    /// look are added to `agora_mediator_acceptances_total`.
    public func observeRecord() throws {
        guard let record = try ledger.mediatorRecord() else { return }
        let delta = seenAcceptances.withLock { seen -> UInt64 in
            defer { seen = record.acceptances }
            guard let before = seen else { return 0 }
            return record.acceptances >= before ? record.acceptances - before : 0
        }
        if delta > 0 {
            metrics.acceptances.increment(by: Int64(delta))
            logger.info("settlements accepted by every party", metadata: ["count": .stringConvertible(delta),
                                                                          "total": .stringConvertible(record.acceptances)])
        }
    }

    /// Runs a round after each signal (a committed block) until the stream ends or the task is
    /// cancelled. Errors are logged and the next block tries again.
    public func run(blocks: AsyncStream<UInt64>) async {
        for await height in blocks {
            do {
                try observeRecord()
                try await round()
                state.withLock { $0.lastError = nil }
            } catch {
                state.withLock { $0.lastError = "\(error)" }
                logger.warning("mediator round failed", metadata: ["height": .stringConvertible(height), "error": .string("\(error)")])
            }
        }
    }
}

/// Health of the mediator: registered on chain and its last round did not fail.
public struct MediatorHealth: HealthCheck {
    public let component = "mediator"
    let service: MediatorService

    public init(service: MediatorService) { self.service = service }

    public func check() async -> HealthStatus {
        let s = service.status
        if let e = s.lastError { return .failing(e) }
        return .ok("\(s.rounds) rounds, \(s.proposed) proposals, cursor \(s.cursor)")
    }
}

/// Health of the LLM provider as the breaker sees it, shown in /health: closed, or degraded
/// (open or half-open) while the built-in matcher stands in.
public struct LLMHealth: HealthCheck {
    public let component = "llm"
    let matcher: ChatCompletionsMatcher

    public init(matcher: ChatCompletionsMatcher) { self.matcher = matcher }

    public func check() async -> HealthStatus {
        switch matcher.breaker.state {
        case .closed: return .ok("breaker closed, model \(matcher.settings.model)")
        // Degraded, not down: the built-in matcher stands in, so the node stays ready; operators
        // alert on agora_mediator_llm_breaker_state.
        case .halfOpen: return .ok("degraded: breaker half-open, the next call is a trial; the built-in matcher stands in")
        case .open: return .ok("degraded: breaker open; the built-in matcher stands in")
        }
    }
}
