import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

@Suite("Claims: retraction by the author")
struct ClaimRetractionTests {
    /// A group with alice a member and bob an observer; alice has published one claim.
    func setup() throws -> (GroupLedger, Hash, Hash) {
        var g = try GroupLedger()
        let id = try g.createGroup()
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.alice.address, role: .member)) == .ok)
        #expect(try g.run(g.admin, .addGroupMember(group: id, member: g.bob.address, role: .observer)) == .ok)
        let nonce = g.l.nonces[g.alice.address] ?? 0
        #expect(try g.run(g.alice, ClaimsTests.claim(id)) == .ok)
        return (g, id, LedgerID.claim(author: g.alice.address, nonce: nonce))
    }

    @Test("the author retracts once: state records the height, the claim record stays")
    func authorRetracts() throws {
        var (g, id, claim) = try setup()
        #expect(try Claims.retractedAt(claim, state: g.l.state) == nil)
        #expect(try g.run(g.alice, .retractClaim(claim: claim, reason: "measured wrongly")) == .ok)
        let height = g.l.height
        #expect(try Claims.retractedAt(claim, state: g.l.state) == height)
        #expect(try Groups.claim(claim, state: g.l.state)?.author == g.alice.address)
        #expect(try g.group(id)?.claims == 1)
        #expect(try g.run(g.alice, .retractClaim(claim: claim, reason: "again"))
                == .included(.claimAlreadyRetracted(claim: claim, height: height)))
    }

    @Test("nobody but the author retracts: not an admin, not an observer, not an outsider")
    func onlyTheAuthor() throws {
        var (g, _, claim) = try setup()
        for key in [g.admin, g.bob, g.carol] {
            #expect(try g.run(key, .retractClaim(claim: claim, reason: "not mine")) == .included(.notClaimAuthor(claim: claim, address: key.address)))
        }
        #expect(try Claims.retractedAt(claim, state: g.l.state) == nil)
    }

    @Test("an unknown claim is claim_not_found; an author who left the group may still retract")
    func unknownAndFormerMember() throws {
        var (g, id, claim) = try setup()
        let missing = Hash.sha256([42])
        #expect(try g.run(g.alice, .retractClaim(claim: missing, reason: "x")) == .included(.claimNotFound(missing)))
        #expect(try g.run(g.admin, .removeGroupMember(group: id, member: g.alice.address)) == .ok)
        #expect(try g.run(g.alice, .retractClaim(claim: claim, reason: "left, and it was wrong")) == .ok)
    }

    @Test("a retraction in the same block as its claim works, and replies to a retracted claim are still allowed")
    func sameBlockAndReplies() throws {
        var (g, id, claim) = try setup()
        let n = g.l.nonces[g.alice.address] ?? 0
        let fresh = LedgerID.claim(author: g.alice.address, nonce: n)
        let failures = try g.block([(g.alice, ClaimsTests.claim(id)), (g.alice, .retractClaim(claim: fresh, reason: "typo"))])
        #expect(failures == [nil, nil])
        #expect(try g.run(g.admin, ClaimsTests.claim(id, parent: claim)) == .ok)
    }
}
