import AgoraCore
import AgoraCrypto
import Dispatch

/// Measurement only (no node calls it): the end-of-block cost of governance at issue 17's target
/// load — 1,000 open proposals and 10,000 votes — in the shapes `GovernanceBenchTests` and
/// `agora bench governance` share, each built in memory and timed as the median of `runs` runs of
/// `Governance.endBlock` over fresh overlays (docs/governance.md, "Measured"). Shapes:
/// - open: 1,000 proposals (half signals, half parameter changes that pass and execute), 10 votes
///   each from 20 bonded validators, submitted 10 per height: a height where 10 end, one where none does;
/// - capped worst: `cap` parameter changes ending together carry all 10,000 votes (a set of
///   10,000 / `cap` validators), pass and execute, while `cap` short proposals expire there; with
///   `recount`, the same on a chain without `gov/ts`, which recounts every vote over every bond;
/// - uncapped: the 1,000 open proposals all ending at one height (parameters older than the cap).
public enum GovernanceBenchmark {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// A step of building a shape failed.
        case setup(step: String, ExecutionFailure)
        /// The measured end of block did not finish what the shape is built to finish.
        case unexpectedOutcome(shape: String, passed: Int, expired: Int, other: Int, expectedPassed: Int, expectedExpired: Int)

        public var description: String {
            switch self {
            case let .setup(step, f): return "building the shape: \(step) failed: \(f)"
            case let .unexpectedOutcome(shape, p, e, o, ep, ee):
                return "\(shape): \(p) passed, \(e) expired, \(o) other; expected \(ep) passed and \(ee) expired"
            }
        }
    }

    /// A state and the height whose end of block is measured, with what it must finish.
    public struct Shape: Sendable {
        public let name: String
        let state: MemoryState
        let height: UInt64
        public let passing: Int
        public let expiring: Int
    }

    public static let period: UInt64 = 100

    static func key(_ i: Int, _ tag: UInt8) -> SigningKey {
        var seed = [UInt8](repeating: tag, count: 32)
        withUnsafeBytes(of: UInt64(i).littleEndian) { for (j, b) in $0.enumerated() { seed[j] = b } }
        return try! SigningKey(seed: seed)
    }

    /// A governance chain with `validators` keys bonded 1,000 each and a funded proposer.
    static func chain(validators: [SigningKey], proposer: SigningKey, cap: UInt64?) throws -> MemoryState {
        let genesis = Genesis(
            chainID: "gov-bench", genesisTime: 0,
            validators: validators.map { .init(publicKey: $0.publicKey.hex, power: 1, bond: Amount(1_000)!) },
            params: .init(treasury: Address(raw: [UInt8](repeating: 0xee, count: 20)).description, transferFeeBps: 0, minFee: Amount(1)!,
                          faucetAmount: .zero, maxTotalSupply: Amount(1_000_000_000_000)!, maxAccountBalance: Amount(100_000_000)!,
                          blockReward: .zero),
            allocations: [.init(address: proposer.address.description, amount: Amount(10_000_000)!)],
            staking: .init(admin: nil, minBond: Amount(1_000)!),
            governance: .init(minDeposit: Amount(10)!, depositPeriod: period, votingPeriod: period, maxEndingPerHeight: cap ?? 1))
        var state = MemoryState()
        state.apply(try genesis.resolve().state)
        if cap == nil, var p = try Governance.params(state: state) {
            p.maxEndingPerHeight = nil
            state.entries[GovernanceKeys.params] = p.canonicalBytes
        }
        return state
    }

    static func submit(_ s: StateOverlay, _ proposer: SigningKey, height: UInt64, _ i: Int, change: Bool, deposit: UInt64 = 10) throws {
        let action: ProposalAction = change ? .parameterChange([ParamChange(key: .bankMinFee, value: UInt64(i % 50))]) : .text
        if let f = try Governance.submit(s, sender: proposer.address, content: ProposalContent(title: "p\(i)", action: action),
                                         deposit: Amount(deposit)!, context: BlockContext(height: height, timestamp: 1, proposer: proposer.address)) {
            throw Failure.setup(step: "submit \(i)", f)
        }
    }

    /// 1,000 proposals submitted `perHeight` per height from height 1, 10 votes each from 20
    /// validators, cast through the vote transaction's rules.
    public static func openLoad(perHeight: Int, cap: UInt64?) throws -> (state: MemoryState, ends: [UInt64]) {
        let validators = (0..<20).map { key($0, 1) }
        let proposer = key(0, 2)
        var state = try chain(validators: validators, proposer: proposer, cap: cap)
        let setup = StateOverlay(base: state)
        var ends: [UInt64] = []
        for i in 0..<1_000 {
            try submit(setup, proposer, height: UInt64(1 + i / perHeight), i, change: i % 2 == 1)
            ends.append(try Governance.proposal(setup, UInt64(i + 1))?.votingEnd ?? 0)
        }
        for id in UInt64(1)...1_000 {
            let at = BlockContext(height: ends[Int(id) - 1] - 1, timestamp: 2, proposer: proposer.address)
            for j in 0..<10 {
                let option: VoteOption = j < 7 ? .yes : (j == 7 ? .no : .abstain)
                if let f = try Governance.vote(setup, voter: validators[(Int(id) + j) % 20].publicKey, proposal: id, option: option, context: at) {
                    throw Failure.setup(step: "vote on \(id)", f)
                }
            }
        }
        state.apply(setup.writeSet())
        return (state, ends)
    }

    /// The open load with 10 ending at height 150 (990 stay open), and at 99 (none ends).
    public static func open() throws -> [Shape] {
        let load = try openLoad(perHeight: 10, cap: GovParams.defaultMaxEndingPerHeight)
        return [Shape(name: "1,000 open proposals, 10,000 votes, 10 ending", state: load.state, height: 150, passing: 10, expiring: 0),
                Shape(name: "1,000 open proposals, 10,000 votes, none ending", state: load.state, height: 99, passing: 0, expiring: 0)]
    }

    /// All 1,000 of the open load ending at one height on a chain without the cap.
    public static func uncapped() throws -> Shape {
        let load = try openLoad(perHeight: 1_000, cap: nil)
        return Shape(name: "no cap: 1,000 proposals, 10,000 votes, all ending at once", state: load.state, height: 1 + period,
                     passing: 1_000, expiring: 0)
    }

    /// The worst `cap` allows (see the type's comment). Votes are written as the vote transaction
    /// leaves them (the sorted list, the running tally, each voter's ballots): casting 10,000
    /// through `Governance.vote` against a 1,000-key set would make the setup take minutes in a
    /// debug build.
    public static func worstUnderCap(_ cap: Int, recount: Bool = false) throws -> Shape {
        let perProposal = 10_000 / cap
        let validators = (0..<perProposal).map { key($0, 3) }
        let proposer = key(0, 4)
        var state = try chain(validators: validators, proposer: proposer, cap: UInt64(cap))
        let setup = StateOverlay(base: state)
        let height = 1 + period
        // The first `cap` proposals fill the voting queue at `height`; the rest land later.
        for i in 0..<(1_000 - cap) { try submit(setup, proposer, height: 1, i, change: i < cap || i % 2 == 1) }
        let ballots = validators.enumerated().map { j, key in
            ProposalVote(voter: key.publicKey, option: j * 10 < perProposal * 7 ? .yes : (j * 10 < perProposal * 8 ? .no : .abstain))
        }.sorted { $0.voter < $1.voter }
        for id in UInt64(1)...UInt64(cap) {
            try setup.set(GovernanceKeys.votes(id), ProposalVotes(ballots).canonicalBytes)
            for b in ballots {
                try Governance.recordVote(setup, voter: b.voter, proposal: id, votingEnd: height, option: b.option, weight: 1_000, height: 2)
            }
        }
        // `cap` proposals short of the deposit, expiring at the same height.
        for i in 0..<cap { try submit(setup, proposer, height: 1, 1_000 + i, change: true, deposit: 5) }
        state.apply(setup.writeSet())
        if recount { state.entries[GovernanceKeys.tallyState] = nil }
        let what = recount ? "recounted (no running tally)" : "running tally"
        return Shape(name: "cap \(cap), \(what): \(cap) tallied (10,000 votes) and executed + \(cap) expired at once", state: state,
                     height: height, passing: cap, expiring: cap)
    }

    /// Median milliseconds of `Governance.endBlock` at the shape's height over `runs` fresh
    /// overlays; throws unless each run finishes exactly what the shape is built to finish.
    public static func measure(_ shape: Shape, runs: Int) throws -> Double {
        var samples: [Double] = []
        for _ in 0..<max(1, runs) {
            let overlay = StateOverlay(base: shape.state)
            let start = DispatchTime.now().uptimeNanoseconds
            let summary = try Governance.endBlock(overlay, height: shape.height)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            let passed = summary.finished.filter { $0.status == .passed }.count
            let expired = summary.finished.filter { $0.status == .expired }.count
            guard passed == shape.passing, expired == shape.expiring, summary.finished.count == passed + expired else {
                throw Failure.unexpectedOutcome(shape: shape.name, passed: passed, expired: expired, other: summary.finished.count - passed - expired,
                                                expectedPassed: shape.passing, expectedExpired: shape.expiring)
            }
        }
        return samples.sorted()[samples.count / 2]
    }
}
