import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

@Suite("Staking: double-sign evidence")
struct EvidenceTests {
    let v1 = SigningKey(), v2 = SigningKey(), v3 = SigningKey(), admin = SigningKey(), reporter = SigningKey()

    func ledger(maxEvidenceAge: UInt64 = 20) throws -> StakingLedger {
        try StakingLedger(validators: [(v1, 10), (v2, 10), (v3, 10)], bonds: [10_000, 10_000, 10_000], admin: admin,
                          minBond: 1_000, maxEvidenceAge: maxEvidenceAge, allocations: [(admin, 100_000), (v1, 1_000)])
    }

    @Test("evidence burns 5% of the bond from the supply, tombstones the key and removes it from H+2")
    func punishment() throws {
        var l = try ledger()
        try l.block()
        try l.block()
        let supply = try l.supply()
        // Anyone may report, with an empty account and fee 0.
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v2, height: 1)))) == .ok)  // height 3
        #expect(try l.bond(v2) == 9_500)
        #expect(try l.supply() == supply - 500)
        #expect(try l.balancesAndBonds() == l.supply())
        #expect(try l.record(v2)?.tombstoned == true)
        #expect(try Staking.status(of: v2.publicKey, state: l.state) == .tombstoned)
        #expect(try l.validators(at: 4).contains(v2.publicKey))
        #expect(try !l.validators(at: 5).contains(v2.publicKey))
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 1))) == .included(.keyTombstoned(v2.publicKey)))
    }

    @Test("the same offence twice, in one block or later, is refused: the key is already tombstoned")
    func duplicate() throws {
        var l = try ledger()
        try l.block()
        let evidence = l.doubleSign(v1, height: 1)
        let first = l.tx(reporter, fee: 0, .evidence(evidence))
        let other = SigningKey()
        let second = l.tx(other, fee: 0, .evidence(l.doubleSign(v1, height: 1)))
        let result = try l.block([first, second])
        #expect(result.included == [first])
        #expect(result.rejected.map(\.1) == [.evidenceAlreadyPunished(v1.publicKey)])
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(evidence))) == .rejected(.evidenceAlreadyPunished(v1.publicKey)))
        #expect(try l.bond(v1) == 9_500)
    }

    @Test("a fee on evidence is refused")
    func feeMustBeZero() throws {
        var l = try StakingLedger(validators: [(v1, 10), (v2, 10)], admin: admin, allocations: [(reporter, 1_000)])
        try l.block()
        #expect(try l.run(l.tx(reporter, fee: 1, .evidence(l.doubleSign(v1, height: 1)))) == .rejected(.evidenceFeeMustBeZero(Amount(1)!)))
    }

    @Test("a forged signature, another chain or a key outside the set at that height is refused")
    func invalid() throws {
        var l = try ledger()
        try l.block()
        let good = l.doubleSign(v1, height: 1)
        let forgedVote = SignedVote(vote: good.second.vote, validator: v1.publicKey, signature: v3.sign(good.second.vote.signingBytes))
        let forged = try DuplicateVoteEvidence(good.first, forgedVote)
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(forged)))
            == .rejected(.invalidEvidence(.badSignature(validator: v1.publicKey, blockHash: forgedVote.vote.blockHash))))
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v1, height: 1, chain: "other"))))
            == .rejected(.invalidEvidence(.wrongChain(expected: l.chainID, found: "other"))))
        let stranger = SigningKey()
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(stranger, height: 1))))
            == .rejected(.invalidEvidence(.unknownValidator(stranger.publicKey))))
        #expect(try l.record(v1)?.tombstoned == false)
    }

    @Test("evidence older than maxEvidenceAge or from a height not yet reached is refused")
    func window() throws {
        var l = try ledger(maxEvidenceAge: 3)
        for _ in 0..<5 { try l.block() }  // head 5; the next block is 6
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v1, height: 2))))
            == .rejected(.evidenceTooOld(height: 2, current: 6, maxAge: 3)))
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v1, height: 99))))
            == .rejected(.evidenceFromFuture(height: 99, current: 7)))
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v1, height: 0))))
            == .rejected(.evidenceFromFuture(height: 0, current: 8)))
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v1, height: 6)))) == .ok)  // 9 - 6 = 3: at the edge
    }

    @Test("a validator removed since still answers for what it signed while in the set")
    func removedValidator() throws {
        var l = try ledger()
        try l.block()                                                                                 // 1
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v3.publicKey, power: 0))) == .ok)  // 2: out from 4
        try l.block()
        try l.block()
        #expect(try !l.working().contains(v3.publicKey))
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v3, height: 5))))
            == .rejected(.invalidEvidence(.unknownValidator(v3.publicKey))))
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v3, height: 3)))) == .ok)
        #expect(try l.bond(v3) == 9_500)
    }

    @Test("evidence against a key that rotated away slashes the bond where it went and removes the new key")
    func followsRotation() throws {
        var l = try ledger()
        let fresh = SigningKey()
        try l.block()                                                 // 1
        #expect(try l.run(l.rotation(v1, to: fresh)) == .ok)          // 2: fresh from 4
        try l.block()
        try l.block()
        let supply = try l.supply()
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v1, height: 1)))) == .ok)  // 5
        #expect(try l.bond(fresh) == 9_500)
        #expect(try l.supply() == supply - 500)
        #expect(try l.record(v1)?.tombstoned == true)
        #expect(try l.record(fresh)?.tombstoned == true)
        #expect(try !l.validators(at: 7).contains(fresh.publicKey))
        // The new key's own later offence is the same validator: already punished.
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(fresh, height: 5)))) == .rejected(.evidenceAlreadyPunished(fresh.publicKey)))
    }

    @Test("the last validator is slashed and tombstoned but stays in the set: an empty set could never recover")
    func lastValidatorStays() throws {
        var l = try StakingLedger(validators: [(v1, 1)], bonds: [2_000], admin: admin, minBond: 1_000, allocations: [(admin, 100_000)])
        try l.block()
        #expect(try l.run(l.tx(reporter, fee: 0, .evidence(l.doubleSign(v1, height: 1)))) == .ok)
        #expect(try l.working().contains(v1.publicKey))
        #expect(try l.record(v1)?.tombstoned == true)
        #expect(try l.bond(v1) == 1_900)
        // The admin can still replace it: add another, then remove the tombstoned one.
        #expect(try l.run(l.tx(admin, .transfer(to: v2.address, amount: Amount(5_000)!, memo: ""))) == .ok)
        #expect(try l.run(l.tx(v2, .bond(amount: Amount(1_000)!))) == .ok)
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 1))) == .ok)
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v1.publicKey, power: 0))) == .ok)
        #expect(try l.working() == ValidatorSet([Validator(publicKey: v2.publicKey, power: 1)]))
    }

    @Test("a block that carries invalid evidence is not valid")
    func verifyMode() throws {
        let l = try ledger()
        let stale = l.tx(reporter, fee: 0, .evidence(l.doubleSign(v1, height: 5)))
        #expect(throws: BlockRejection.self) {
            try l.executor.execute([stale], context: BlockContext(height: 1, timestamp: 1, proposer: l.proposer), base: l.state, mode: .verify)
        }
    }
}
