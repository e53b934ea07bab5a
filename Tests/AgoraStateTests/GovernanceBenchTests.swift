import AgoraCore
import AgoraCrypto
import Foundation
import Testing
@testable import AgoraState

/// The end-of-block cost of governance at its target load (issue 17: under 5 ms for 1,000 open
/// proposals and 10,000 votes). Shapes:
/// - open: 1,000 proposals — half signals, half parameter changes that pass and execute — with
///   10 votes each from 20 bonded validators, submitted 10 per height over 100 heights, so at
///   any height 10 end while the other 990 stay open; and a height where none ends;
/// - capped worst: the most end-of-block work a cap (`gov.maxEndingPerHeight`; the default, and
///   100) lets 1,000 open proposals and 10,000 votes cause at one height: `cap` parameter
///   changes end together carrying all 10,000 votes (10,000 / `cap` validators each), and pass
///   and execute, while `cap` other proposals expire there with their deposits burned;
/// - uncapped: all 1,000 proposals of the open shape ending at one height, on a chain whose
///   parameters predate the cap (what the cap now prevents).
/// Prints the median of 7 runs of `Governance.endBlock` over the in-memory state
/// (`swift test --filter GovernanceBench`; docs/governance.md has the figures).
@Suite("Governance: end-of-block benchmark")
struct GovernanceBenchTests {
    static let period: UInt64 = 100

    struct Load {
        var state: MemoryState
        /// The height each proposal's voting ends at, by ID.
        var ends: [UInt64]
    }

    static func ledger(validators: [SigningKey], proposer: SigningKey, cap: UInt64?) throws -> StakingLedger {
        var l = try StakingLedger(validators: validators.map { ($0, 1) }, bonds: Array(repeating: 1_000, count: validators.count), admin: nil,
                                  minBond: 1_000, allocations: [(proposer, 10_000_000)],
                                  governance: .init(minDeposit: Amount(10)!, depositPeriod: period, votingPeriod: period,
                                                    maxEndingPerHeight: cap ?? 1))
        if cap == nil {
            var p = try #require(try Governance.params(state: l.state))
            p.maxEndingPerHeight = nil
            l.state.entries[GovernanceKeys.params] = p.canonicalBytes
        }
        return l
    }

    static func submit(_ s: StateOverlay, _ proposer: SigningKey, height: UInt64, _ i: Int, change: Bool, deposit: UInt64 = 10) throws -> UInt64 {
        let id = try Governance.nextID(s)
        let action: ProposalAction = change ? .parameterChange([ParamChange(key: .bankMinFee, value: UInt64(i % 50))]) : .text
        let f = try Governance.submit(s, sender: proposer.address, content: ProposalContent(title: "p\(i)", action: action),
                                      deposit: Amount(deposit)!, context: BlockContext(height: height, timestamp: 1, proposer: proposer.address))
        #expect(f == nil)
        return id
    }

    static func vote(_ s: StateOverlay, _ voter: SigningKey, _ id: UInt64, _ option: VoteOption, before end: UInt64) throws {
        let at = BlockContext(height: end - 1, timestamp: 2, proposer: voter.address)
        #expect(try Governance.vote(s, voter: voter.publicKey, proposal: id, option: option, context: at) == nil)
    }

