// SweepPlan owns the shape of `agora bench consensus --sweep`: which offered rates it runs
// (multipliers of a peak, parsed and validated from the command line), how the peak is probed
// when not given, and how the resulting curve is written (table, CSV, gnuplot script). Pure
// values, unit-tested; running the steps is ConsensusBenchmark's.
import Foundation

public struct SweepPlan: Sendable, Equatable {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case emptyMultipliers
        case notANumber(String)
        case outOfRange(Double)
        case tooManySteps(Int)
        case invalidPeak(Double)

        public var description: String {
            switch self {
            case .emptyMultipliers: return "--multipliers is empty; give e.g. 0.5,1,2,3"
            case let .notANumber(t): return "--multipliers: \"\(t)\" is not a number"
            case let .outOfRange(m): return "--multipliers: \(m) is outside 0.05…20"
            case let .tooManySteps(n): return "--multipliers: \(n) steps, at most \(SweepPlan.maxSteps)"
            case let .invalidPeak(p): return "--peak \(p) must be a positive rate (transactions per second)"
            }
        }
    }

    public static let defaultMultipliers: [Double] = [0.5, 1, 1.5, 2, 3]
    public static let maxSteps = 16

    public var multipliers: [Double]

    public init(multipliers: [Double]) throws(Failure) {
        guard !multipliers.isEmpty else { throw .emptyMultipliers }
        guard multipliers.count <= Self.maxSteps else { throw .tooManySteps(multipliers.count) }
        for m in multipliers where !(m.isFinite && m >= 0.05 && m <= 20) { throw .outOfRange(m) }
        self.multipliers = multipliers
    }

    /// "0.5,1,2,3" (spaces allowed) in the order given.
    public static func parse(_ text: String) throws(Failure) -> SweepPlan {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw .emptyMultipliers }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var values: [Double] = []
        for p in parts {
            guard let v = Double(p), v.isFinite else { throw .notANumber(p) }
            values.append(v)
        }
        return try SweepPlan(multipliers: values)
    }

    /// The offered rate of each step, transactions per second (at least 1).
    public func rates(peak: Double) throws(Failure) -> [Int] {
        guard peak.isFinite, peak > 0 else { throw .invalidPeak(peak) }
        return multipliers.map { max(1, Int(($0 * peak).rounded())) }
    }

    /// Rates a peak probe tries, rising by `factor` from `start` up to `limit`: the probe stops
    /// at the first step that commits less than `saturation` of what it offered.
    public static func probeRates(start: Int, factor: Double = 1.5, limit: Int = 100_000, steps: Int = 8) -> [Int] {
        var out: [Int] = []
        var r = Double(max(1, start))
        while out.count < steps, Int(r) <= limit {
            out.append(Int(r.rounded()))
            r *= factor
        }
        return out
    }

    /// The share of its offered load a probe step must commit to count as not yet saturated.
    public static let saturation = 0.9
}

/// One step of the curve.
public struct SweepPoint: Sendable, Equatable {
    public var multiplier: Double
    public var offeredPerSecond: Double
    public var acceptedPerSecond: Double
    public var refusedPerSecond: Double
    public var committedPerSecond: Double
    public var latencyP50: Double
    public var latencyP99: Double
    public var latencyMax: Double
    public var roundsPerHeight: Double
    public var refusalP50: Double
    public var refusalP99: Double

    public init(multiplier: Double, offeredPerSecond: Double, acceptedPerSecond: Double, refusedPerSecond: Double,
                committedPerSecond: Double, latencyP50: Double, latencyP99: Double, latencyMax: Double, roundsPerHeight: Double,
                refusalP50: Double, refusalP99: Double) {
        self.multiplier = multiplier; self.offeredPerSecond = offeredPerSecond; self.acceptedPerSecond = acceptedPerSecond
        self.refusedPerSecond = refusedPerSecond; self.committedPerSecond = committedPerSecond; self.latencyP50 = latencyP50
        self.latencyP99 = latencyP99; self.latencyMax = latencyMax; self.roundsPerHeight = roundsPerHeight
        self.refusalP50 = refusalP50; self.refusalP99 = refusalP99
    }
}

/// Writing the curve: a Markdown table (what docs/performance.md holds), CSV, a gnuplot script.
public enum SweepReport {
    public static let columns = ["multiplier", "offered_per_s", "accepted_per_s", "refused_per_s", "committed_per_s", "of_peak",
                                 "latency_p50_s", "latency_p99_s", "latency_max_s", "rounds_per_height", "refusal_p50_ms", "refusal_p99_ms"]

    static func fields(_ p: SweepPoint, peak: Double) -> [String] {
        [String(format: "%.2f", p.multiplier), String(format: "%.0f", p.offeredPerSecond), String(format: "%.0f", p.acceptedPerSecond),
         String(format: "%.0f", p.refusedPerSecond), String(format: "%.0f", p.committedPerSecond),
         String(format: "%.2f", peak > 0 ? p.committedPerSecond / peak : .nan),
         String(format: "%.3f", p.latencyP50), String(format: "%.3f", p.latencyP99), String(format: "%.3f", p.latencyMax),
         String(format: "%.2f", p.roundsPerHeight), String(format: "%.1f", p.refusalP50 * 1000), String(format: "%.1f", p.refusalP99 * 1000)]
    }

    public static func table(_ points: [SweepPoint], peak: Double) -> String {
        let header = "| ×peak | offered/s | accepted/s | refused/s | committed/s | of peak | p50 s | p99 s | max s | rounds/height | refusal p50 ms | refusal p99 ms |"
        let rule = "|" + String(repeating: "---|", count: columns.count)
        return ([header, rule] + points.map { "| " + fields($0, peak: peak).joined(separator: " | ") + " |" }).joined(separator: "\n")
    }

    public static func csv(_ points: [SweepPoint], peak: Double) -> String {
        ([columns.joined(separator: ",")] + points.map { fields($0, peak: peak).joined(separator: ",") }).joined(separator: "\n") + "\n"
    }

    /// A gnuplot script drawing committed against offered (left axis) and p99 latency (right
    /// axis) from `csvPath` into `pngPath`.
    public static func gnuplotScript(csvPath: String, pngPath: String, peak: Double) -> String {
        """
        set terminal png size 960,540
        set output '\(pngPath)'
        set datafile separator ','
        set key autotitle columnhead left top
        set title 'agora bench consensus --sweep (peak \(Int(peak.rounded())) tx/s)'
        set xlabel 'offered tx/s'
        set ylabel 'committed tx/s'
        set y2label 'p99 commit latency, s'
        set ytics nomirror
        set y2tics
        set yrange [0:*]
        set y2range [0:*]
        set grid
        plot '\(csvPath)' using 2:5 with linespoints lw 2 title 'committed tx/s', \\
             '\(csvPath)' using 2:2 with lines dt 2 title 'offered = committed', \\
             '\(csvPath)' using 2:8 axes x1y2 with linespoints title 'p99 latency (s)'

        """
    }
}
