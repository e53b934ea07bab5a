import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import Testing
@testable import AgoraStorage

/// The intent index written with each block: intents and their status follow state (end-of-block
/// transitions included), words of open intents only, candidate retrieval by the inverted index
/// of the complementary kind, settlements by party and mediator.
@Suite("Intent index")
struct IntentIndexTests {
    let validator = SigningKey()
    let admin = SigningKey(), alice = SigningKey(), bob = SigningKey(), carol = SigningKey(), mediator = SigningKey()

    @Test("posting, retrieval of the complementary kind, status from the write set, words only while open")
    func lifecycle() throws {
        let c = try ClaimIndexTests.TestChain(validator: validator, funded: [admin, alice, bob, carol, mediator])
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "g", policy: .none))])
        try c.commit([alice, bob, carol].map { c.tx(admin, .addGroupMember(group: group, member: $0.address, role: .member)) }
                     + [c.tx(mediator, .registerMediator(stake: Amount(100)!, feeBps: 100))])
        func post(_ k: SigningKey, _ kind: IntentKind, _ text: String, _ terms: String = "") throws -> Hash {
            let id = LedgerID.intent(author: k.address, nonce: c.nonces[k.address] ?? 0)
            let r = try c.commit([c.tx(k, .postIntent(IntentContent(group: group, kind: kind, text: text, terms: try IntentTerms.parse(terms))))])
            #expect(r[0].succeeded)
            return id
        }
        let offer = try post(alice, .offer, "Spare GPU hours on an A100", "asset=gpu-hours")
        let bike = try post(carol, .offer, "A road bike, size 56")
        let request = try post(bob, .request, "Need GPU hours for training")

        let q = IntentWords.counts("Need GPU hours for training", asset: "").map(\.word)
        let r = try c.store.intentCandidates(group: group, kind: .offer, words: q, excludingAuthor: bob.address, limit: 10)
        #expect(r.candidates.map(\.id) == [offer])  // the bike shares no word; requests are another kind
        #expect(r.documents == 2 && r.documentFrequencies["gpu"] == 1)
        #expect(r.termFrequencies[r.candidates[0].position]?["gpu"] == 2)  // "A100" folds to gpu
        #expect(try c.store.intents(.init(group: group, status: .open, limit: 10)).map(\.id) == [offer, bike, request])
        #expect(try c.store.intents(.init(author: alice.address, limit: 10)).map(\.id) == [offer])

        // A settlement of offer and request, accepted by both: the intents become matched in the
        // index (from the write set) and their words leave the retrieval index.
        let sid = LedgerID.settlement(mediator: mediator.address, nonce: 1)
        let p = SettlementProposal(intents: [offer, request].sorted(), termsText: "deal", terms: .none, payments: [], mediatorFee: .zero,
                                   acceptBy: 100, challengeWindow: 3, score: MatchScore(source: 1, kind: 1000, terms: 500, text: 600, total: 650))
        #expect(try c.commit([c.tx(mediator, .proposeSettlement(p))])[0].succeeded)
        #expect(try c.store.settlements(.init(party: alice.address, limit: 10)).map(\.id) == [sid])
        #expect(try c.store.settlements(.init(mediator: mediator.address, limit: 10)).first?.status == .proposed)
        try c.commit([c.tx(alice, .acceptSettlement(settlement: sid)), c.tx(bob, .acceptSettlement(settlement: sid))])
        #expect(try c.store.intent(id: offer)?.status == .matched)
        #expect(try c.store.settlement(id: sid)?.status == .accepted)
        let after = try c.store.intentCandidates(group: group, kind: .offer, words: q, excludingAuthor: bob.address, limit: 10)
        #expect(after.candidates.isEmpty && after.documents == 1)
        // The window passes in empty blocks: finalised at end of block, no transaction says so.
        for _ in 0..<3 { try c.commit([]) }
        #expect(try c.store.settlement(id: sid)?.status == .finalised)
        #expect(try c.store.intent(id: offer)?.status == .settled)
        #expect(try c.store.proposedIntentSets(mediator: mediator.address) == [[offer, request].sorted()])
    }
}
