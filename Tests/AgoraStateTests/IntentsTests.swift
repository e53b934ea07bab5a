import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// The intents module's rules: who may post, accept, challenge and resolve; escrow and payout
/// arithmetic; deadlines; every challenge outcome; no double settlement; and the supply
/// invariant under seeded random operation sequences.
struct IntentLedger {
    var g: GroupLedger
    let mediator = SigningKey(), rival = SigningKey(), stranger = SigningKey()
    var group = Hash.sha256([0])

    init() throws {
        g = try GroupLedger()
        // Fund the mediators and the stranger from alice (they are not in the genesis allocations).
        for k in [mediator, rival, stranger] {
            let outcome = try g.run(g.admin, .transfer(to: k.address, amount: Amount(10_000)!, memo: ""))
            precondition(outcome == .ok)
        }
        group = try g.createGroup()
        for k in [g.alice, g.bob, g.carol] {
            let outcome = try g.run(g.admin, .addGroupMember(group: group, member: k.address, role: .member))
            precondition(outcome == .ok)
        }
    }

    var admin: SigningKey { g.admin }
    var alice: SigningKey { g.alice }
    var bob: SigningKey { g.bob }
    var height: UInt64 { g.l.height }

    mutating func run(_ key: SigningKey, _ payload: Payload) throws -> StakingLedger.Outcome { try g.run(key, payload) }
    mutating func tick(_ n: Int = 1) throws { for _ in 0..<n { try g.l.block() } }

    mutating func post(_ key: SigningKey, _ kind: IntentKind, _ text: String = "spare gpu hours", terms: IntentTerms = .none,
                       bond: UInt64 = 5) throws -> Hash {
        let id = LedgerID.intent(author: key.address, nonce: g.l.nonces[key.address] ?? 0)
        let outcome = try run(key, .postIntent(IntentContent(group: group, kind: kind, text: text, terms: terms, bond: Amount(bond)!)))
        precondition(outcome == .ok, "post failed: \(outcome)")
        return id
    }

    mutating func register(_ key: SigningKey, stake: UInt64 = 200, feeBps: UInt16 = 500) throws {
        let outcome = try run(key, .registerMediator(stake: Amount(stake)!, feeBps: feeBps))
        precondition(outcome == .ok, "register failed: \(outcome)")
    }

    func proposal(_ intents: [Hash], payments: [SettlementPayment], fee: UInt64, acceptBy: UInt64? = nil, window: UInt64 = 3) -> SettlementProposal {
        SettlementProposal(intents: intents.sorted(), termsText: "alice delivers, bob pays", terms: .none, payments: payments,
                           mediatorFee: Amount(fee)!, acceptBy: acceptBy ?? height + 10, challengeWindow: window,
                           score: MatchScore(source: 1, kind: 1000, terms: 500, text: 700, total: 700))
    }

    mutating func propose(_ key: SigningKey, _ p: SettlementProposal) throws -> (Hash, StakingLedger.Outcome) {
        let id = LedgerID.settlement(mediator: key.address, nonce: g.l.nonces[key.address] ?? 0)
        return (id, try run(key, .proposeSettlement(p)))
    }

    func settlement(_ id: Hash) throws -> SettlementRecord? { try Intents.settlement(id, state: g.l.state) }
    func intent(_ id: Hash) throws -> IntentRecord? { try Intents.intent(id, state: g.l.state) }
    func mediatorRecord(_ k: SigningKey) throws -> MediatorRecord? { try Intents.mediator(k.address, state: g.l.state) }
    func balance(_ k: SigningKey) throws -> UInt64 { try g.balance(k) }

