import AgoraCore
import AgoraCrypto
import Foundation
import Testing
@testable import AgoraState

/// The end-of-block cost of governance at its target load (issue 17: under 5 ms for 1,000 open
/// proposals and 10,000 votes): 1,000 proposals — half signals, half parameter changes that pass
/// and execute — with 10 votes each from a set of 20 bonded validators (each vote is 5% of the
/// stake: 10 votes make the quorum). Two shapes:
/// - open: the proposals were submitted 10 per height over 100 heights, so at any height 10 end
///   while the other 990 stay open — what a chain with 1,000 open proposals pays per block;
/// - worst: all 1,000 end at one height.
/// Prints the median of several runs of `Governance.endBlock` over the in-memory state
/// (`swift test --filter GovernanceBench`; docs/governance.md has the figures).
@Suite("Governance: end-of-block benchmark")
struct GovernanceBenchTests {
    static let votingPeriod: UInt64 = 100

    struct Load {
        var state: MemoryState
        /// The height each proposal's voting ends at, by ID.
        var ends: [UInt64]
    }

    /// 1,000 proposals submitted `perHeight` per height from height 1, with 10,000 votes.
    static func load(perHeight: Int) throws -> Load {
        let validators = (0..<20).map { _ in SigningKey() }
        let proposer = SigningKey()
        var l = try StakingLedger(validators: validators.map { ($0, 1) }, bonds: Array(repeating: 1_000, count: 20), admin: nil,
                                  minBond: 1_000, allocations: [(proposer, 10_000_000)],
                                  governance: .init(minDeposit: Amount(10)!, depositPeriod: 5, votingPeriod: votingPeriod))
        let setup = StateOverlay(base: l.state)
        var ends: [UInt64] = []
        for i in 0..<1_000 {
            let at = BlockContext(height: UInt64(1 + i / perHeight), timestamp: 1, proposer: proposer.address)
            let action: ProposalAction = i % 2 == 0 ? .text : .parameterChange([ParamChange(key: .bankMinFee, value: UInt64(i % 50))])
            let f = try Governance.submit(setup, sender: proposer.address, content: ProposalContent(title: "p\(i)", action: action),
                                          deposit: Amount(10)!, context: at)
            #expect(f == nil)
            ends.append(at.height + votingPeriod)
        }
        var votes = 0
        for id in UInt64(1)...1_000 {
            let at = BlockContext(height: ends[Int(id) - 1] - 1, timestamp: 2, proposer: proposer.address)
            for j in 0..<10 {
                let voter = validators[(Int(id) + j) % 20]
                let option: VoteOption = j < 7 ? .yes : (j == 7 ? .no : .abstain)
                #expect(try Governance.vote(setup, voter: voter.publicKey, proposal: id, option: option, context: at) == nil)
                votes += 1
            }
        }
        #expect(votes == 10_000)
        l.state.apply(setup.writeSet())
        return Load(state: l.state, ends: ends)
    }

    /// Median milliseconds of `Governance.endBlock` at `height` over fresh overlays; checks that
    /// exactly `finishing` proposals finish there, all passed.
    static func measure(_ load: Load, height: UInt64, finishing: Int, runs: Int = 7) throws -> Double {
        var samples: [Double] = []
        for _ in 0..<runs {
            let overlay = StateOverlay(base: load.state)
            let start = DispatchTime.now().uptimeNanoseconds
            let summary = try Governance.endBlock(overlay, height: height)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            #expect(summary.finished.count == finishing)
            #expect(summary.finished.allSatisfy { $0.status == .passed })
        }
        return samples.sorted()[samples.count / 2]
    }

    static func report(_ what: String, _ ms: Double) {
        print("governance end of block, \(what): median \(String(format: "%.3f", ms)) ms")
    }

    @Test("1,000 open proposals with 10,000 votes: a block where 10 end, and one where none does")
    func openProposals() throws {
        let load = try Self.load(perHeight: 10)
        // Height 150: the 10 proposals submitted at height 50 end; 990 are still open.
        let ending = try Self.measure(load, height: 150, finishing: 10)
        Self.report("1,000 open proposals, 10,000 votes, 10 ending", ending)
        let idle = try Self.measure(load, height: 99, finishing: 0)
        Self.report("1,000 open proposals, 10,000 votes, none ending", idle)
        // Bounds far above the figures: they only catch a change of complexity (a scan of
        // every open proposal or vote each block).
        #expect(ending < 500 && idle < 50)
    }

    @Test("worst case: 1,000 proposals with 10,000 votes all ending at one height")
    func allAtOneHeight() throws {
        let load = try Self.load(perHeight: 1_000)
        let ms = try Self.measure(load, height: 1 + Self.votingPeriod, finishing: 1_000, runs: 5)
        Self.report("1,000 proposals, 10,000 votes, all ending at once", ms)
        #expect(ms < 2_000)
    }
}
