import AgoraCore
import AgoraCrypto
import Foundation
import Testing
@testable import AgoraState

@Suite("Staking: genesis")
struct StakingGenesisTests {
    let v1 = SigningKey(), v2 = SigningKey()

    func genesis(staking: Genesis.StakingConfig? = nil, bonds: [Amount?] = [nil], maxSupply: UInt64 = 1_000_000) -> Genesis {
        let keys = [v1, v2]
        return Genesis(chainID: "g", genesisTime: 0,
                       validators: bonds.enumerated().map { .init(publicKey: keys[$0].publicKey.hex, power: 1, bond: $1) },
                       params: .init(treasury: StakingLedger.treasury.description, transferFeeBps: 0, minFee: Amount(1)!,
                                     faucetAmount: .zero, maxTotalSupply: Amount(maxSupply)!, maxAccountBalance: Amount(maxSupply)!,
                                     blockReward: .zero),
                       allocations: [.init(address: v1.address.description, amount: Amount(100)!)], staking: staking)
    }

    @Test("a genesis file written before staking loads: no bonds, 5% slash, 1,000-height window, the validator as admin")
    func oldFileLoads() throws {
        let json = """
        {"chainID": "old", "genesisTime": 1, "validators": [{"publicKey": "\(v1.publicKey.hex)", "power": 1}],
         "params": {"treasury": "\(StakingLedger.treasury)", "transferFeeBps": 10, "minFee": 1, "faucetAmount": 0,
                    "maxTotalSupply": 1000, "maxAccountBalance": 1000, "blockReward": 0},
         "allocations": [{"address": "\(v1.address)", "amount": 10}]}
        """
        let g = try JSONDecoder().decode(Genesis.self, from: Data(json.utf8))
        #expect(g.staking == nil)
        let r = try g.resolve()
        #expect(r.staking == StakingParams(admin: v1.address, minBond: .zero, doubleSignSlashBps: 500, maxEvidenceAge: 1_000))
        #expect(r.bonds.map(\.1) == [.zero])
        var state = MemoryState()
        state.apply(r.state)
        #expect(try Staking.validators(forHeight: 1, state: state) == r.validatorSet)
        #expect(try Staking.params(state) == r.staking)
        // Written back, it has no staking key: old readers see the file they wrote.
        let encoded = String(decoding: try JSONEncoder().encode(g), as: UTF8.self)
        #expect(!encoded.contains("staking") && !encoded.contains("bond"))
    }

    @Test("bonds default to minBond, are minted into the supply and must fit maxTotalSupply")
    func bondsInSupply() throws {
        let r = try genesis(staking: .init(minBond: Amount(500)!), bonds: [nil, Amount(700)!]).resolve()
        var state = MemoryState()
        state.apply(r.state)
        #expect(try Amount(canonicalBytes: state.entries[BankKeys.supply]!) == Amount(100 + 500 + 700)!)
        #expect(try Staking.record(v1.publicKey, state: state)?.bond == Amount(500)!)
        #expect(try Staking.record(v2.publicKey, state: state)?.bond == Amount(700)!)
        #expect(throws: GenesisError.invalid("allocations and bonds total 1300, above params.maxTotalSupply")) {
            try genesis(staking: .init(minBond: Amount(500)!), bonds: [nil, Amount(700)!], maxSupply: 1_200).resolve()
        }
    }

    @Test("a bond below minBond, a bad admin address, a slash above 100% and an evidence window of 0 are refused")
    func invalid() {
        #expect(throws: GenesisError.invalid("validators[1].bond 10 is below staking.minBond")) {
            try genesis(staking: .init(minBond: Amount(500)!), bonds: [nil, Amount(10)!]).resolve()
        }
        #expect(throws: GenesisError.self) { try genesis(staking: .init(admin: "ag1nothex")).resolve() }
        #expect(throws: GenesisError.invalid("staking.doubleSignSlashBps 10001 is above 10000")) {
            try genesis(staking: .init(doubleSignSlashBps: 10_001)).resolve()
        }
        #expect(throws: GenesisError.self) { try genesis(staking: .init(maxEvidenceAge: 0)).resolve() }
        #expect(throws: GenesisError.self) { try genesis(staking: .init(maxEvidenceAge: Limits.maxEvidenceAge + 1)).resolve() }
    }

    @Test("several validators and no admin named: no admin; a named admin is kept")
    func adminDefault() throws {
        #expect(try genesis(bonds: [nil, nil]).resolve().staking.admin == nil)
        #expect(try genesis(staking: .init(admin: v2.address.description), bonds: [nil, nil]).resolve().staking.admin == v2.address)
    }

    @Test("the genesis hash covers every staking field and every bond")
    func hashCoversStaking() throws {
        let base = try genesis(bonds: [nil, nil]).resolve().hash
        let variants: [Genesis] = [
            genesis(staking: .init(admin: v1.address.description), bonds: [nil, nil]),
            genesis(staking: .init(minBond: Amount(1)!), bonds: [nil, nil]),
            genesis(staking: .init(doubleSignSlashBps: 100), bonds: [nil, nil]),
            genesis(staking: .init(maxEvidenceAge: 7), bonds: [nil, nil]),
            genesis(bonds: [Amount(1)!, nil]),
        ]
        for g in variants { #expect(try g.resolve().hash != base) }
        // Stating a default explicitly is the same chain.
        #expect(try genesis(staking: .init(doubleSignSlashBps: 500, maxEvidenceAge: 1_000), bonds: [nil, nil]).resolve().hash == base)
    }
}
