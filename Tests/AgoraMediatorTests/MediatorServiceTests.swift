import AgoraCore
import AgoraState
import Foundation
import Synchronization
import Testing
@testable import AgoraMediator

/// The mediator's rounds against a scripted ledger: the per-block budget (with good pairs over
/// it competing again next round), never the same pair twice (also across a restart, from the
/// memory file), proposals that carry the score parts and the price as a payment from requester
/// to offerer with the registered fee, and a failing matcher that does not stop the service.
final class ScriptedLedger: MediatorLedger, @unchecked Sendable {
    let lock = Mutex<(intents: [(Int64, BookIntent)], closed: Set<Hash>, submitted: [(Payload, Hash)], registered: Bool)>(([], [], [], true))
    var height: UInt64 { 10 }

    func add(_ i: BookIntent) { lock.withLock { s in s.intents.append((Int64(s.intents.count), i)) } }
    func close(_ id: Hash) { _ = lock.withLock { $0.closed.insert(id) } }
    var submitted: [(Payload, Hash)] { lock.withLock { $0.submitted } }

    func intents(after: Int64, limit: Int) throws -> [(position: Int64, intent: BookIntent)] {
        lock.withLock { s in Array(s.intents.filter { $0.0 > after }.prefix(limit)).map { (position: $0.0, intent: $0.1) } }
    }

    func isOpen(_ id: Hash) throws -> Bool { lock.withLock { !$0.closed.contains(id) } }
    func mediatorRecord() throws -> MediatorRecord? {
        lock.withLock { $0.registered ? MediatorRecord(stake: Amount(100)!, feeBps: 200, registeredAt: 1) : nil }
    }

    func submit(_ payload: Payload, correlation: Hash) throws -> Hash {
        lock.withLock { s in
            s.submitted.append((payload, correlation))
            return Hash.sha256(Array("tx-\(s.submitted.count)".utf8))
        }
    }
}

struct FailingMatcher: IntentMatcher {
    let name = "failing"
    struct Boom: Error {}
    func judge(_ pairs: [CandidatePair]) async throws -> [PairJudgement?] { throw Boom() }
}

@Suite("Mediator service rounds")
struct MediatorServiceTests {
    static let group = Hash.sha256([42])

    static func intent(_ n: Int, _ kind: IntentKind, _ text: String, _ terms: String) -> BookIntent {
        BookIntent(id: Hash.sha256(Array("i-\(n)".utf8)), author: Address(raw: Array(Hash.sha256(Array("a-\(n)".utf8)).bytes.prefix(20))),
                   group: group, kind: kind, text: text, terms: try! IntentTerms.parse(terms), height: 1)
    }

    /// Three complementary pairs in different domains, all in the book and the ledger.
    static func setup() -> (ScriptedLedger, MemoryIntentBook, [(BookIntent, BookIntent)]) {
        let pairs = [
            (intent(1, .offer, "Spare GPU hours on A100 cards", "asset=gpu-hours price=100..200"),
             intent(2, .request, "GPU hours to fine-tune a model", "asset=gpu-hours price=150..300")),
            (intent(3, .offer, "Road bicycle, size 56, serviced", "asset=bicycle price=50..80"),
             intent(4, .request, "Looking for a road bicycle size 56", "asset=bicycle price=60..90")),
            (intent(5, .offer, "Spanish translation of contracts", "asset=translation"),
             intent(6, .request, "Contract translation into Spanish", "asset=translation")),
        ]
        let ledger = ScriptedLedger(), book = MemoryIntentBook()
        for (o, r) in pairs {
            for i in [o, r] {
                ledger.add(i)
                book.add(i)
            }
        }
        return (ledger, book, pairs)
    }

    @Test("the budget caps proposals per round; good pairs over it are proposed next round; never twice")
    func budgetAndNeverTwice() async throws {
        let (ledger, book, pairs) = Self.setup()
        let service = MediatorService(ledger: ledger, book: book, matcher: BuiltInMatcher(), memory: try ProposalMemory(path: nil),
                                      settings: MediatorSettings(proposalsPerBlock: 2))
        let first = try await service.round()
        #expect(first.count == 2)
        let second = try await service.round()  // no new intents: the carried pair competes
        #expect(second.count == 1)
        let all = Set((first + second).map(\.intents))
        #expect(all == Set(pairs.map { [$0.0.id, $0.1.id].sorted() }))
        // Re-reading the whole book (a restart from the beginning) proposes nothing again.
        service.resume(after: -1)
        let again = try await service.round()
        #expect(again.isEmpty)
        #expect(ledger.submitted.count == 3)
    }

