/// Quorum arithmetic on voting power that cannot overflow. A set's total power may be as large as
/// 2^63 - 1 (`ValidatorSet`), so `signed * 3 > total * 2` traps in UInt64 arithmetic once the
/// signed power passes 2^64 / 3: a set of a few huge validators would crash every node that
/// checks their commit. Every comparison here is exact over the full 128-bit products, and sums
/// report overflow instead of trapping, so a commit is judged by what it carries at any power.
public enum VotingPower {
    /// `part > total * numerator / denominator`, exactly: compares `part * denominator` with
    /// `total * numerator` as 128-bit products.
    public static func exceeds(_ part: UInt64, _ numerator: UInt64, _ denominator: UInt64, of total: UInt64) -> Bool {
        let lhs = part.multipliedFullWidth(by: denominator)
        let rhs = total.multipliedFullWidth(by: numerator)
        return lhs.high != rhs.high ? lhs.high > rhs.high : lhs.low > rhs.low
    }

    /// "+2/3": strictly more than two thirds of `total`.
    public static func exceedsTwoThirds(_ part: UInt64, of total: UInt64) -> Bool { exceeds(part, 2, 3, of: total) }

    /// "+1/3": strictly more than one third of `total`.
    public static func exceedsOneThird(_ part: UInt64, of total: UInt64) -> Bool { exceeds(part, 1, 3, of: total) }

    /// The sum of `powers`, or nil if it does not fit in 64 bits (a caller treats that as a
    /// refusal: no valid set has such a total).
    public static func sum<S: Sequence>(_ powers: S) -> UInt64? where S.Element == UInt64 {
        var total: UInt64 = 0
        for p in powers {
            let (next, overflow) = total.addingReportingOverflow(p)
            if overflow { return nil }
            total = next
        }
        return total
    }
}
