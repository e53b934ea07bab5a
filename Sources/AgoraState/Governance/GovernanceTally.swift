import AgoraCore

/// The tally of one proposal at the end of its voting period, as Cosmos x/gov counts it, over
/// bonded stake: each vote weighs its validator's bond (zero for a key no longer in the set, so a
/// validator that left cannot decide a vote). In order:
/// 1. quorum — the votes cast (abstain included) must be at least `quorumBps` of the bonded
///    stake of the set, else `noQuorum`;
/// 2. abstain only — nobody took a side: `rejected`;
/// 3. veto — no-with-veto above `vetoBps` of all votes cast: `vetoed` (deposits burned);
/// 4. threshold — yes above `thresholdBps` of yes + no + no-with-veto: `passed`, else `rejected`.
/// Integer arithmetic only (128-bit products), so every node reaches the same outcome.
public struct TallyResult: Hashable, Sendable, CanonicalCodable {
    public var yes: UInt64
    public var abstain: UInt64
    public var no: UInt64
    public var noWithVeto: UInt64
    /// The bonded stake the quorum is measured against.
    public var bonded: UInt64

    public init(yes: UInt64 = 0, abstain: UInt64 = 0, no: UInt64 = 0, noWithVeto: UInt64 = 0, bonded: UInt64) {
        self.yes = yes
        self.abstain = abstain
        self.no = no
        self.noWithVeto = noWithVeto
        self.bonded = bonded
    }

    /// Sums weights per option. Weights are bonds, bounded together by the supply (< 2^63), so
    /// the sums cannot overflow; `bonded` is their total over the set.
    public init(votes: [(weight: UInt64, option: VoteOption)], bonded: UInt64) {
        self.init(bonded: bonded)
        for v in votes {
            switch v.option {
            case .yes: yes &+= v.weight
            case .abstain: abstain &+= v.weight
            case .no: no &+= v.weight
            case .noWithVeto: noWithVeto &+= v.weight
            }
        }
    }

    public var turnout: UInt64 { yes &+ abstain &+ no &+ noWithVeto }

    /// The proposal's final status under `params` (never `failed`: that is decided by execution).
    public func outcome(_ params: GovParams) -> ProposalStatus {
        let cast = turnout
        if bonded == 0 || TallyResult.below(cast, share: params.quorumBps, of: bonded) { return .noQuorum }
        let sided = yes &+ no &+ noWithVeto
        if sided == 0 { return .rejected }
        if TallyResult.above(noWithVeto, share: params.vetoBps, of: cast) { return .vetoed }
        return TallyResult.above(yes, share: params.thresholdBps, of: sided) ? .passed : .rejected
    }

    /// `part × 10,000 < bps × whole`.
    static func below(_ part: UInt64, share bps: UInt16, of whole: UInt64) -> Bool {
        compare(part, bps, whole) < 0
    }

    /// `part × 10,000 > bps × whole`.
    static func above(_ part: UInt64, share bps: UInt16, of whole: UInt64) -> Bool {
        compare(part, bps, whole) > 0
    }

    /// Sign of `part × 10,000 − bps × whole`, in 128 bits.
    private static func compare(_ part: UInt64, _ bps: UInt16, _ whole: UInt64) -> Int {
        let l = part.multipliedFullWidth(by: 10_000)
        let r = whole.multipliedFullWidth(by: UInt64(bps))
        if l.high != r.high { return l.high < r.high ? -1 : 1 }
        if l.low != r.low { return l.low < r.low ? -1 : 1 }
        return 0
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(yes)
        writer.write(abstain)
        writer.write(no)
        writer.write(noWithVeto)
        writer.write(bonded)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        yes = try reader.readUInt64("tally.yes")
        abstain = try reader.readUInt64("tally.abstain")
        no = try reader.readUInt64("tally.no")
        noWithVeto = try reader.readUInt64("tally.noWithVeto")
        bonded = try reader.readUInt64("tally.bonded")
    }
}
