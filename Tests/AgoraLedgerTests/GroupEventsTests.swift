import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Testing

@Suite("Group and claim events")
struct GroupEventsTests {
    @Test("a committed block publishes groups.* and claims.published module events; a failed payload publishes none")
    func moduleEvents() async throws {
        let validator = SigningKey(), alice = SigningKey(), bob = SigningKey()
        let dir = NSTemporaryDirectory() + "agora-group-events-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        try store.initialize(try Genesis(
            chainID: "ev", genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 3, count: 20)).description, transferFeeBps: 0, minFee: Amount(1)!,
                          faucetAmount: .zero, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!, blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(10_000)!)]).resolve())
        let chain = try Chain(store: store, validatorKey: validator, logger: Logger(label: "test"))
        let sub = chain.events.subscribe(.init(modules: ["groups", "claims"]))
        let group = LedgerID.group(creator: alice.address, nonce: 0)
        let payloads: [Payload] = [
            .createGroup(name: "g", policy: .none),
            .addGroupMember(group: group, member: bob.address, role: .member),
            .setGroupRole(group: group, member: bob.address, role: .observer),
            .updateGroupPolicy(group: group, policy: .none),
            .fundGroup(group: group, amount: Amount(5)!),
            .publishClaim(ClaimContent(group: group, text: "t", tags: ["x"], parent: nil, artifacts: [])),
            .removeGroupMember(group: group, member: bob.address),
            .removeGroupMember(group: group, member: alice.address),  // fails: last admin
        ]
        for (i, p) in payloads.enumerated() {
            try chain.submit(alice.sign(TransactionBody(chainID: "ev", sender: alice.publicKey, nonce: UInt64(i), fee: Amount(1)!,
                                                        expiresAt: 100, payload: p)))
        }
        try chain.produceBlock(now: 2_000)
        var it = sub.events.makeAsyncIterator()
        let batch = try #require(await it.next())
        let types = batch.compactMap { e -> String? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(e.json.utf8)) as? [String: Any] else { return nil }
            return o["type"] as? String
        }
        #expect(types == ["groups.created", "groups.member_added", "groups.role_changed", "groups.policy_updated", "groups.funded",
                          "claims.published", "groups.member_removed"])
        let claimEvent = try #require(batch.first { $0.module == "claims" })
        #expect(claimEvent.json.contains(LedgerID.claim(author: alice.address, nonce: 5).hex))
        #expect(claimEvent.json.contains("\"time\":2000"))
        #expect(batch[1].accounts.contains(bob.address))
    }

    @Test("claims.retracted names the retracted claim's group, whether the claim was published in an earlier block or the same one")
    func retractionNamesGroup() async throws {
        let validator = SigningKey(), alice = SigningKey()
        let dir = NSTemporaryDirectory() + "agora-retract-events-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        try store.initialize(try Genesis(
            chainID: "ev", genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 3, count: 20)).description, transferFeeBps: 0, minFee: Amount(1)!,
                          faucetAmount: .zero, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!, blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(10_000)!)]).resolve())
        let chain = try Chain(store: store, validatorKey: validator, logger: Logger(label: "test"))
        func send(_ nonce: UInt64, _ payload: Payload) throws {
            try chain.submit(alice.sign(TransactionBody(chainID: "ev", sender: alice.publicKey, nonce: nonce, fee: Amount(1)!,
                                                        expiresAt: 100, payload: payload)))
        }
        let group = LedgerID.group(creator: alice.address, nonce: 0)
        let early = LedgerID.claim(author: alice.address, nonce: 1), late = LedgerID.claim(author: alice.address, nonce: 3)
        let content = ClaimContent(group: group, text: "t", tags: [], parent: nil, artifacts: [])
        try send(0, .createGroup(name: "g", policy: .none))
        try send(1, .publishClaim(content))
        try chain.produceBlock(now: 2_000)
        let sub = chain.events.subscribe(.init(modules: ["claims"]))
        try send(2, .retractClaim(claim: early, reason: "superseded"))
        try send(3, .publishClaim(content))
        try send(4, .retractClaim(claim: late, reason: "typo"))
        try chain.produceBlock(now: 3_000)
        var it = sub.events.makeAsyncIterator()
        let batch = try #require(await it.next())
        let events = batch.compactMap { try? JSONSerialization.jsonObject(with: Data($0.json.utf8)) as? [String: Any] }
        let retracted = events.filter { $0["type"] as? String == "claims.retracted" }
        #expect(retracted.map { $0["claim"] as? String } == [early.hex, late.hex])
        #expect(retracted.map { $0["group"] as? String } == [group.hex, group.hex])
        #expect(retracted.map { $0["reason"] as? String } == ["superseded", "typo"])
    }
}
