import Testing
@testable import AgoraCore

/// The intents payloads' encodings (tags 28–34): round trips, deterministic IDs, refusal of
/// oversized, empty and non-canonical forms, and the words the index and the matcher share.
@Suite("Intents payload codec")
struct IntentPayloadCodecTests {
    static func proposal(_ r: inout SeededRandom) -> SettlementProposal {
        let ids = [Fixtures.hash(&r), Fixtures.hash(&r)].sorted()
        return SettlementProposal(intents: ids, termsText: "alice delivers 10 GPU hours; bob pays 1750", terms: try! IntentTerms.parse("asset=gpu-hours amount=10 price=1750"),
                                  payments: [SettlementPayment(from: Fixtures.address(&r), to: Fixtures.address(&r), amount: Amount(1750)!)],
                                  mediatorFee: Amount(35)!, acceptBy: 90, challengeWindow: 10,
                                  score: MatchScore(source: 1, kind: 1000, terms: 1000, text: 640, total: 820))
    }

    @Test("every intents payload round-trips with tags 28 to 34")
    func roundTrip() throws {
        var r = SeededRandom(seed: 71)
        let group = Fixtures.hash(&r), id = Fixtures.hash(&r)
        let cases: [(Payload, UInt8)] = [
            (.postIntent(IntentContent(group: group, kind: .offer, text: "spare GPU hours", terms: try IntentTerms.parse("asset=gpu-hours amount=10..20 price=5..9 deadline=100"), bond: Amount(5)!)), 28),
            (.postIntent(IntentContent(group: group, kind: .request, text: "a bike")), 28),
            (.withdrawIntent(intent: id), 29),
            (.registerMediator(stake: Amount(100)!, feeBps: 250), 30),
            (.proposeSettlement(Self.proposal(&r)), 31),
            (.acceptSettlement(settlement: id), 32),
            (.challengeSettlement(settlement: id, reason: "not as described", bond: Amount(10)!), 33),
            (.resolveChallenge(settlement: id, upheld: true), 34),
        ]
        for (payload, tag) in cases {
            let bytes = payload.canonicalBytes
            #expect(bytes.first == tag)
            #expect(try Payload(canonicalBytes: bytes) == payload)
        }
    }

    @Test("oversized or blank text, unsorted intents, a short challenge window, bad ranges and assets are refused")
    func refusals() {
        var r = SeededRandom(seed: 72)
        let group = Fixtures.hash(&r)
        func refused(_ p: Payload) -> Bool { (try? Payload(canonicalBytes: p.canonicalBytes)) == nil }
        #expect(refused(.postIntent(IntentContent(group: group, kind: .offer, text: String(repeating: "x", count: Limits.maxIntentTextBytes + 1)))))
        #expect(!refused(.postIntent(IntentContent(group: group, kind: .offer, text: String(repeating: "x", count: Limits.maxIntentTextBytes)))))
        #expect(refused(.postIntent(IntentContent(group: group, kind: .offer, text: "  \n"))))
        #expect(refused(.postIntent(IntentContent(group: group, kind: .offer, text: "x", terms: IntentTerms(asset: "GPU Hours")))))
        #expect(refused(.postIntent(IntentContent(group: group, kind: .offer, text: "x", terms: IntentTerms(price: ValueRange(min: 9, max: 3))))))
        #expect(refused(.postIntent(IntentContent(group: group, kind: .offer, text: "x", terms: IntentTerms(deadline: 0)))))
        var p = Self.proposal(&r)
        p.intents.reverse()
        #expect(refused(.proposeSettlement(p)))
        p.intents = [p.intents[0]]
        #expect(refused(.proposeSettlement(p)))
        var q = Self.proposal(&r)
        q.challengeWindow = Limits.minChallengeWindow - 1
        #expect(refused(.proposeSettlement(q)))
        q = Self.proposal(&r)
        q.payments[0].to = q.payments[0].from
        #expect(refused(.proposeSettlement(q)))
        #expect(refused(.registerMediator(stake: Amount(100)!, feeBps: 10_001)))
        #expect(refused(.challengeSettlement(settlement: group, reason: "", bond: Amount(10)!)))
        // An unknown kind byte.
        var bytes = Payload.postIntent(IntentContent(group: group, kind: .offer, text: "x")).canonicalBytes
        bytes[33] = 3
        #expect((try? Payload(canonicalBytes: bytes)) == nil)
    }

    @Test("IDs derive from sender and nonce with their own domains")
    func ids() {
        var r = SeededRandom(seed: 73)
        let a = Fixtures.address(&r)
        #expect(LedgerID.intent(author: a, nonce: 1) != LedgerID.intent(author: a, nonce: 2))
        #expect(LedgerID.intent(author: a, nonce: 1) != LedgerID.settlement(mediator: a, nonce: 1))
        #expect(LedgerID.intent(author: a, nonce: 1) != LedgerID.claim(author: a, nonce: 1))
    }

    @Test("words: lowercase, stop words and kind words dropped, stems and synonyms folded, asset as a word")
    func words() {
        #expect(IntentWords.words("Offering my old Notebook, barely used!") == ["old", "laptop", "barely"])
        #expect(IntentWords.words("Looking for a laptop") == ["laptop"])
        #expect(IntentWords.words("GPUs for training runs") == ["gpu", "train", "runs"])
        let counts = IntentWords.counts("gpu gpu training", asset: "gpu-hours")
        #expect(counts.map(\.word) == ["gpu", "train", "asset:gpu-hours"])
        #expect(counts.map(\.count) == [2, 1, 2])
    }

    @Test("20,000 mutated intents payloads never crash the decoder, and what decodes is canonical")
    func fuzz() {
        var r = SeededRandom(seed: 0x1A7E)
        let group = Fixtures.hash(&r)
        let seeds: [[UInt8]] = [
            Payload.postIntent(IntentContent(group: group, kind: .offer, text: "spare GPU hours", terms: try! IntentTerms.parse("asset=gpu-hours amount=1..2 price=3..4 deadline=9"),
                                             bond: Amount(5)!)).canonicalBytes,
            Payload.proposeSettlement(Self.proposal(&r)).canonicalBytes,
            Payload.challengeSettlement(settlement: group, reason: "why", bond: Amount(10)!).canonicalBytes,
            Payload.registerMediator(stake: Amount(100)!, feeBps: 9).canonicalBytes,
            Payload.resolveChallenge(settlement: group, upheld: false).canonicalBytes,
        ]
        for _ in 0..<20_000 {
            var input = seeds[Int.random(in: 0..<seeds.count, using: &r)]
            for _ in 0..<Int.random(in: 1...3, using: &r) where !input.isEmpty {
                switch Int.random(in: 0...3, using: &r) {
                case 0: input[Int.random(in: 0..<input.count, using: &r)] = UInt8.random(in: 0...255, using: &r)
                case 1: input.removeLast(Int.random(in: 1...min(8, input.count), using: &r))
                case 2: input.insert(UInt8.random(in: 0...255, using: &r), at: Int.random(in: 0...input.count, using: &r))
                default: input.append(UInt8.random(in: 0...255, using: &r))
                }
            }
            if let p = try? Payload(canonicalBytes: input) { #expect(p.canonicalBytes == input) }
        }
    }
}