    /// Σ balances + bonds + treasuries + intent bonds + mediator stakes + escrows + challenge bonds.
    func accountedSupply() throws -> UInt64 {
        var total = try g.accountedSupply()
        for (key, value) in g.l.state.entries {
            if key.bytes.starts(with: IntentKeys.intentPrefix) {
                let r = try IntentRecord(canonicalBytes: value)
                if r.status == .open || r.status == .matched { total += r.bond.units }
            } else if key.bytes.starts(with: IntentKeys.mediatorPrefix) {
                total += try MediatorRecord(canonicalBytes: value).stake.units
            } else if key.bytes.starts(with: IntentKeys.settlementPrefix) && !key.bytes.starts(with: IntentKeys.duePrefix) {
                let s = try SettlementRecord(canonicalBytes: value)
                total += s.escrowTotal.units + s.challengeBond.units
            }
        }
        return total
    }

    func checkSupply(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let accounted = try accountedSupply()
        let supply = try g.l.supply()
        #expect(accounted == supply, "accounted \(accounted) != supply \(supply)", sourceLocation: sourceLocation)
    }
}

@Suite("Intents: posting, settlement, escrow, challenges")
struct IntentsTests {
    /// alice offers, bob requests, the mediator proposes bob → alice 1000 with fee 50.
    func accepted(window: UInt64 = 3) throws -> (IntentLedger, Hash, Hash, Hash) {
        var l = try IntentLedger()
        let offer = try l.post(l.alice, .offer)
        let request = try l.post(l.bob, .request, "need gpu hours")
        try l.register(l.mediator)
        let p = l.proposal([offer, request], payments: [SettlementPayment(from: l.bob.address, to: l.alice.address, amount: Amount(1000)!)],
                           fee: 50, window: window)
        let (sid, outcome) = try l.propose(l.mediator, p)
        #expect(outcome == .ok)
        #expect(try l.run(l.alice, .acceptSettlement(settlement: sid)) == .ok)
        #expect(try l.run(l.bob, .acceptSettlement(settlement: sid)) == .ok)
        return (l, sid, offer, request)
    }

    @Test("posting needs membership (not observer), pays the bond, and the ID derives from author and nonce")
    func posting() throws {
        var l = try IntentLedger()
        let before = try l.balance(l.alice)
        let id = try l.post(l.alice, .offer, bond: 7)
        let r = try #require(try l.intent(id))
        #expect(r.author == l.alice.address && r.status == .open && r.bond.units == 7 && r.kind == .offer)
        #expect(try l.balance(l.alice) == before - 7 - 1)
        let content = IntentContent(group: l.group, kind: .request, text: "x")
        #expect(try l.run(l.stranger, .postIntent(content)) == .included(.notGroupMember(group: l.group, address: l.stranger.address)))
        #expect(try l.run(l.admin, .addGroupMember(group: l.group, member: l.stranger.address, role: .observer)) == .ok)
        #expect(try l.run(l.stranger, .postIntent(content)) == .included(.observerCannotPublish(group: l.group, address: l.stranger.address)))
        var late = content
        late.terms.deadline = 1
        let lateID = LedgerID.intent(author: l.bob.address, nonce: l.g.l.nonces[l.bob.address] ?? 0)
        #expect(try l.run(l.bob, .postIntent(late)) == .included(.intentExpired(intent: lateID, deadline: 1)))
        try l.checkSupply()
    }

    @Test("only the author withdraws, only while open, and gets the bond back")
    func withdrawing() throws {
        var l = try IntentLedger()
        let id = try l.post(l.alice, .offer, bond: 9)
        #expect(try l.run(l.bob, .withdrawIntent(intent: id)) == .included(.notIntentAuthor(intent: id, address: l.bob.address)))
        let before = try l.balance(l.alice)
        #expect(try l.run(l.alice, .withdrawIntent(intent: id)) == .ok)
        #expect(try l.balance(l.alice) == before + 9 - 1)
        #expect(try l.run(l.alice, .withdrawIntent(intent: id)) == .included(.intentNotOpen(id)))
        try l.checkSupply()
    }