    @Test("a proposal carries the score parts, the agreed price from requester to offerer, the fee at the registered rate, and the request as correlation")
    func proposalShape() async throws {
        let (ledger, book, pairs) = Self.setup()
        let service = MediatorService(ledger: ledger, book: book, matcher: BuiltInMatcher(), memory: try ProposalMemory(path: nil),
                                      settings: MediatorSettings(proposalsPerBlock: 10, acceptWindow: 20, challengeWindow: 5))
        try await service.round()
        let gpu = try #require(ledger.submitted.first { p, _ in
            if case let .proposeSettlement(s) = p { return s.intents == [pairs[0].0.id, pairs[0].1.id].sorted() }
            return false
        })
        guard case let .proposeSettlement(s) = gpu.0 else { Issue.record("not a proposal"); return }
        #expect(gpu.1 == pairs[0].1.id)
        #expect(s.payments == [SettlementPayment(from: pairs[0].1.author, to: pairs[0].0.author, amount: Amount(175)!)])
        #expect(s.mediatorFee == Amount(3)!)  // 200 bps of 175
        #expect(s.acceptBy == 30 && s.challengeWindow == 5)
        #expect(s.score.source == 1 && s.score.kind == 1000 && s.score.total == (2 * 1000 + 3 * s.score.terms + 5 * s.score.text) / 10)
        #expect(s.termsText.contains("price 175"))
        // The translation pair names no price: nothing moves on chain, no fee.
        let translation = ledger.submitted.compactMap { p, _ -> SettlementProposal? in
            if case let .proposeSettlement(s) = p, s.intents == [pairs[2].0.id, pairs[2].1.id].sorted() { return s }
            return nil
        }.first
        #expect(translation?.payments == [] && translation?.mediatorFee == .zero)
    }

    @Test("intents closed in state meanwhile are skipped")
    func closedSkipped() async throws {
        let (ledger, book, pairs) = Self.setup()
        ledger.close(pairs[1].0.id)
        let service = MediatorService(ledger: ledger, book: book, matcher: BuiltInMatcher(), memory: try ProposalMemory(path: nil),
                                      settings: MediatorSettings())
        let out = try await service.round()
        #expect(!out.contains { $0.intents.contains(pairs[1].0.id) })
        #expect(out.count == 2)
    }

    @Test("the memory survives a restart: a new service over the same file does not repeat a pair")
    func memoryFile() async throws {
        let path = NSTemporaryDirectory() + "agora-mediator-\(UUID().uuidString)/proposed.log"
        let (ledger, book, _) = Self.setup()
        let first = MediatorService(ledger: ledger, book: book, matcher: BuiltInMatcher(), memory: try ProposalMemory(path: path),
                                    settings: MediatorSettings())
        #expect(try await first.round().count == 3)
        let reopened = try ProposalMemory(path: path)
        #expect(reopened.count == 3)
        let second = MediatorService(ledger: ledger, book: book, matcher: BuiltInMatcher(), memory: reopened, settings: MediatorSettings())
        #expect(try await second.round().isEmpty)
    }

    @Test("a matcher that fails does not stop the service: the round fails, the error shows in health, the next block tries again")
    func keepsRunning() async throws {
        let (ledger, book, _) = Self.setup()
        let service = MediatorService(ledger: ledger, book: book, matcher: FailingMatcher(), memory: try ProposalMemory(path: nil),
                                      settings: MediatorSettings())
        let (stream, continuation) = AsyncStream<UInt64>.makeStream()
        continuation.yield(1)
        continuation.yield(2)
        continuation.finish()
        await service.run(blocks: stream)
        #expect(service.status.lastError != nil)
        #expect(service.status.cursor == -1)  // nothing skipped: the intents are judged again later
        let health = await MediatorHealth(service: service).check()
        #expect(!health.healthy)
    }
}
