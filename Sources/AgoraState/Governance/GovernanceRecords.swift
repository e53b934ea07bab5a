import AgoraCore

// The governance module's state: its parameters (`GovParams`, whose presence is what enables
// governance on a chain), the record kept per proposal, the votes, the queues of proposals whose
// deposit or voting period ends at a height, and the state keys.

/// The rules of governance, in state (`gov/params`) and themselves changeable by proposal.
/// Periods are in heights, shares in basis points of 10,000.
public struct GovParams: Hashable, Sendable, CanonicalCodable, Codable {
    /// Total deposit that moves a proposal from its deposit period to its voting period.
    public var minDeposit: Amount
    public var depositPeriod: UInt64
    public var votingPeriod: UInt64
    /// Share of the bonded stake that must vote (abstain included) for the tally to count.
    public var quorumBps: UInt16
    /// Share of yes among yes + no + no-with-veto above which a proposal passes.
    public var thresholdBps: UInt16
    /// Share of no-with-veto among all votes above which a proposal is vetoed (deposits burned).
    public var vetoBps: UInt16
    /// At most this many proposals end their voting period at one height, and at most this many
    /// their deposit period: a proposal whose natural end height is full takes the next height
    /// with room, so one block's end-of-block work is bounded whatever a spammer submits. Nil
    /// only on a chain whose `gov/params` was written before the cap existed: no cap there (its
    /// blocks replay as they ran) until a proposal sets `gov.maxEndingPerHeight`.
    public var maxEndingPerHeight: UInt64?

    /// Cosmos's defaults for the shares (33.4%, 50%, 33.4%); periods suit a 1 s block interval;
    /// the cap keeps a block's tally and execution under 5 ms (docs/governance.md, "Measured").
    public static let defaults = GovParams(minDeposit: Amount(1_000_000)!, depositPeriod: 600, votingPeriod: 600,
                                           quorumBps: 3_340, thresholdBps: 5_000, vetoBps: 3_340,
                                           maxEndingPerHeight: defaultMaxEndingPerHeight)
    public static let defaultMaxEndingPerHeight: UInt64 = 10

    public init(minDeposit: Amount, depositPeriod: UInt64, votingPeriod: UInt64, quorumBps: UInt16, thresholdBps: UInt16,
                vetoBps: UInt16, maxEndingPerHeight: UInt64? = GovParams.defaultMaxEndingPerHeight) {
        self.minDeposit = minDeposit
        self.depositPeriod = depositPeriod
        self.votingPeriod = votingPeriod
        self.quorumBps = quorumBps
        self.thresholdBps = thresholdBps
        self.vetoBps = vetoBps
        self.maxEndingPerHeight = maxEndingPerHeight
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(minDeposit)
        writer.write(depositPeriod)
        writer.write(votingPeriod)
        writer.write(quorumBps)
        writer.write(thresholdBps)
        writer.write(vetoBps)
        // Written only when set, last: parameters stored before the cap existed decode unchanged.
        if let maxEndingPerHeight { writer.write(maxEndingPerHeight) }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        minDeposit = try reader.read(Amount.self)
        depositPeriod = try reader.readUInt64("gov.depositPeriod")
        votingPeriod = try reader.readUInt64("gov.votingPeriod")
        quorumBps = try reader.readUInt16("gov.quorumBps")
        thresholdBps = try reader.readUInt16("gov.thresholdBps")
        vetoBps = try reader.readUInt16("gov.vetoBps")
        maxEndingPerHeight = reader.remaining > 0 ? try reader.readUInt64("gov.maxEndingPerHeight") : nil
    }
}

/// Where a proposal stands. The last six are final.
public enum ProposalStatus: UInt8, Sendable, Hashable, CaseIterable, CanonicalCodable, CustomStringConvertible {
    case depositPeriod = 1
    case votingPeriod = 2
    /// Passed and executed; deposits refunded.
    case passed = 3
    /// Passed, but its action could not be applied at the end of the voting period (the failure
    /// is kept); nothing changed; deposits refunded.
    case failed = 4
    /// Quorum reached, threshold not (or abstain only); deposits refunded.
    case rejected = 5
    /// Too little of the bonded stake voted; deposits refunded.
    case noQuorum = 6
    /// No-with-veto above the veto share; deposits burned.
    case vetoed = 7
    /// The deposit period ended short of the minimum deposit; deposits burned.
    case expired = 8

    public var name: String {
        switch self {
        case .depositPeriod: return "deposit_period"
        case .votingPeriod: return "voting_period"
        case .passed: return "passed"
        case .failed: return "failed"
        case .rejected: return "rejected"
        case .noQuorum: return "no_quorum"
        case .vetoed: return "vetoed"
        case .expired: return "expired"
        }
    }

    public init?(name: String) {
        guard let s = ProposalStatus.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }

    public var description: String { name }
    public var isFinal: Bool { rawValue >= ProposalStatus.passed.rawValue }
    /// Whether the deposits are burned rather than refunded when the proposal reaches this status.
    public var burnsDeposit: Bool { self == .vetoed || self == .expired }

    public func encode(to writer: inout CanonicalWriter) { writer.write(rawValue) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("proposal.status")
        guard let s = ProposalStatus(rawValue: raw) else { throw .unknownTag(type: "proposal.status", tag: raw) }
        self = s
    }
}

