import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

@Suite("Staking: validator key rotation")
struct RotationTests {
    let v1 = SigningKey(), v2 = SigningKey(), admin = SigningKey(), fresh = SigningKey()

    func ledger() throws -> StakingLedger {
        try StakingLedger(validators: [(v1, 10), (v2, 20)], bonds: [5_000, 7_000], admin: admin, minBond: 1_000,
                          allocations: [(admin, 100_000), (v1, 10_000), (v2, 10_000)])
    }

    @Test("the new key takes power and bond from H+2; the old key still signs H+1, so there is no gap")
    func rotation() throws {
        var l = try ledger()
        try l.block()
        #expect(try l.run(l.rotation(v1, to: fresh)) == .ok)  // height 2
        #expect(try l.validators(at: 3).power(of: v1.publicKey) == 10)
        #expect(try !l.validators(at: 3).contains(fresh.publicKey))
        #expect(try l.validators(at: 4).power(of: fresh.publicKey) == 10)
        #expect(try !l.validators(at: 4).contains(v1.publicKey))
        #expect(try l.bond(fresh) == 5_000)
        #expect(try l.bond(v1) == 0)
        #expect(try l.record(v1)?.rotatedTo == fresh.publicKey)
        #expect(try l.record(fresh)?.rotatedFrom == v1.publicKey)
        #expect(try Staking.status(of: v1.publicKey, state: l.state) == .rotated)
        #expect(try Staking.status(of: fresh.publicKey, state: l.state) == .active)
        #expect(try l.balancesAndBonds() == l.supply())
    }

    @Test("a proof by another key, for another chain or for another old key is refused before inclusion")
    func badProof() throws {
        var l = try ledger()
        let impostor = SigningKey()
        #expect(try l.run(l.rotation(v1, to: fresh, signer: impostor)) == .rejected(.invalidRotationProof(newKey: fresh.publicKey)))
        #expect(try l.run(l.rotation(v1, to: fresh, chain: "other-chain")) == .rejected(.invalidRotationProof(newKey: fresh.publicKey)))
        // v2 replays a proof fresh made for v1.
        let proofForV1 = fresh.sign(KeyRotation.message(chainID: l.chainID, oldKey: v1.publicKey))
        #expect(try l.run(l.tx(v2, .rotateValidatorKey(newKey: fresh.publicKey, proof: proofForV1)))
            == .rejected(.invalidRotationProof(newKey: fresh.publicKey)))
        #expect(try l.working().contains(v1.publicKey))
    }

    @Test("only a validator can rotate, and only to a key that never bonded or validated")
    func targets() throws {
        let outsider = SigningKey()
        var l = try StakingLedger(validators: [(v1, 10), (v2, 20)], bonds: [5_000, 7_000], admin: admin, minBond: 1_000,
                              allocations: [(admin, 100_000), (v1, 10_000), (v2, 10_000), (outsider, 10_000)])
        #expect(try l.run(l.rotation(outsider, to: fresh)) == .included(.notAValidator(outsider.publicKey)))
        #expect(try l.run(l.rotation(v1, to: v2)) == .included(.rotationTargetInUse(v2.publicKey)))
        #expect(try l.run(l.rotation(v1, to: v1)) == .included(.rotationTargetInUse(v1.publicKey)))
        #expect(try l.run(l.tx(outsider, .bond(amount: Amount(1)!))) == .ok)
        #expect(try l.run(l.rotation(v1, to: outsider)) == .included(.rotationTargetInUse(outsider.publicKey)))
        #expect(try l.working().contains(v1.publicKey))
    }

    @Test("a rotated-away key cannot be added back")
    func retiredCannotReturn() throws {
        var l = try ledger()
        #expect(try l.run(l.rotation(v1, to: fresh)) == .ok)
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v1.publicKey, power: 1))) == .included(.keyRetired(v1.publicKey)))
    }
}