    @Test("proposals need a registered, staked mediator, open intents of both kinds in one group, parties in the payments, a fee within the rate")
    func proposing() throws {
        var l = try IntentLedger()
        let offer = try l.post(l.alice, .offer)
        let request = try l.post(l.bob, .request)
        let offer2 = try l.post(l.g.carol, .offer)
        let pay = [SettlementPayment(from: l.bob.address, to: l.alice.address, amount: Amount(1000)!)]
        #expect(try l.propose(l.mediator, l.proposal([offer, request], payments: pay, fee: 0)).1 == .included(.mediatorNotRegistered(l.mediator.address)))
        #expect(try l.run(l.mediator, .registerMediator(stake: Amount(50)!, feeBps: 100))
            == .included(.mediatorStakeTooLow(stake: Amount(50)!, minimum: IntentRules.minMediatorStake)))
        try l.register(l.mediator, feeBps: 500)
        #expect(try l.propose(l.mediator, l.proposal([offer, offer2], payments: [], fee: 0)).1 == .included(.noComplementaryIntents))
        #expect(try l.propose(l.mediator, l.proposal([offer, request], payments: pay, fee: 51)).1
            == .included(.mediatorFeeAboveRate(fee: Amount(51)!, maximum: Amount(50)!)))
        let outsider = [SettlementPayment(from: l.stranger.address, to: l.alice.address, amount: Amount(5)!)]
        #expect(try l.propose(l.mediator, l.proposal([offer, request], payments: outsider, fee: 0)).1
            == .included(.paymentOutsideParties(l.stranger.address)))
        let missing = Hash.sha256([9])
        #expect(try l.propose(l.mediator, l.proposal([offer, missing], payments: [], fee: 0)).1 == .included(.intentNotFound(missing)))
        let next = l.height + 1
        #expect(try l.propose(l.mediator, l.proposal([offer, request], payments: pay, fee: 0, acceptBy: 1)).1
            == .included(.acceptDeadlineInvalid(acceptBy: 1, height: next)))
        // A mediator cannot mediate its own intent.
        #expect(try l.run(l.admin, .addGroupMember(group: l.group, member: l.mediator.address, role: .member)) == .ok)
        let own = try l.post(l.mediator, .request)
        #expect(try l.propose(l.mediator, l.proposal([offer, own], payments: [], fee: 0)).1 == .included(.mediatorIsParty(l.mediator.address)))
        // Withdrawn intents cannot be named.
        #expect(try l.run(l.alice, .withdrawIntent(intent: offer)) == .ok)
        #expect(try l.propose(l.mediator, l.proposal([offer, request], payments: pay, fee: 0)).1 == .included(.intentNotOpen(offer)))
        let (sid, ok) = try l.propose(l.mediator, l.proposal([offer2, request], payments: [], fee: 0))
        #expect(ok == .ok)
        #expect(try l.settlement(sid)?.status == .proposed)
        #expect(try l.mediatorRecord(l.mediator)?.proposals == 1)
        try l.checkSupply()
    }

    @Test("only parties accept, once each, before the deadline; each escrows its payments, their fee and its share of the mediator fee")
    func accepting() throws {
        var l = try IntentLedger()
        let offer = try l.post(l.alice, .offer)
        let request = try l.post(l.bob, .request)
        try l.register(l.mediator)
        let p = l.proposal([offer, request], payments: [SettlementPayment(from: l.bob.address, to: l.alice.address, amount: Amount(1000)!)], fee: 49)
        let (sid, proposed) = try l.propose(l.mediator, p)
        #expect(proposed == .ok)
        #expect(try l.run(l.stranger, .acceptSettlement(settlement: sid)) == .included(.notSettlementParty(settlement: sid, address: l.stranger.address)))
        let bobBefore = try l.balance(l.bob), aliceBefore = try l.balance(l.alice)
        #expect(try l.run(l.bob, .acceptSettlement(settlement: sid)) == .ok)
        #expect(try l.run(l.bob, .acceptSettlement(settlement: sid)) == .included(.alreadyAccepted(settlement: sid, address: l.bob.address)))
        // Parties in intent-ID order: the first one carries the remainder of the fee split.
        let s = try #require(try l.settlement(sid))
        let bobIndex = s.parties.firstIndex(of: l.bob.address)!
        let bobShare: UInt64 = 24 + (bobIndex == 0 ? 1 : 0)
        #expect(try l.balance(l.bob) == bobBefore - 1000 - bobShare - 1 - 1)
        #expect(try l.run(l.alice, .acceptSettlement(settlement: sid)) == .ok)
        #expect(try l.balance(l.alice) == aliceBefore - (49 - bobShare) - 1)
        let after = try #require(try l.settlement(sid))
        #expect(after.status == .accepted && after.finalizeAt == l.height + 3)
        #expect(try l.intent(offer)?.status == .matched && l.intent(request)?.status == .matched)
        try l.checkSupply()
    }

    @Test("the window passes: payments, fee and bonds pay out exactly; the record counts it")
    func finalising() throws {
        var (l, sid, offer, request) = try accepted()
        let alice = try l.balance(l.alice), bob = try l.balance(l.bob), med = try l.balance(l.mediator)
        let finalizeAt = try #require(try l.settlement(sid)).finalizeAt
        while l.height < finalizeAt - 1 { try l.tick() }
        #expect(try l.settlement(sid)?.status == .accepted)
        try l.tick()
        #expect(try l.settlement(sid)?.status == .finalised)
        #expect(try l.balance(l.alice) == alice + 1000 + 5)
        #expect(try l.balance(l.bob) == bob + 5)
        #expect(try l.balance(l.mediator) == med + 50)
        #expect(try l.intent(offer)?.status == .settled && l.intent(request)?.status == .settled)
        let m = try #require(try l.mediatorRecord(l.mediator))
        #expect(m.proposals == 1 && m.acceptances == 1 && m.finalised == 1 && m.challenged == 0)
        try l.checkSupply()
    }

    @Test("a settlement not accepted by every party by acceptBy expires and refunds what was escrowed")
    func expiring() throws {
        var l = try IntentLedger()
        let offer = try l.post(l.alice, .offer)
        let request = try l.post(l.bob, .request)
        try l.register(l.mediator)
        let p = l.proposal([offer, request], payments: [SettlementPayment(from: l.bob.address, to: l.alice.address, amount: Amount(300)!)],
                           fee: 10, acceptBy: l.height + 3)
        let (sid, _) = try l.propose(l.mediator, p)
        let bob = try l.balance(l.bob)
        #expect(try l.run(l.bob, .acceptSettlement(settlement: sid)) == .ok)
        try l.tick(3)
        #expect(try l.settlement(sid)?.status == .expired)
        #expect(try l.balance(l.bob) == bob - 1)
        #expect(try l.run(l.alice, .acceptSettlement(settlement: sid)) == .included(.settlementNotOpen(sid)))
        #expect(try l.intent(offer)?.status == .open)
        try l.checkSupply()
    }

    @Test("an intent is settled once: a second settlement naming it cannot complete")
    func noDoubleSettlement() throws {
        var l = try IntentLedger()
        let offer = try l.post(l.alice, .offer)
        let r1 = try l.post(l.bob, .request)
        let r2 = try l.post(l.g.carol, .request)
        try l.register(l.mediator)
        try l.register(l.rival)
        let (s1, _) = try l.propose(l.mediator, l.proposal([offer, r1], payments: [], fee: 0))
        let (s2, _) = try l.propose(l.rival, l.proposal([offer, r2], payments: [], fee: 0))
        // Both of s2's parties could accept in the same block as the last acceptance of s1.
        let failures = try l.g.block([(l.alice, .acceptSettlement(settlement: s1)), (l.bob, .acceptSettlement(settlement: s1)),
                                      (l.alice, .acceptSettlement(settlement: s2))])
        #expect(failures == [nil, nil, .intentNotOpen(offer)])
        #expect(try l.run(l.g.carol, .acceptSettlement(settlement: s2)) == .included(.intentNotOpen(offer)))
        #expect(try l.run(l.alice, .withdrawIntent(intent: offer)) == .included(.intentNotOpen(offer)))
        try l.checkSupply()
    }

    @Test("challenges: by a party or another mediator, in the window, with a bond; upheld refunds and slashes, rejected forfeits and pays out")
    func challenges() throws {
        // Upheld.
        do {
            var (l, sid, offer, _) = try accepted(window: 5)
            #expect(try l.run(l.stranger, .challengeSettlement(settlement: sid, reason: "no", bond: Amount(10)!))
                == .included(.notEntitledToChallenge(settlement: sid, address: l.stranger.address)))
            #expect(try l.run(l.mediator, .challengeSettlement(settlement: sid, reason: "no", bond: Amount(10)!))
                == .included(.notEntitledToChallenge(settlement: sid, address: l.mediator.address)))
            #expect(try l.run(l.alice, .challengeSettlement(settlement: sid, reason: "no", bond: Amount(9)!))
                == .included(.challengeBondTooLow(bond: Amount(9)!, minimum: IntentRules.minChallengeBond)))
            let alice = try l.balance(l.alice), bob = try l.balance(l.bob)
            #expect(try l.run(l.alice, .challengeSettlement(settlement: sid, reason: "the gpu is a different model", bond: Amount(20)!)) == .ok)
            try l.tick(6)  // past finalizeAt: a challenged settlement does not finalise
            #expect(try l.settlement(sid)?.status == .challenged)
            #expect(try l.run(l.alice, .resolveChallenge(settlement: sid, upheld: true)) == .included(.notGroupAdmin(group: l.group, address: l.alice.address)))
            let stake = try #require(try l.mediatorRecord(l.mediator)).stake.units
            #expect(try l.run(l.admin, .resolveChallenge(settlement: sid, upheld: true)) == .ok)
            #expect(try l.settlement(sid)?.status == .refunded)
            // alice paid two fees (challenge, her refused resolution) and the bond; she gets the
            // bond, her escrow (25) and half the stake.
            #expect(try l.balance(l.alice) == alice - 2 + 25 + stake / 2)
            #expect(try l.balance(l.bob) == bob + 1025)
            let m = try #require(try l.mediatorRecord(l.mediator))
            #expect(m.stake.units == stake - stake / 2 && m.upheld == 1 && m.challenged == 1 && m.finalised == 0)
            #expect(try l.intent(offer)?.status == .open)
            #expect(try l.run(l.admin, .resolveChallenge(settlement: sid, upheld: true)) == .included(.settlementNotChallenged(sid)))
            try l.checkSupply()
        }
        // Rejected: another mediator challenges; its bond goes to the mediator; the settlement pays out.
        do {
            var (l, sid, _, _) = try accepted(window: 5)
            try l.register(l.rival)
            let rival = try l.balance(l.rival), med = try l.balance(l.mediator), alice = try l.balance(l.alice)
            #expect(try l.run(l.rival, .challengeSettlement(settlement: sid, reason: "price too high", bond: Amount(30)!)) == .ok)
            #expect(try l.run(l.admin, .resolveChallenge(settlement: sid, upheld: false)) == .ok)
            #expect(try l.settlement(sid)?.status == .finalised)
            #expect(try l.balance(l.rival) == rival - 30 - 1)
            #expect(try l.balance(l.mediator) == med + 30 + 50)
            #expect(try l.balance(l.alice) == alice + 1000 + 5)
            #expect(try l.mediatorRecord(l.mediator)?.finalised == 1)
            try l.checkSupply()
        }
        // Too late: once the window closed (finalised) there is nothing to challenge.
        do {
            var (l, sid, _, _) = try accepted(window: 3)
            try l.tick(3)
            #expect(try l.run(l.alice, .challengeSettlement(settlement: sid, reason: "late", bond: Amount(10)!)) == .included(.settlementNotChallengeable(sid)))
            try l.checkSupply()
        }
    }

    @Test("escrow arithmetic: a party's share is its payments, the transfer fee on them and its part of the mediator fee")
    func escrowArithmetic() {
        let a = Address(raw: [UInt8](repeating: 1, count: 20)), b = Address(raw: [UInt8](repeating: 2, count: 20))
        let pays = [SettlementPayment(from: a, to: b, amount: Amount(10_000)!), SettlementPayment(from: b, to: a, amount: Amount(3)!)]
        #expect(Intents.escrow(of: 0, parties: [a, b], payments: pays, mediatorFee: Amount(7)!, feeBps: 100)?.units == 10_000 + 100 + 4)
        #expect(Intents.escrow(of: 1, parties: [a, b], payments: pays, mediatorFee: Amount(7)!, feeBps: 100)?.units == 3 + 0 + 3)
        #expect(Intents.escrow(of: 1, parties: [a, b], payments: [], mediatorFee: .zero, feeBps: 100)?.units == 0)
    }

    @Test("seeded random operation sequences keep bank/supply equal to everything accounted", arguments: [1, 2, 3, 4, 5, 6])
    func supplyInvariant(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var l = try IntentLedger()
        try l.register(l.mediator)
        try l.register(l.rival)
        let people = [l.alice, l.bob, l.g.carol]
        var intents: [Hash] = []
        var settlements: [Hash] = []
        for _ in 0..<120 {
            let who = people[Int(rng.next() % 3)]
            switch rng.next() % 9 {
            case 0, 1:
                let kind: IntentKind = rng.next() % 2 == 0 ? .offer : .request
                intents.append(try l.post(who, kind, bond: rng.next() % 20))
            case 2:
                if let i = intents.randomElement(using: &rng) { _ = try l.run(who, .withdrawIntent(intent: i)) }
            case 3, 4:
                guard intents.count >= 2 else { continue }
                let a = intents.randomElement(using: &rng)!, b = intents.randomElement(using: &rng)!
                guard a != b else { continue }
                let parties = [a, b].compactMap { try? l.intent($0)?.author }
                guard parties.count == 2, parties[0] != parties[1] else { continue }
                let pay = [SettlementPayment(from: parties[0], to: parties[1], amount: Amount(1 + rng.next() % 500)!)]
                let m = rng.next() % 2 == 0 ? l.mediator : l.rival
                let (sid, _) = try l.propose(m, l.proposal([a, b], payments: pay, fee: rng.next() % 5, acceptBy: l.height + 1 + rng.next() % 6,
                                                           window: 3 + rng.next() % 3))
                settlements.append(sid)
            case 5, 6:
                if let s = settlements.randomElement(using: &rng), let rec = try l.settlement(s) {
                    for p in rec.parties where rng.next() % 3 != 0 {
                        if let k = people.first(where: { $0.address == p }) { _ = try l.run(k, .acceptSettlement(settlement: s)) }
                    }
                }
            case 7:
                if let s = settlements.randomElement(using: &rng), let rec = try l.settlement(s), let p = rec.parties.first,
                   let k = people.first(where: { $0.address == p }) {
                    _ = try l.run(k, .challengeSettlement(settlement: s, reason: "r", bond: Amount(10 + rng.next() % 10)!))
                }
            default:
                if let s = settlements.randomElement(using: &rng) { _ = try l.run(l.admin, .resolveChallenge(settlement: s, upheld: rng.next() % 2 == 0)) }
            }
            try l.checkSupply()
        }
        try l.tick(10)
        try l.checkSupply()
    }
}

/// SplitMix64: a small seeded generator so property runs reproduce.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
