import AgoraState

/// `agora bench governance`: governance's end-of-block cost at issue 17's target load (1,000
/// open proposals, 10,000 votes) in the shapes `GovernanceBenchTests` measures
/// (`GovernanceBenchmark` in AgoraState builds them), each the median of `runs` runs, with the
/// ed25519 verify rate of the same sitting as the reference a ratio is taken against.
public enum GovernanceEndBlockBenchmark {
    public struct Figure: Sendable {
        public var shape: String
        public var medianMilliseconds: Double
    }

    /// Builds and measures each shape in turn; `report` gets each figure as soon as it exists.
    public static func run(runs: Int, report: (Figure) -> Void) throws {
        let cap = Int(GovParams.defaultMaxEndingPerHeight)
        let builders: [() throws -> [GovernanceBenchmark.Shape]] = [
            { try GovernanceBenchmark.open() },
            { [try GovernanceBenchmark.worstUnderCap(cap)] },
            { [try GovernanceBenchmark.worstUnderCap(cap, recount: true)] },
            { [try GovernanceBenchmark.worstUnderCap(100)] },
            { [try GovernanceBenchmark.uncapped()] },
        ]
        for build in builders {
            for shape in try build() {
                report(Figure(shape: shape.name, medianMilliseconds: try GovernanceBenchmark.measure(shape, runs: runs)))
            }
        }
    }
}