    /// 1,000 proposals submitted `perHeight` per height from height 1, with 10 votes each.
    static func load(perHeight: Int, cap: UInt64?) throws -> Load {
        let validators = (0..<20).map { _ in SigningKey() }
        let proposer = SigningKey()
        var l = try ledger(validators: validators, proposer: proposer, cap: cap)
        let setup = StateOverlay(base: l.state)
        var ends: [UInt64] = []
        for i in 0..<1_000 {
            let id = try submit(setup, proposer, height: UInt64(1 + i / perHeight), i, change: i % 2 == 1)
            ends.append(try #require(try Governance.proposal(setup, id)?.votingEnd))
        }
        for id in UInt64(1)...1_000 {
            for j in 0..<10 {
                try vote(setup, validators[(Int(id) + j) % 20], id, j < 7 ? .yes : (j == 7 ? .no : .abstain), before: ends[Int(id) - 1])
            }
        }
        l.state.apply(setup.writeSet())
        return Load(state: l.state, ends: ends)
    }

    /// The worst a cap allows for 1,000 open proposals and 10,000 votes: `cap` parameter changes
    /// end at one height carrying all 10,000 votes (10,000 / `cap` each, one per validator of a
    /// set that large), pass and execute, while `cap` short proposals expire there; the other
    /// proposals stay open. Votes are written as the vote transaction leaves them (sorted by
    /// voter): casting 10,000 through `Governance.vote` against a 1,000-key set would make the
    /// setup, not the measured end of block, take minutes in a debug build.
    static func worstUnderCap(_ cap: Int) throws -> (MemoryState, UInt64) {
        let perProposal = 10_000 / cap
        let validators = (0..<perProposal).map { _ in SigningKey() }
        let proposer = SigningKey()
        var l = try ledger(validators: validators, proposer: proposer, cap: UInt64(cap))
        let setup = StateOverlay(base: l.state)
        let height = 1 + period
        // The first `cap` proposals fill the voting queue at `height`; the rest land later.
        for i in 0..<(1_000 - cap) { _ = try submit(setup, proposer, height: 1, i, change: i < cap || i % 2 == 1) }
        let ballots = validators.enumerated().map { j, key in
            ProposalVote(voter: key.publicKey, option: j * 10 < perProposal * 7 ? .yes : (j * 10 < perProposal * 8 ? .no : .abstain))
        }.sorted { $0.voter < $1.voter }
        for id in UInt64(1)...UInt64(cap) {
            #expect(try Governance.proposal(setup, id)?.votingEnd == height)
            try setup.set(GovernanceKeys.votes(id), ProposalVotes(ballots).canonicalBytes)
        }
        // `cap` proposals short of the deposit, expiring at the same height.
        for i in 0..<cap { _ = try submit(setup, proposer, height: 1, 1_000 + i, change: true, deposit: 5) }
        l.state.apply(setup.writeSet())
        return (l.state, height)
    }

    /// Median milliseconds of `Governance.endBlock` at `height` over fresh overlays; checks that
    /// exactly `passing` proposals pass and `expiring` expire there.
    static func measure(_ state: MemoryState, height: UInt64, passing: Int, expiring: Int = 0, runs: Int = runs) throws -> Double {
        var samples: [Double] = []
        for _ in 0..<runs {
            let overlay = StateOverlay(base: state)
            let start = DispatchTime.now().uptimeNanoseconds
            let summary = try Governance.endBlock(overlay, height: height)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            #expect(summary.finished.filter { $0.status == .passed }.count == passing)
            #expect(summary.finished.filter { $0.status == .expired }.count == expiring)
            #expect(summary.finished.count == passing + expiring)
        }
        return samples.sorted()[samples.count / 2]
    }

    /// Runs per figure: 7, or `AGORA_GOV_BENCH_RUNS` (more runs make `endBlock` dominate a
    /// profile of the test over its setup: `perf record … swift test --filter GovernanceBench`).
    static let runs = ProcessInfo.processInfo.environment["AGORA_GOV_BENCH_RUNS"].flatMap { Int($0) }.map { max(1, $0) } ?? 7

    static func report(_ what: String, _ ms: Double) {
        print("governance end of block, \(what): median \(String(format: "%.3f", ms)) ms")
    }

    @Test("1,000 open proposals with 10,000 votes: a block where 10 end, and one where none does")
    func openProposals() throws {
        let load = try Self.load(perHeight: 10, cap: GovParams.defaultMaxEndingPerHeight)
        // Height 150: the 10 proposals submitted at height 50 end; 990 are still open.
        #expect(load.ends.filter { $0 == 150 }.count == 10)
        let ending = try Self.measure(load.state, height: 150, passing: 10)
        Self.report("1,000 open proposals, 10,000 votes, 10 ending", ending)
        let idle = try Self.measure(load.state, height: 99, passing: 0)
        Self.report("1,000 open proposals, 10,000 votes, none ending", idle)
        // Bounds far above the figures: they only catch a change of complexity (a scan of
        // every open proposal or vote each block).
        #expect(ending < 500 && idle < 50)
    }

    @Test("worst case the default cap allows: all 10,000 votes on the proposals ending at one height, which pass and execute, plus as many expiring")
    func worstUnderTheCap() throws {
        let cap = Int(GovParams.defaultMaxEndingPerHeight)
        let (state, height) = try Self.worstUnderCap(cap)
        let ms = try Self.measure(state, height: height, passing: cap, expiring: cap)
        Self.report("cap \(cap): \(cap) tallied (10,000 votes) and executed + \(cap) expired at once", ms)
        #expect(ms < 2_000)
    }

    @Test("the same with the cap raised to 100")
    func worstUnderCap100() throws {
        let (state, height) = try Self.worstUnderCap(100)
        let ms = try Self.measure(state, height: height, passing: 100, expiring: 100)
        Self.report("cap 100: 100 tallied (10,000 votes) and executed + 100 expired at once", ms)
        #expect(ms < 2_000)
    }

    @Test("without the cap (parameters older than it): 1,000 proposals with 10,000 votes all ending at one height")
    func uncappedAllAtOneHeight() throws {
        let load = try Self.load(perHeight: 1_000, cap: nil)
        let ms = try Self.measure(load.state, height: 1 + Self.period, passing: 1_000)
        Self.report("no cap: 1,000 proposals, 10,000 votes, all ending at once", ms)
        #expect(ms < 5_000)
    }
}
