import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Testing

/// The `bank.transfer` event reports the fee the executor charged, before and after the
/// `v2-fee-round-up` upgrade switches fees from rounding down to rounding up: a node over SQLite
/// passes the upgrade by governance and publishes a 150-unit transfer at 1% on each side of it.
@Suite("Transfer fee in the bank.transfer event")
struct TransferFeeEventTests {
    let validator = SigningKey(), alice = SigningKey(), bob = SigningKey()
    let chainID = "fee-event-test"

    func open(_ dir: String) throws -> Chain {
        let store = try BlockStore(path: "\(dir)/a.sqlite")
        try store.initialize(try Genesis(
            chainID: chainID, genesisTime: 1_000,
            validators: [.init(publicKey: validator.publicKey.hex, power: 1, bond: Amount(1_000)!)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 7, count: 20)).description, transferFeeBps: 100, minFee: .zero,
                          faucetAmount: .zero, maxTotalSupply: Amount(10_000_000)!, maxAccountBalance: Amount(10_000_000)!,
                          blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(100_000)!),
                          .init(address: validator.address.description, amount: Amount(100_000)!)],
            staking: .init(minBond: Amount(1_000)!),
            governance: .init(minDeposit: Amount(10)!, depositPeriod: 5, votingPeriod: 2)).resolve())
        return try Chain(store: store, validatorKey: validator, logger: Logger(label: "fee-event"))
    }

    func tx(_ key: SigningKey, _ nonce: UInt64, _ payload: Payload) -> Transaction {
        key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: nonce, fee: .zero, expiresAt: 1_000, payload: payload))
    }

    /// Commits one block holding a 150-unit transfer from alice and returns the fee its event
    /// reported, with the fee alice's balance actually paid.
    func transferBlock(_ chain: Chain, _ sub: EventBus.Subscription, nonce: UInt64, now: UInt64) async throws -> (event: UInt64, charged: UInt64) {
        let before = try Bank.account(StateOverlay(base: chain.cache), alice.address).balance.units
        try chain.submit(tx(alice, nonce, .transfer(to: bob.address, amount: Amount(150)!, memo: "")))
        try chain.produceBlock(now: now)
        let after = try Bank.account(StateOverlay(base: chain.cache), alice.address).balance.units
        var it = sub.events.makeAsyncIterator()
        let batch = try #require(await it.next())
        sub.consumed(batch.count)
        let event = try #require(batch.first { $0.json.contains("\"type\":\"bank.transfer\"") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(event.json.utf8)) as? [String: Any])
        let fee = try #require(object["transferFee"] as? NSNumber).uint64Value
        return (fee, before - after - 150)
    }

    @Test("the transfer fee in the event is the fee charged: 1 (rounded down) before the upgrade, 2 (rounded up) from its height")
    func feeBeforeAndAfterTheUpgrade() async throws {
        let dir = NSTemporaryDirectory() + "agora-fee-event-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let chain = try open(dir)
        let plan = UpgradePlan(name: Upgrades.feeRoundUpName, height: 6, info: "fees round up")
        try chain.submit(tx(validator, 0, .submitProposal(content: ProposalContent(title: "round up", action: .softwareUpgrade(plan)),
                                                          deposit: Amount(10)!)))
        try chain.produceBlock(now: 2_000)  // 1: voting through 3
        try chain.submit(tx(validator, 1, .voteProposal(proposal: 1, option: .yes)))
        try chain.produceBlock(now: 3_000)  // 2
        let sub = chain.events.subscribe(.init(modules: ["bank"]))
        // 150 × 1% = 1.5.
        let early = try await transferBlock(chain, sub, nonce: 0, now: 4_000)  // 3: the tally schedules the plan
        #expect(early.event == 1 && early.charged == 1)
        #expect(try Governance.proposal(1, state: chain.cache)?.status == .passed)
        try chain.produceBlock(now: 5_000)  // 4
        let stillBefore = try await transferBlock(chain, sub, nonce: 1, now: 6_000)  // 5
        #expect(stillBefore.event == 1 && stillBefore.charged == 1)
        let atUpgrade = try await transferBlock(chain, sub, nonce: 2, now: 7_000)  // 6: the migration runs first
        #expect(try Upgrades.appliedHeight(Upgrades.feeRoundUpName, state: chain.cache) == 6)
        #expect(atUpgrade.event == 2 && atUpgrade.charged == 2)
        let later = try await transferBlock(chain, sub, nonce: 3, now: 8_000)  // 7
        #expect(later.event == 2 && later.charged == 2)
    }
}
