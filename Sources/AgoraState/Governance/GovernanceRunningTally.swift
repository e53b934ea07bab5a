import AgoraCore

// Governance's running tally: per-option power sums kept per open proposal as votes arrive and
// as voters' weights change, so the end of a voting period reads one entry per ending proposal
// instead of every vote and every validator's bond. It owns three versioned records and the
// rules that keep them equal to a full recount (`Governance.recount`) at every moment:
//
// - `gov/ts` (TallyState): the epoch of the validator set the weights are for (the set that
//   signs the block being executed) and the bonded stake of that set, Σ bond over its members;
// - `gov/t/<id>` (RunningTally): per-option sums of the open proposal's votes, each weighing
//   its voter's current weight; deleted when the proposal's voting period ends;
// - `gov/w/<voter>` (VoterBallots): the voter's current weight and the open proposals it voted
//   on with its option on each — the index that finds what to reweigh.
//
// A voter's weight is its bond if it is in the set signing the block, else 0 (what the recount
// gives its votes). It changes only (1) when its bond changes (`Staking.setRecord` calls
// `bondChanged`) and (2) when the signing set changes between two blocks (`advance`, run at the
// end of each block for the next). Each change reweighs the voter's open votes by the
// difference. Chains whose state has no `gov/ts` (governance genesis written before this) keep
// recounting at the end, so their blocks replay as they ran.

/// Why the running tally cannot be updated: state that breaks its invariant.
public enum RunningTallyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Removing a vote's weight from an option that holds less than it.
    case weightUnderflow(proposal: UInt64, option: VoteOption, holds: UInt64, removing: UInt64)
    /// The bonded total would go below zero removing a member's bond.
    case bondedUnderflow(holds: UInt64, removing: UInt64)
    /// A vote on a proposal in its voting period that has no running tally.
    case missingTally(proposal: UInt64)

    public var description: String {
        switch self {
        case let .weightUnderflow(p, o, h, r): return "proposal \(p): \(o) holds \(h), cannot remove \(r)"
        case let .bondedUnderflow(h, r): return "bonded stake \(h) cannot lose \(r)"
        case let .missingTally(p): return "proposal \(p) is in its voting period without a running tally"
        }
    }
}

/// `gov/ts`: which set the weights are for and its bonded stake.
struct TallyState: Hashable, Sendable, CanonicalCodable {
    static let version: UInt8 = 1
    /// The height the signing set took effect (`staking/epochs`).
    var epoch: UInt64
    var bonded: UInt64

    func encode(to writer: inout CanonicalWriter) {
        writer.write(TallyState.version)
        writer.write(epoch)
        writer.write(bonded)
    }

    init(epoch: UInt64, bonded: UInt64) { self.epoch = epoch; self.bonded = bonded }

    init(from reader: inout CanonicalReader) throws(CodecError) {
        let v = try reader.readUInt8("tallyState.version")
        guard v == TallyState.version else { throw .unsupportedVersion(type: "tallyState", version: v, supported: TallyState.version) }
        epoch = try reader.readUInt64("tallyState.epoch")
        bonded = try reader.readUInt64("tallyState.bonded")
    }
}

/// `gov/t/<id>`: one open proposal's per-option sums.
struct RunningTally: Hashable, Sendable, CanonicalCodable {
    static let version: UInt8 = 1
    var sums: [UInt64] = [0, 0, 0, 0]

    init() {}

    subscript(option: VoteOption) -> UInt64 {
        get { sums[Int(option.rawValue) - 1] }
        set { sums[Int(option.rawValue) - 1] = newValue }
    }

    /// Moves `weight` out of `from` (nil: a new vote) and `weight'` into `to` (nil: none).
    mutating func move(proposal: UInt64, remove old: UInt64, from: VoteOption?, add new: UInt64, to: VoteOption?) throws(RunningTallyError) {
        if let from {
            guard self[from] >= old else { throw .weightUnderflow(proposal: proposal, option: from, holds: self[from], removing: old) }
            self[from] -= old
        }
        // Weights are bonds, together bounded by the supply (< 2^63): the sum cannot overflow.
        if let to { self[to] &+= new }
    }

    func result(bonded: UInt64) -> TallyResult {
        TallyResult(yes: self[.yes], abstain: self[.abstain], no: self[.no], noWithVeto: self[.noWithVeto], bonded: bonded)
    }

    func encode(to writer: inout CanonicalWriter) {
        writer.write(RunningTally.version)
        for s in sums { writer.write(s) }
    }

    init(from reader: inout CanonicalReader) throws(CodecError) {
        let v = try reader.readUInt8("runningTally.version")
        guard v == RunningTally.version else { throw .unsupportedVersion(type: "runningTally", version: v, supported: RunningTally.version) }
        for i in 0..<4 { sums[i] = try reader.readUInt64("runningTally.sum") }
    }
}

/// One vote a voter holds on an open proposal.
struct Ballot: Hashable, Sendable, CanonicalCodable {
    var proposal: UInt64
    /// Its voting period's last height: the ballot is dropped once a block after it runs.
    var votingEnd: UInt64
    var option: VoteOption

    func encode(to writer: inout CanonicalWriter) { writer.write(proposal); writer.write(votingEnd); writer.write(option) }
    init(proposal: UInt64, votingEnd: UInt64, option: VoteOption) { self.proposal = proposal; self.votingEnd = votingEnd; self.option = option }
    init(from reader: inout CanonicalReader) throws(CodecError) {
        proposal = try reader.readUInt64("ballot.proposal")
        votingEnd = try reader.readUInt64("ballot.votingEnd")
        option = try reader.read(VoteOption.self)
    }
}

/// `gov/w/<voter>`: the weight every one of the voter's open ballots is counted with, and the
/// ballots (sorted by proposal, strictly ascending).
struct VoterBallots: Hashable, Sendable, CanonicalCodable {
    static let version: UInt8 = 1
    var weight: UInt64
    var ballots: [Ballot]

    init(weight: UInt64, ballots: [Ballot]) { self.weight = weight; self.ballots = ballots }

    func encode(to writer: inout CanonicalWriter) {
        writer.write(VoterBallots.version)
        writer.write(weight)
        writer.writeArray(ballots)
    }

    init(from reader: inout CanonicalReader) throws(CodecError) {
        let v = try reader.readUInt8("voterBallots.version")
        guard v == VoterBallots.version else { throw .unsupportedVersion(type: "voterBallots", version: v, supported: VoterBallots.version) }
        weight = try reader.readUInt64("voterBallots.weight")
        ballots = try reader.readArray(Ballot.self, "voterBallots.ballots", limit: 1 << 20)
        guard zip(ballots, ballots.dropFirst()).allSatisfy({ $0.proposal < $1.proposal }) else {
            throw .nonCanonical(field: "voterBallots.ballots", reason: "not strictly ascending by proposal")
        }
    }
}

extension GovernanceKeys {
    static let tallyState = StateKey("gov/ts")
    static func runningTally(_ id: UInt64) -> StateKey { StateKey("gov/t/", bigEndian(id)) }
    static func ballots(_ voter: PublicKey) -> StateKey { StateKey(Array("gov/w/".utf8) + voter.bytes) }
}
