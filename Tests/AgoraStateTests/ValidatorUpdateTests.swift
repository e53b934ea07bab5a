import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

@Suite("Staking: validator set changes")
struct ValidatorUpdateTests {
    let v1 = SigningKey(), v2 = SigningKey(), admin = SigningKey(), outsider = SigningKey()

    func ledger(minBond: UInt64 = 1_000) throws -> StakingLedger {
        try StakingLedger(validators: [(v1, 10)], admin: admin, minBond: minBond,
                          allocations: [(admin, 100_000), (v1, 100_000), (v2, 100_000), (outsider, 100_000)])
    }

    @Test("a change in block H is in force from H+2: H+1 keeps the old set")
    func effectiveTwoHeightsLater() throws {
        var l = try ledger()
        try l.block()  // height 1
        #expect(try l.run(l.tx(v2, .bond(amount: Amount(1_000)!))) == .ok)  // height 2
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 5))) == .ok)  // height 3
        let before = try ValidatorSet([Validator(publicKey: v1.publicKey, power: 10)])
        let after = try ValidatorSet([Validator(publicKey: v1.publicKey, power: 10), Validator(publicKey: v2.publicKey, power: 5)])
        #expect(try l.validators(at: 3) == before)
        #expect(try l.validators(at: 4) == before)
        #expect(try l.validators(at: 5) == after)
        #expect(try l.working() == after)
        #expect(try Staking.status(of: v2.publicKey, state: l.state) == .active)
        // Later blocks do not move it again, and the past is still answerable.
        try l.block()
        try l.block()
        #expect(try l.validators(at: 4) == before)
        #expect(try l.validators(at: 7) == after)
    }

    @Test("only the staking admin may change the set; the fee is paid and nothing else changes")
    func onlyAdmin() throws {
        var l = try ledger()
        #expect(try l.run(l.tx(v2, .bond(amount: Amount(1_000)!))) == .ok)
        let balance = try l.balance(outsider)
        #expect(try l.run(l.tx(outsider, .validatorUpdate(publicKey: v2.publicKey, power: 5)))
            == .included(.notStakingAdmin(sender: outsider.address)))
        #expect(try l.balance(outsider) == balance - 1)
        #expect(try l.working().validators.count == 1)
        // A validator is not the admin either when an admin is named.
        #expect(try l.run(l.tx(v1, .validatorUpdate(publicKey: v2.publicKey, power: 5)))
            == .included(.notStakingAdmin(sender: v1.address)))
    }

    @Test("with several genesis validators and no admin named, nobody can change the set")
    func noAdminByDefault() throws {
        let genesis = Genesis(chainID: "c", genesisTime: 0,
                              validators: [.init(publicKey: v1.publicKey.hex, power: 1), .init(publicKey: v2.publicKey.hex, power: 1)],
                              params: .init(treasury: StakingLedger.treasury.description, transferFeeBps: 0, minFee: Amount(1)!,
                                            faucetAmount: .zero, maxTotalSupply: Amount(1_000_000)!,
                                            maxAccountBalance: Amount(1_000_000)!, blockReward: .zero),
                              allocations: [.init(address: v1.address.description, amount: Amount(100)!)])
        let resolved = try genesis.resolve()
        #expect(resolved.staking.admin == nil)
        var state = MemoryState()
        state.apply(resolved.state)
        let tx = v1.sign(TransactionBody(chainID: "c", sender: v1.publicKey, nonce: 0, fee: Amount(1)!, expiresAt: 10,
                                         payload: .validatorUpdate(publicKey: outsider.publicKey, power: 1)))
        let result = try BlockExecutor(chainID: "c").execute([tx], context: BlockContext(height: 1, timestamp: 1, proposer: v1.address),
                                                             base: state, mode: .propose)
        #expect(result.receipts.first?.failure == .notStakingAdmin(sender: v1.address))
    }

    @Test("adding a key needs a bond of at least minBond")
    func addNeedsBond() throws {
        var l = try ledger()
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 5)))
            == .included(.insufficientBond(bond: .zero, minimum: Amount(1_000)!)))
        #expect(try l.run(l.tx(v2, .bond(amount: Amount(999)!))) == .ok)
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 5)))
            == .included(.insufficientBond(bond: Amount(999)!, minimum: Amount(1_000)!)))
        #expect(try l.run(l.tx(v2, .bond(amount: Amount(1)!))) == .ok)
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 5))) == .ok)
        #expect(try l.working().power(of: v2.publicKey) == 5)
    }

    @Test("power 0 removes; removing the last validator or a non-validator is refused")
    func removal() throws {
        var l = try ledger()
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v1.publicKey, power: 0))) == .included(.validatorSetWouldBeEmpty))
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 0))) == .included(.notAValidator(v2.publicKey)))
        #expect(try l.run(l.tx(v2, .bond(amount: Amount(1_000)!))) == .ok)
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v2.publicKey, power: 3))) == .ok)
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v1.publicKey, power: 0))) == .ok)
        #expect(try l.working() == ValidatorSet([Validator(publicKey: v2.publicKey, power: 3)]))
        #expect(try Staking.status(of: v1.publicKey, state: l.state) == .inactive)
    }

    @Test("a change of power keeps the key and changes only its power")
    func powerChange() throws {
        var l = try ledger()
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v1.publicKey, power: 42))) == .ok)
        #expect(try l.working() == ValidatorSet([Validator(publicKey: v1.publicKey, power: 42)]))
    }

    @Test("total power above the bound is refused")
    func powerBound() throws {
        var l = try ledger()
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v1.publicKey, power: Limits.maxTotalVotingPower + 1)))
            == .included(.totalPowerTooHigh(maximum: Limits.maxTotalVotingPower)))
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v1.publicKey, power: UInt64.max)))
            == .included(.totalPowerTooHigh(maximum: Limits.maxTotalVotingPower)))
    }

    @Test("the set never grows past Limits.maxValidators")
    func sizeBound() throws {
        var l = try ledger(minBond: 0)
        // minBond 0: any key can be added, so fill the set in a few large blocks.
        var batch: [Transaction] = []
        for _ in 1..<Limits.maxValidators {
            batch.append(l.tx(admin, .validatorUpdate(publicKey: SigningKey().publicKey, power: 1)))
            l.nonces[admin.address, default: 0] += 1
        }
        l.nonces[admin.address] = 0
        let result = try l.block(batch)
        let failures = result.receipts.compactMap(\.failure)
        #expect(failures.isEmpty)
        #expect(try l.working().validators.count == Limits.maxValidators)
        #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: SigningKey().publicKey, power: 1)))
            == .included(.tooManyValidators(limit: UInt32(Limits.maxValidators))))
    }
}
