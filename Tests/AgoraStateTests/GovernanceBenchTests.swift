import AgoraCore
import Foundation
import Testing
@testable import AgoraState

/// The end-of-block cost of governance at its target load (issue 17: under 5 ms for 1,000 open
/// proposals and 10,000 votes), in the shapes of `GovernanceBenchmark` (which `agora bench
/// governance` runs too): each test builds one, prints the median of 7 runs of
/// `Governance.endBlock` over the in-memory state, and fails if a run does not finish exactly
/// what the shape ends (`swift test --filter GovernanceBench`; docs/governance.md has the figures).
@Suite("Governance: end-of-block benchmark")
struct GovernanceBenchTests {
    /// Runs per figure: 7, or `AGORA_GOV_BENCH_RUNS` (more runs make `endBlock` dominate a
    /// profile of the test over its setup: `perf record … swift test --filter GovernanceBench`).
    static let runs = ProcessInfo.processInfo.environment["AGORA_GOV_BENCH_RUNS"].flatMap { Int($0) }.map { max(1, $0) } ?? 7

    static func measure(_ shape: GovernanceBenchmark.Shape) throws -> Double {
        let ms = try GovernanceBenchmark.measure(shape, runs: runs)
        print("governance end of block, \(shape.name): median \(String(format: "%.3f", ms)) ms")
        return ms
    }

    @Test("1,000 open proposals with 10,000 votes: a block where 10 end, and one where none does")
    func openProposals() throws {
        // Height 150: the 10 proposals submitted at height 50 end (`measure` checks that exactly
        // 10 pass there); 990 are still open.
        let shapes = try GovernanceBenchmark.open()
        let ending = try Self.measure(shapes[0])
        let idle = try Self.measure(shapes[1])
        // Bounds far above the figures: they only catch a change of complexity (a scan of
        // every open proposal or vote each block).
        #expect(ending < 500 && idle < 50)
    }

    @Test("worst case the default cap allows: all 10,000 votes on the proposals ending at one height, which pass and execute, plus as many expiring")
    func worstUnderTheCap() throws {
        let ms = try Self.measure(try GovernanceBenchmark.worstUnderCap(Int(GovParams.defaultMaxEndingPerHeight)))
        // Far above the figure: a return to reading every vote or every bond would cross it
        // only in a quiet release build, so this catches gross regressions only.
        #expect(ms < 2_000)
    }

    @Test("the same, recounting every vote over every bond (chains without the running tally): the reference")
    func worstUnderTheCapRecount() throws {
        let ms = try Self.measure(try GovernanceBenchmark.worstUnderCap(Int(GovParams.defaultMaxEndingPerHeight), recount: true))
        #expect(ms < 2_000)
    }

    @Test("the same with the cap raised to 100")
    func worstUnderCap100() throws {
        let ms = try Self.measure(try GovernanceBenchmark.worstUnderCap(100))
        #expect(ms < 2_000)
    }

    @Test("without the cap (parameters older than it): 1,000 proposals with 10,000 votes all ending at one height")
    func uncappedAllAtOneHeight() throws {
        let ms = try Self.measure(try GovernanceBenchmark.uncapped())
        #expect(ms < 5_000)
    }
}
