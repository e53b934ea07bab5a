// `--sweep` parsing and the curve's outputs: multipliers validated with a typed error naming
// what was wrong, rates from the peak, the probe's rising rates, table and CSV columns.
@testable import AgoraBench
import Testing

@Suite("Sweep plan")
struct SweepPlanTests {
    @Test("multipliers parse in the order given, spaces allowed")
    func parses() throws {
        #expect(try SweepPlan.parse("0.5,1,2,3").multipliers == [0.5, 1, 2, 3])
        #expect(try SweepPlan.parse(" 3 , 0.5").multipliers == [3, 0.5])
    }

    @Test("bad multipliers are refused with the reason", arguments: [
        ("", SweepPlan.Failure.emptyMultipliers), ("1,,2", .notANumber("")), ("1,x", .notANumber("x")),
        ("0", .outOfRange(0)), ("-1", .outOfRange(-1)), ("25", .outOfRange(25)), ("nan", .notANumber("nan")),
        ("inf", .notANumber("inf")),
    ])
    func refuses(text: String, failure: SweepPlan.Failure) {
        #expect(throws: failure) { try SweepPlan.parse(text) }
    }

    @Test("more than the step limit is refused")
    func tooMany() {
        let text = Array(repeating: "1", count: SweepPlan.maxSteps + 1).joined(separator: ",")
        #expect(throws: SweepPlan.Failure.tooManySteps(SweepPlan.maxSteps + 1)) { try SweepPlan.parse(text) }
    }

    @Test("rates are the multipliers of the peak, rounded, at least 1; a non-positive peak is refused")
    func rates() throws {
        let plan = try SweepPlan.parse("0.5,1,2,3")
        #expect(try plan.rates(peak: 1_001) == [501, 1_001, 2_002, 3_003])
        #expect(try SweepPlan.parse("0.05").rates(peak: 2) == [1])
        #expect(throws: SweepPlan.Failure.invalidPeak(0)) { try plan.rates(peak: 0) }
        #expect(throws: SweepPlan.Failure.invalidPeak(-5)) { try plan.rates(peak: -5) }
    }

    @Test("the peak probe rises by half each step and stops at the limit")
    func probe() {
        #expect(SweepPlan.probeRates(start: 1_000, steps: 5) == [1_000, 1_500, 2_250, 3_375, 5_063])
        #expect(SweepPlan.probeRates(start: 1_000, limit: 2_000) == [1_000, 1_500])
    }

    @Test("table and CSV carry one row per step with the share of the peak")
    func outputs() {
        let p = SweepPoint(multiplier: 2, offeredPerSecond: 2_000, acceptedPerSecond: 1_200, refusedPerSecond: 900, committedPerSecond: 950,
                           latencyP50: 0.5, latencyP99: 1.25, latencyMax: 2, roundsPerHeight: 1, refusalP50: 0.0012, refusalP99: 0.004)
        let csv = SweepReport.csv([p], peak: 1_000).split(separator: "\n")
        #expect(csv.count == 2)
        #expect(csv[0].split(separator: ",").count == SweepReport.columns.count)
        #expect(csv[1] == "2.00,2000,1200,900,950,0.95,0.500,1.250,2.000,1.00,1.2,4.0")
        let table = SweepReport.table([p], peak: 1_000).split(separator: "\n")
        #expect(table.count == 3)
        #expect(table[2].contains("| 950 | 0.95 |"))
    }
}
