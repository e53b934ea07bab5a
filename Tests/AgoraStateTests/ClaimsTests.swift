import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

@Suite("Claims: who may publish, threads, rewards")
struct ClaimsTests {
    static func claim(_ group: Hash, _ text: String = "water boils at 100 C at sea level", parent: Hash? = nil) -> Payload {
        .publishClaim(ClaimContent(group: group, text: text, tags: ["physics"], parent: parent, artifacts: []))
    }

    /// A group with alice a member, bob an observer, carol outside.
    func setup(policy: GroupPolicy = .none) throws -> (GroupLedger, Hash) {
        var g = try GroupLedger()
        let id = try g.createGroup(policy: policy)
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .member)) == .ok)
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.bob.address, role: .observer)) == .ok)
        return (g, id)
    }

    @Test("members and admins publish under the ID derived from author and nonce; state keeps group, author, height")
    func publish() throws {
        var (g, id) = try setup()
        let nonce = g.l.nonces[g.alice.address] ?? 0
        #expect(try g.run(g.alice, Self.claim(id)) == .ok)
        let claimID = LedgerID.claim(author: g.alice.address, nonce: nonce)
        #expect(try Groups.claim(claimID, state: g.l.state) == ClaimRecord(group: id, author: g.alice.address, height: g.l.height))
        #expect(try g.run(g.admin, Self.claim(id)) == .ok)
        #expect(try g.group(id)?.claims == 2)
    }

    @Test("observers, outsiders and removed members cannot publish; each gets its own code")
    func whoMayPublish() throws {
        var (g, id) = try setup()
        #expect(try g.run(g.bob, Self.claim(id)) == .included(.observerCannotPublish(group: id, address: g.bob.address)))
        #expect(try g.run(g.carol, Self.claim(id)) == .included(.notGroupMember(group: id, address: g.carol.address)))
        #expect(try g.run(g.admin, .removeGroupMember(group: id, member: g.alice.address)) == .ok)
        #expect(try g.run(g.alice, Self.claim(id)) == .included(.notGroupMember(group: id, address: g.alice.address)))
        let missing = Hash.sha256([9])
        #expect(try g.run(g.alice, Self.claim(missing)) == .included(.groupNotFound(missing)))
        #expect(try g.group(id)?.claims == 0)
    }

    @Test("a reply's parent must exist and be in the same group")
    func threads() throws {
        var (g, id) = try setup()
        let other = try g.createGroup(g.alice)
        let missing = Hash.sha256([7])
        #expect(try g.run(g.alice, Self.claim(id, parent: missing)) == .included(.parentClaimNotFound(missing)))
        let rootNonce = g.l.nonces[g.alice.address]!
        #expect(try g.run(g.alice, Self.claim(other)) == .ok)
        let inOther = LedgerID.claim(author: g.alice.address, nonce: rootNonce)
        #expect(try g.run(g.alice, Self.claim(id, parent: inOther)) == .included(.parentClaimInOtherGroup(parent: inOther, group: other)))
        #expect(try g.run(g.alice, Self.claim(other, parent: inOther)) == .ok)
    }

    @Test("a reply may follow its parent in the same block; a publish after a removal in the same block fails")
    func sameBlock() throws {
        var (g, id) = try setup()
        let n = g.l.nonces[g.alice.address] ?? 0
        let root = LedgerID.claim(author: g.alice.address, nonce: n)
        var failures = try g.block([(g.alice, Self.claim(id)), (g.admin, Self.claim(id, parent: root))])
        #expect(failures == [nil, nil])
        failures = try g.block([(g.admin, .removeGroupMember(group: id, member: g.alice.address)), (g.alice, Self.claim(id))])
        #expect(failures == [nil, .notGroupMember(group: id, address: g.alice.address)])
    }

    @Test("each claim pays the group's reward from its treasury to the block proposer, within the issuance cap")
    func rewards() throws {
        var (g, id) = try setup(policy: GroupPolicy(faucetAmount: .zero, claimReward: Amount(100)!, transferFeeBps: 1_000,
                                                    maxSupply: Amount(250)!, maxBalance: Amount(100_000_000)!))
        #expect(try g.run(g.admin, .fundGroup(group: id, amount: Amount(10_000)!)) == .ok)
        let supply = try g.l.supply()
        for _ in 0..<3 { #expect(try g.run(g.alice, Self.claim(id)) == .ok) }
        // 100 + 100 + 50 (the cap), with 10% fees: 275 left the treasury.
        #expect(try g.balance(g.l.proposer) == 250)
        let record = try #require(try g.group(id))
        #expect(record.issued == Amount(250)! && record.treasury == Amount(10_000 - 275)!)
        #expect(record.claims == 3)
        #expect(try g.l.supply() == supply)
        #expect(try g.accountedSupply() == g.l.supply())
        // Past the cap claims still publish; they just pay nothing.
        #expect(try g.run(g.alice, Self.claim(id)) == .ok)
        #expect(try g.balance(g.l.proposer) == 250)
    }

    @Test("a failed claim leaves no record, no count and no reward")
    func failedClaimIsAtomic() throws {
        var (g, id) = try setup(policy: GroupPolicy(faucetAmount: .zero, claimReward: Amount(5)!, transferFeeBps: 0,
                                                    maxSupply: Amount(1_000)!, maxBalance: Amount(100_000_000)!))
        #expect(try g.run(g.admin, .fundGroup(group: id, amount: Amount(1_000)!)) == .ok)
        let n = g.l.nonces[g.alice.address] ?? 0
        #expect(try g.run(g.alice, Self.claim(id, parent: Hash.sha256([3]))) == .included(.parentClaimNotFound(Hash.sha256([3]))))
        #expect(try Groups.claim(LedgerID.claim(author: g.alice.address, nonce: n), state: g.l.state) == nil)
        #expect(try g.group(id)?.claims == 0)
        #expect(try g.group(id)?.treasury == Amount(1_000)!)
        #expect(try g.balance(g.l.proposer) == 0)
    }

    @Test("group failures round-trip through the receipt codec with tags 16 to 25")
    func failureCodec() throws {
        let gid = Hash.sha256([1]), a = Address(raw: [UInt8](repeating: 3, count: 20))
        let failures: [ExecutionFailure] = [
            .groupNotFound(gid), .notGroupAdmin(group: gid, address: a), .notGroupMember(group: gid, address: a),
            .observerCannotPublish(group: gid, address: a), .alreadyGroupMember(group: gid, address: a),
            .lastGroupAdmin(group: gid, address: a), .roleUnchanged(group: gid, address: a, role: .observer),
            .invalidGroupPolicy(.payoutAboveMaxSupply), .parentClaimNotFound(gid), .parentClaimInOtherGroup(parent: gid, group: gid),
        ]
        for (i, f) in failures.enumerated() {
            #expect(f.canonicalBytes.first == UInt8(16 + i))
            #expect(try ExecutionFailure(canonicalBytes: f.canonicalBytes) == f)
            #expect(try Receipt(canonicalBytes: Receipt(feePaid: Amount(1)!, failure: f).canonicalBytes).failure == f)
        }
        #expect(throws: CodecError.unknownTag(type: "failure.violation", tag: 5)) { try ExecutionFailure(canonicalBytes: [23, 5]) }
        #expect(Set(failures.map(\.code)).count == failures.count)
    }
}
