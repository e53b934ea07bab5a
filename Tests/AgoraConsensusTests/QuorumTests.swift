import Testing
@testable import AgoraConsensus

@Suite("Quorum arithmetic")
struct QuorumTests {
    @Test("+2/3 is strictly more than two thirds of the power, for uneven totals")
    func twoThirds() {
        let rule = QuorumRule.twoThirds
        #expect(!rule.isQuorum(2, of: 3))
        #expect(rule.isQuorum(3, of: 3))
        #expect(!rule.isQuorum(2, of: 4))
        #expect(rule.isQuorum(3, of: 4))
        #expect(!rule.isQuorum(4, of: 6))
        #expect(rule.isQuorum(5, of: 6))
        #expect(!rule.isQuorum(4, of: 7))
        #expect(rule.isQuorum(5, of: 7))
        #expect(!rule.isQuorum(66, of: 100))
        #expect(rule.isQuorum(67, of: 100))
        let big = UInt64(Int64.max)
        #expect(!rule.isQuorum(big / 3 * 2, of: big))
        #expect(rule.isQuorum(big / 3 * 2 + 1, of: big))
    }

    @Test("+1/3 is strictly more than a third")
    func oneThird() {
        let rule = QuorumRule.twoThirds
        #expect(!rule.isOneThird(1, of: 3))
        #expect(rule.isOneThird(2, of: 3))
        #expect(!rule.isOneThird(1, of: 4))
        #expect(rule.isOneThird(2, of: 4))
        #expect(!rule.isOneThird(2, of: 7))
        #expect(rule.isOneThird(3, of: 7))
    }
}