/// One depositor's total on one proposal.
public struct ProposalDeposit: Hashable, Sendable, CanonicalCodable {
    public var depositor: Address
    public var amount: Amount
    public init(depositor: Address, amount: Amount) { self.depositor = depositor; self.amount = amount }
    public func encode(to writer: inout CanonicalWriter) { writer.write(depositor); writer.write(amount) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        depositor = try reader.read(Address.self)
        amount = try reader.read(Amount.self)
    }
}

/// One validator key's current vote on one proposal.
public struct ProposalVote: Hashable, Sendable, CanonicalCodable {
    public var voter: PublicKey
    public var option: VoteOption
    public init(voter: PublicKey, option: VoteOption) { self.voter = voter; self.option = option }
    public func encode(to writer: inout CanonicalWriter) { writer.write(voter); writer.write(option) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        voter = try reader.read(PublicKey.self)
        option = try reader.read(VoteOption.self)
    }
}

/// What state keeps of a proposal. The deposits are escrow: part of `bank/supply` until they are
/// refunded or burned, which happens exactly once, when the proposal reaches a final status.
public struct ProposalRecord: Hashable, Sendable, CanonicalCodable {
    public var proposer: Address
    public var content: ProposalContent
    public var status: ProposalStatus
    public var submittedAt: UInt64
    /// Last height of the deposit period.
    public var depositEnd: UInt64
    /// Set when the minimum deposit is reached: the voting period runs through `votingEnd`.
    public var votingStart: UInt64?
    public var votingEnd: UInt64?
    /// Sorted by depositor, at most `GovernanceLimits.maxDepositors`.
    public var deposits: [ProposalDeposit]
    /// The final tally, once the voting period ended.
    public var tally: TallyResult?
    /// Why a passed proposal's action could not be applied (status `failed`).
    public var executionFailure: ExecutionFailure?

    public var totalDeposit: Amount {
        // Deposits were moved out of balances, which the supply (≤ 2^63-1) bounds: no overflow.
        deposits.reduce(Amount.zero) { (try? $0.adding($1.amount)) ?? .max }
    }

    public init(proposer: Address, content: ProposalContent, status: ProposalStatus, submittedAt: UInt64, depositEnd: UInt64,
                votingStart: UInt64? = nil, votingEnd: UInt64? = nil, deposits: [ProposalDeposit], tally: TallyResult? = nil,
                executionFailure: ExecutionFailure? = nil) {
        self.proposer = proposer
        self.content = content
        self.status = status
        self.submittedAt = submittedAt
        self.depositEnd = depositEnd
        self.votingStart = votingStart
        self.votingEnd = votingEnd
        self.deposits = deposits
        self.tally = tally
        self.executionFailure = executionFailure
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(proposer)
        writer.write(content)
        writer.write(status)
        writer.write(submittedAt)
        writer.write(depositEnd)
        writer.writeOptional(votingStart)
        writer.writeOptional(votingEnd)
        writer.writeArray(deposits)
        writer.writeOptional(tally)
        writer.writeOptional(executionFailure)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        proposer = try reader.read(Address.self)
        content = try reader.read(ProposalContent.self)
        status = try reader.read(ProposalStatus.self)
        submittedAt = try reader.readUInt64("proposal.submittedAt")
        depositEnd = try reader.readUInt64("proposal.depositEnd")
        votingStart = try reader.readOptional(UInt64.self, "proposal.votingStart")
        votingEnd = try reader.readOptional(UInt64.self, "proposal.votingEnd")
        deposits = try reader.readArray(ProposalDeposit.self, "proposal.deposits", limit: GovernanceLimits.maxDepositors)
        tally = try reader.readOptional(TallyResult.self, "proposal.tally")
        executionFailure = try reader.readOptional(ExecutionFailure.self, "proposal.executionFailure")
    }
}

/// A list of proposal IDs (a queue entry), sorted ascending.
struct ProposalIDs: CanonicalCodable {
    var ids: [UInt64]
    init(_ ids: [UInt64]) { self.ids = ids }
    func encode(to writer: inout CanonicalWriter) { writer.writeArray(ids) }
    init(from reader: inout CanonicalReader) throws(CodecError) { ids = try reader.readArray(UInt64.self, "gov.queue", limit: 1 << 20) }
}

/// The votes on one proposal, sorted by voter key.
struct ProposalVotes: CanonicalCodable {
    var votes: [ProposalVote]
    init(_ votes: [ProposalVote]) { self.votes = votes }
    func encode(to writer: inout CanonicalWriter) { writer.writeArray(votes) }
    init(from reader: inout CanonicalReader) throws(CodecError) {
        votes = try reader.readArray(ProposalVote.self, "gov.votes", limit: 1 << 20)
    }
}

/// Where governance keeps things in the state store. Heights in keys are big-endian so that the
/// queues sort by height.
public enum GovernanceKeys {
    /// Present exactly when the chain's genesis enabled governance.
    public static let params = StateKey("gov/params")
    /// The ID the next proposal gets (IDs start at 1).
    public static let nextID = StateKey("gov/next")
    public static func proposal(_ id: UInt64) -> StateKey { StateKey("gov/p/", bigEndian(id)) }
    public static func votes(_ id: UInt64) -> StateKey { StateKey("gov/v/", bigEndian(id)) }
    /// Proposals whose deposit period ends at `height`.
    static func depositQueue(_ height: UInt64) -> StateKey { StateKey("gov/qd/", bigEndian(height)) }
    /// Proposals whose voting period ends at `height`.
    static func votingQueue(_ height: UInt64) -> StateKey { StateKey("gov/qv/", bigEndian(height)) }

    static func bigEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) } }
}
