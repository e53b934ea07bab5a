import AgoraCore
import Testing

/// Quorum arithmetic at any power: the full-width comparison agrees with a 128-bit reference,
/// including powers where `p * 3` would overflow UInt64.
@Suite("Voting power arithmetic")
struct VotingPowerTests {
    static let maxTotal = UInt64(Int64.max)

    func reference(_ part: UInt64, _ n: UInt64, _ d: UInt64, of total: UInt64) -> Bool {
        UInt128(part) * UInt128(d) > UInt128(total) * UInt128(n)
    }

    @Test("two thirds and one third agree with a 128-bit reference at random extreme powers")
    func agreesWithReference() {
        var rng = SplitMix64(seed: 0x5eed_7015)
        let edges: [UInt64] = [0, 1, 2, 3, Self.maxTotal / 3, Self.maxTotal / 3 * 2, Self.maxTotal / 3 * 2 + 1, Self.maxTotal - 1, Self.maxTotal,
                               UInt64.max / 3, UInt64.max / 3 + 1, UInt64.max - 1, UInt64.max]
        var cases: [(UInt64, UInt64)] = []
        for a in edges { for b in edges { cases.append((a, b)) } }
        for _ in 0..<20_000 {
            let total = Self.maxTotal - rng.next() % 1_000_000
            cases.append((total - rng.next() % (total / 2 + 1), total))
            cases.append((rng.next(), rng.next()))
        }
        for (part, total) in cases {
            #expect(VotingPower.exceedsTwoThirds(part, of: total) == reference(part, 2, 3, of: total), "\(part) of \(total)")
            #expect(VotingPower.exceedsOneThird(part, of: total) == reference(part, 1, 3, of: total), "\(part) of \(total)")
        }
    }

    @Test("a quorum at the largest total: exactly 2/3 is not enough, one more unit is")
    func boundaryAtMaximumPower() {
        let total: UInt64 = 3 * (Self.maxTotal / 3)  // divisible by 3, close to 2^63
        #expect(!VotingPower.exceedsTwoThirds(total / 3 * 2, of: total))
        #expect(VotingPower.exceedsTwoThirds(total / 3 * 2 + 1, of: total))
        #expect(VotingPower.exceedsTwoThirds(total, of: total))
    }

    @Test("sums report overflow instead of trapping")
    func sumsReportOverflow() {
        #expect(VotingPower.sum([Self.maxTotal, Self.maxTotal]) == UInt64.max - 1)
        #expect(VotingPower.sum([UInt64.max, 1]) == nil)
        #expect(VotingPower.sum([UInt64]()) == 0)
    }
}
