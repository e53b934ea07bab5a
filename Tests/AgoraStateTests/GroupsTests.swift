import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

@Suite("Groups: membership, roles and policy")
struct GroupsTests {
    @Test("creating a group makes the creator its only admin under the ID derived from address and nonce")
    func create() throws {
        var g = try GroupLedger()
        let expected = LedgerID.group(creator: g.admin.address, nonce: 0)
        let id = try g.createGroup(name: "lab")
        #expect(id == expected)
        let record = try #require(try g.group(id))
        #expect(record.name == "lab" && record.creator == g.admin.address && record.createdAt == 1)
        #expect(record.admins == 1 && record.members == 1 && record.claims == 0 && record.treasury == .zero)
        #expect(try g.role(g.admin, id) == .admin)
        #expect(try g.role(g.alice, id) == nil)
        // The same creator with its next nonce gets a different group.
        #expect(try g.createGroup(name: "lab") != id)
    }

    @Test("only an admin adds, removes, changes roles and policy; others get not_group_admin")
    func onlyAdmins() throws {
        var g = try GroupLedger()
        let id = try g.createGroup()
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .member)) == .ok)
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.bob.address, role: .observer)) == .ok)
        for (actor, name) in [(g.alice, "member"), (g.bob, "observer"), (g.carol, "outsider")] {
            let denied = StakingLedger.Outcome.included(.notGroupAdmin(group: id, address: actor.address))
            #expect(try g.run(actor, .addGroupMember(group: id, member: g.carol.address, role: .member)) == denied, "\(name)")
            #expect(try g.run(actor, .removeGroupMember(group: id, member: g.alice.address)) == denied, "\(name)")
            #expect(try g.run(actor, .setGroupRole(group: id, member: g.alice.address, role: .admin)) == denied, "\(name)")
            #expect(try g.run(actor, .updateGroupPolicy(group: id, policy: .none)) == denied, "\(name)")
        }
        #expect(try g.role(g.alice, id) == .member)
        #expect(try g.role(g.carol, id) == nil)
        #expect(try g.group(id)?.members == 3)
    }

    @Test("actions on a group that does not exist fail with group_not_found")
    func unknownGroup() throws {
        var g = try GroupLedger()
        let missing = Hash.sha256([1])
        let notFound = StakingLedger.Outcome.included(.groupNotFound(missing))
        #expect(try g.run(g.admin, .addGroupMember(group: missing, member: g.alice.address, role: .member)) == notFound)
        #expect(try g.run(g.admin, .removeGroupMember(group: missing, member: g.alice.address)) == notFound)
        #expect(try g.run(g.admin, .setGroupRole(group: missing, member: g.alice.address, role: .admin)) == notFound)
        #expect(try g.run(g.admin, .updateGroupPolicy(group: missing, policy: .none)) == notFound)
        #expect(try g.run(g.admin, .fundGroup(group: missing, amount: Amount(1)!)) == notFound)
    }

    @Test("adding a current member fails; removing or re-roling a non-member fails; a removed member can be added again")
    func membershipTransitions() throws {
        var g = try GroupLedger()
        let id = try g.createGroup()
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .member)) == .ok)
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .admin))
            == .included(.alreadyGroupMember(group: id, address: g.alice.address)))
        #expect(try g.run(g.admin, .removeGroupMember(group: id, member: g.bob.address))
            == .included(.notGroupMember(group: id, address: g.bob.address)))
        #expect(try g.run(g.admin, .setGroupRole(group: id, member: g.bob.address, role: .member))
            == .included(.notGroupMember(group: id, address: g.bob.address)))
        #expect(try g.run(g.admin, .removeGroupMember(group: id, member: g.alice.address)) == .ok)
        #expect(try g.role(g.alice, id) == nil)
        #expect(try g.group(id)?.members == 1)
        #expect(try g.run(g.admin, .removeGroupMember(group: id, member: g.alice.address))
            == .included(.notGroupMember(group: id, address: g.alice.address)))
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .observer)) == .ok)
        #expect(try g.role(g.alice, id) == .observer)
        #expect(try g.group(id)?.members == 2)
    }

    @Test("the last admin can be neither removed nor demoted, by anyone, itself included")
    func lastAdmin() throws {
        var g = try GroupLedger()
        let id = try g.createGroup()
        let last = StakingLedger.Outcome.included(.lastGroupAdmin(group: id, address: g.admin.address))
        #expect(try g.run(g.admin, .removeGroupMember(group: id, member: g.admin.address)) == last)
        #expect(try g.run(g.admin, .setGroupRole(group: id, member: g.admin.address, role: .member)) == last)
        #expect(try g.run(g.admin, .setGroupRole(group: id, member: g.admin.address, role: .observer)) == last)
        // With a second admin the first may step down; then the second is the last.
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .admin)) == .ok)
        #expect(try g.group(id)?.admins == 2)
        #expect(try g.run(g.admin, .setGroupRole(group: id, member: g.admin.address, role: .member)) == .ok)
        #expect(try g.group(id)?.admins == 1)
        #expect(try g.run(g.alice, .removeGroupMember(group: id, member: g.alice.address))
            == .included(.lastGroupAdmin(group: id, address: g.alice.address)))
        // A demoted admin has lost its powers at once.
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.bob.address, role: .member))
            == .included(.notGroupAdmin(group: id, address: g.admin.address)))
        #expect(try g.run(g.alice, .removeGroupMember(group: id, member: g.admin.address)) == .ok)
        #expect(try g.group(id)?.admins == 1)
        #expect(try g.group(id)?.members == 1)
    }

    @Test("setting the role a member already has fails with role_unchanged; promotion counts admins")
    func roles() throws {
        var g = try GroupLedger()
        let id = try g.createGroup()
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .observer)) == .ok)
        #expect(try g.run(g.admin, .setGroupRole(group: id, member: g.alice.address, role: .observer))
            == .included(.roleUnchanged(group: id, address: g.alice.address, role: .observer)))
        #expect(try g.run(g.admin, .setGroupRole(group: id, member: g.alice.address, role: .admin)) == .ok)
        #expect(try g.group(id)?.admins == 2)
        #expect(try Groups.membership(id, g.alice.address, state: g.l.state)?.since == g.l.height)
        #expect(try g.run(g.alice, .addGroupMember(group: id, member: g.bob.address, role: .member)) == .ok)
    }

    @Test("a policy may only tighten the chain's bank rules; each violation has its own code")
    func policyBounds() throws {
        var g = try GroupLedger()
        let chainMaxBalance: UInt64 = 100_000_000, chainMaxSupply: UInt64 = 1_000_000_000
        func policy(faucet: UInt64 = 0, reward: UInt64 = 0, supply: UInt64 = 1_000, balance: UInt64 = 1_000) -> GroupPolicy {
            GroupPolicy(faucetAmount: Amount(faucet)!, claimReward: Amount(reward)!, transferFeeBps: 0,
                        maxSupply: Amount(supply)!, maxBalance: Amount(balance)!)
        }
        let cases: [(GroupPolicy, GroupPolicyViolation)] = [
            (policy(balance: chainMaxBalance + 1), .maxBalanceAboveChain),
            (policy(supply: chainMaxSupply + 1), .maxSupplyAboveChain),
            (policy(faucet: 1_001), .faucetAboveMaxBalance),
            (policy(reward: 2_000, balance: 5_000), .payoutAboveMaxSupply),
        ]
        for (p, violation) in cases {
            #expect(try g.run(g.admin, .createGroup(name: "x", policy: p)) == .included(.invalidGroupPolicy(violation)))
        }
        let id = try g.createGroup(policy: policy(supply: chainMaxSupply, balance: chainMaxBalance))
        for (p, violation) in cases {
            #expect(try g.run(g.admin, .updateGroupPolicy(group: id, policy: p)) == .included(.invalidGroupPolicy(violation)))
        }
        let next = policy(faucet: 10, reward: 3)
        #expect(try g.run(g.admin, .updateGroupPolicy(group: id, policy: next)) == .ok)
        #expect(try g.group(id)?.policy == next)
    }

    @Test("anyone may fund a treasury from their balance; the supply is unchanged")
    func fund() throws {
        var g = try GroupLedger()
        let id = try g.createGroup()
        let supply = try g.l.supply()
        #expect(try g.run(g.carol, .fundGroup(group: id, amount: .zero)) == .included(.zeroAmount))
        let balance = try g.balance(g.carol)
        #expect(try g.run(g.carol, .fundGroup(group: id, amount: Amount(balance)!))
            == .included(.insufficientBalance(balance: Amount(balance - 1)!, needed: Amount(balance)!)))
        #expect(try g.run(g.carol, .fundGroup(group: id, amount: Amount(5_000)!)) == .ok)
        #expect(try g.group(id)?.treasury == Amount(5_000)!)
        #expect(try g.balance(g.carol) == balance - 2 - 5_000)
        #expect(try g.l.supply() == supply)
        #expect(try g.accountedSupply() == g.l.supply())
    }

    @Test("a new member gets the faucet from the treasury once, within the caps, with the fee to the chain treasury")
    func faucetOnJoin() throws {
        var g = try GroupLedger()
        try g.setBankParams { $0.transferFeeBps = 100 }  // 1%: the floor for the group's 0 bps
        let id = try g.createGroup(policy: GroupPolicy(faucetAmount: Amount(1_000)!, claimReward: .zero, transferFeeBps: 0,
                                                       maxSupply: Amount(1_700)!, maxBalance: Amount(1_001_000)!))
        #expect(try g.run(g.admin, .fundGroup(group: id, amount: Amount(100_000)!)) == .ok)
        #expect(try g.run(g.alice, .transfer(to: g.bob.address, amount: Amount(600)!, memo: "")) == .ok)
        let alice = try g.balance(g.alice), chainTreasury = try g.balance(StakingLedger.treasury)
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .member)) == .ok)
        #expect(try g.balance(g.alice) == alice + 1_000)
        var record = try #require(try g.group(id))
        #expect(record.treasury == Amount(100_000 - 1_010)! && record.issued == Amount(1_000)!)
        // The fee (1% of 1,000) and the admin's transaction fee reach the chain treasury.
        #expect(try g.balance(StakingLedger.treasury) == chainTreasury + 10 + 1)
        // Removed and added again: no second grant.
        #expect(try g.run(g.admin, .removeGroupMember(group: id, member: g.alice.address)) == .ok)
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .member)) == .ok)
        #expect(try g.balance(g.alice) == alice + 1_000)
        // Bob holds 1,000,600: maxBalance 1,001,000 leaves room for 400 only.
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.bob.address, role: .member)) == .ok)
        #expect(try g.balance(g.bob) == 1_000_600 + 400)
        // Carol has room for 1,000 but only 300 of maxSupply 1,700 is left after 1,400 issued.
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.carol.address, role: .member)) == .ok)
        #expect(try g.balance(g.carol) == 1_000_000 + 300)
        record = try #require(try g.group(id))
        #expect(record.issued == Amount(1_700)!)
        #expect(try g.accountedSupply() == g.l.supply())
    }

    @Test("a treasury that cannot cover grant plus fee pays nothing, and the member is still added")
    func emptyTreasury() throws {
        var g = try GroupLedger()
        let id = try g.createGroup(policy: GroupPolicy(faucetAmount: Amount(1_000)!, claimReward: .zero, transferFeeBps: 500,
                                                       maxSupply: Amount(10_000)!, maxBalance: Amount(100_000_000)!))
        #expect(try g.run(g.admin, .fundGroup(group: id, amount: Amount(1_049)!)) == .ok)  // needs 1,050
        let alice = try g.balance(g.alice)
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .member)) == .ok)
        #expect(try g.balance(g.alice) == alice)
        #expect(try g.role(g.alice, id) == .member)
        #expect(try g.group(id)?.treasury == Amount(1_049)!)
        #expect(try g.group(id)?.issued == .zero)
        #expect(try g.accountedSupply() == g.l.supply())
    }

    @Test("membership is read at execution: a removal earlier in the same block takes effect for later transactions")
    func sameBlockOrder() throws {
        var g = try GroupLedger()
        let id = try g.createGroup()
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .admin)) == .ok)
        let failures = try g.block([
            (g.admin, .removeGroupMember(group: id, member: g.alice.address)),
            (g.alice, .addGroupMember(group: id, member: g.bob.address, role: .member)),
        ])
        #expect(failures == [nil, .notGroupAdmin(group: id, address: g.alice.address)])
        #expect(try g.role(g.bob, id) == nil)
    }

    @Test("a failed group transaction changes nothing but the fee and nonce")
    func failureIsAtomic() throws {
        var g = try GroupLedger()
        let id = try g.createGroup()
        let before = g.l.state.entries.filter { !$0.key.bytes.starts(with: Array(BankKeys.accountPrefix.utf8)) && $0.key != BankKeys.supply }
        #expect(try g.run(g.admin, .removeGroupMember(group: id, member: g.admin.address))
            == .included(.lastGroupAdmin(group: id, address: g.admin.address)))
        let after = g.l.state.entries.filter { !$0.key.bytes.starts(with: Array(BankKeys.accountPrefix.utf8)) && $0.key != BankKeys.supply }
        #expect(before == after)
    }
}
