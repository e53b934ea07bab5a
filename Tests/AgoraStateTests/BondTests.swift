import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

@Suite("Staking: bonds")
struct BondTests {
    let v1 = SigningKey(), v2 = SigningKey(), admin = SigningKey(), alice = SigningKey()

    func ledger(maxEvidenceAge: UInt64 = 5) throws -> StakingLedger {
        try StakingLedger(validators: [(v1, 10)], bonds: [5_000], admin: admin, minBond: 1_000, maxEvidenceAge: maxEvidenceAge,
                          allocations: [(admin, 100_000), (v1, 10_000), (v2, 10_000), (alice, 10_000)])
    }

    @Test("bond moves balance into the sender key's bond and unbond moves it back; supply is unchanged")
    func bondAndUnbond() throws {
        var l = try ledger()
        let supply = try l.supply()
        #expect(try l.run(l.tx(alice, .bond(amount: Amount(3_000)!))) == .ok)
        #expect(try l.balance(alice) == 10_000 - 3_000 - 1)
        #expect(try l.bond(alice) == 3_000)
        #expect(try Staking.status(of: alice.publicKey, state: l.state) == .inactive)
        #expect(try l.run(l.tx(alice, .unbond(amount: Amount(3_000)!))) == .ok)
        #expect(try l.balance(alice) == 10_000 - 2)
        #expect(try l.bond(alice) == 0)
        #expect(try l.supply() == supply)
        #expect(try l.balancesAndBonds() == l.supply())
    }

    @Test("zero amounts, bonds above the balance and unbonds above the bond fail")
    func amounts() throws {
        var l = try ledger()
        #expect(try l.run(l.tx(alice, .bond(amount: .zero))) == .included(.zeroAmount))
        #expect(try l.run(l.tx(alice, .unbond(amount: .zero))) == .included(.zeroAmount))
        let balance = try l.balance(alice)
        #expect(try l.run(l.tx(alice, .bond(amount: Amount(balance)!)))
            == .included(.insufficientBalance(balance: Amount(balance - 1)!, needed: Amount(balance)!)))
        #expect(try l.run(l.tx(alice, .unbond(amount: Amount(1)!))) == .included(.unbondAboveBond(bond: .zero, requested: Amount(1)!)))
        #expect(try l.run(l.tx(alice, .bond(amount: Amount(10)!))) == .ok)
        #expect(try l.run(l.tx(alice, .unbond(amount: Amount(11)!)))
            == .included(.unbondAboveBond(bond: Amount(10)!, requested: Amount(11)!)))
        #expect(try l.balancesAndBonds() == l.supply())
    }

    @Test("an active validator may unbond down to minBond but not below")
    func activeValidatorKeepsMinimum() throws {
        var l = try ledger()
        #expect(try l.run(l.tx(v1, .unbond(amount: Amount(4_000)!))) == .ok)
        #expect(try l.bond(v1) == 1_000)
        #expect(try l.run(l.tx(v1, .unbond(amount: Amount(1)!))) == .included(.bondLocked(v1.publicKey)))
        #expect(try l.bond(v1) == 1_000)
    }

    @Test("a removed validator's bond stays locked until it is out of every set in the evidence window")
    func lockedThroughEvidenceWindow() throws {
        var l = try ledger(maxEvidenceAge: 5)
        #expect(try l.run(l.tx(v2, .bond(amount: Amount(1_000)!))) == .ok)                                // 1
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 1))) == .ok)     // 2: v2 from 4
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 0))) == .ok)     // 3: v2 out from 5
        // v2 signs heights 4 only; evidence about height 4 may come until height 4 + 5 = 9.
        #expect(try l.validators(at: 4).contains(v2.publicKey))
        #expect(try !l.validators(at: 5).contains(v2.publicKey))
        var unlockedAt: UInt64?
        while l.height < 12, unlockedAt == nil {
            if try l.run(l.tx(v2, .unbond(amount: Amount(1_000)!))) == .ok { unlockedAt = l.height }
        }
        #expect(unlockedAt == 10)
        #expect(try l.balancesAndBonds() == l.supply())
    }

    @Test("unbonding into a balance above maxAccountBalance fails and keeps the bond")
    func balanceCap() throws {
        var l = try StakingLedger(validators: [(v1, 1)], admin: admin, minBond: 0, allocations: [(alice, 100_000_000), (v2, 1_000)])
        #expect(try l.run(l.tx(alice, .bond(amount: Amount(10)!))) == .ok)
        #expect(try l.run(l.tx(v2, .transfer(to: alice.address, amount: Amount(11)!, memo: ""))) == .ok)
        #expect(try l.balance(alice) == 100_000_000)
        #expect(try l.run(l.tx(alice, .unbond(amount: Amount(10)!)))
            == .included(.recipientBalanceCap(maximum: Amount(100_000_000)!, resulting: 100_000_009)))
        #expect(try l.bond(alice) == 10)
        #expect(try l.balancesAndBonds() == l.supply())
    }

    @Test("a tombstoned or rotated-away key cannot bond")
    func retiredKeysCannotBond() throws {
        var l = try ledger()
        let fresh = SigningKey()
        #expect(try l.run(l.rotation(v1, to: fresh)) == .ok)
        #expect(try l.run(l.tx(v1, .bond(amount: Amount(1)!))) == .included(.keyRetired(v1.publicKey)))
        #expect(try l.run(l.tx(v2, .bond(amount: Amount(1_000)!))) == .ok)
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 1))) == .ok)
        try l.block()
        try l.block()  // v2 signs from here on
        #expect(try l.run(l.tx(alice, fee: 0, .evidence(l.doubleSign(v2, height: l.height)))) == .ok)
        #expect(try l.run(l.tx(v2, .bond(amount: Amount(1)!))) == .included(.keyTombstoned(v2.publicKey)))
    }
}
