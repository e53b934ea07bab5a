import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

@Suite("Staking: properties over random blocks")
struct StakingPropertyTests {
    @Test("balances plus bonds equal the supply, the set is never empty and the H+2 rule holds, over random staking traffic",
          arguments: [1, 2, 3] as [UInt64])
    func randomTraffic(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let keys = (0..<6).map { _ in try! SigningKey(seed: rng.bytes(32)) }
        let admin = keys[0]
        var l = try StakingLedger(validators: [(keys[1], 5), (keys[2], 5)], bonds: [2_000, 2_000], admin: admin, minBond: 1_000,
                                  slashBps: 2_500, maxEvidenceAge: 6, allocations: keys.map { ($0, 50_000) })
        for _ in 0..<60 {
            let workingBefore = try l.working()
            var txs: [Transaction] = []
            var senders = Set<Address>()
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let key = keys[Int.random(in: 0..<keys.count, using: &rng)]
                let target = keys[Int.random(in: 1..<keys.count, using: &rng)]
                guard senders.insert(key.address).inserted else { continue }
                let payload: Payload
                var fee: UInt64 = 1
                switch Int.random(in: 0...4, using: &rng) {
                case 0: payload = .bond(amount: Amount(UInt64.random(in: 0...3_000, using: &rng))!)
                case 1: payload = .unbond(amount: Amount(UInt64.random(in: 0...3_000, using: &rng))!)
                case 2: payload = .validatorUpdate(publicKey: target.publicKey, power: UInt64.random(in: 0...9, using: &rng))
                case 3:
                    let height = l.height > 0 ? UInt64.random(in: 1...l.height, using: &rng) : 1
                    payload = .evidence(l.doubleSign(target, height: height))
                    fee = 0
                default: payload = .transfer(to: target.address, amount: Amount(UInt64.random(in: 1...500, using: &rng))!, memo: "")
                }
                // Most set changes come from the admin; the rest must fail as not authorised.
                let sender = payload.tag == .validatorUpdate && Int.random(in: 0..<4, using: &rng) > 0 ? admin : key
                txs.append(l.tx(sender, fee: fee, payload))
            }
            let before = l.height
            try l.block(txs)
            #expect(try l.balancesAndBonds() == l.supply())
            let working = try l.working()
            #expect(!working.validators.isEmpty)
            // What this block's transactions did is in force two heights on, not one.
            // Block `before + 1` ran: its changes sign from `before + 3`; `before + 2` keeps the set it had.
            #expect(try l.validators(at: before + 3) == working)
            #expect(try l.validators(at: before + 2) == workingBefore)
        }
    }
}
