// ConsensusReportText owns how a consensus benchmark step is shown: the lines a person reads
// and the JSON a test or script reads (`--json FILE`), from the same StepReport.
import Foundation

public enum ConsensusReportText {
    /// The human summary of one step; `verifyPerSecond` (all cores, same sitting) gives the ratio.
    public static func lines(_ r: StepReport, verifyPerSecond: Double?, cores: Int) -> [String] {
        let rates = r.perSecond
        var out = [
            String(format: "offered %d (%.0f/s) over %.1f s: accepted %d (%.0f/s), refused %d (%.0f/s) — %@",
                   r.offered, rates.offered, r.window, r.tally.accepted, rates.accepted, r.tally.refused, rates.refused, r.tally.refusalSummary),
            String(format: "attempts %d; never sent (the window closed while their connection was behind or waiting out a Retry-After) %d; transport errors %d",
                   r.tally.attempts, r.unsent, r.tally.transportErrors),
        ]
        let accepts = r.tally.acceptLatency
        if !accepts.isEmpty {
            out.append(String(format: "acceptance answered in p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                              accepts.p50 * 1000, accepts.p99 * 1000, accepts.max * 1000))
        }
        let refusals = r.tally.refusalLatency
        if !refusals.isEmpty {
            let missing = r.tally.backpressureWithoutRetryAfter
            out.append(String(format: "refusal answered in p50 %.1f ms, p99 %.1f ms, max %.1f ms; %@",
                              refusals.p50 * 1000, refusals.p99 * 1000, refusals.max * 1000,
                              missing == 0 ? "every 503/429 carried Retry-After" : "\(missing) 503/429 without Retry-After"))
        }
        var committed = String(format: "committed %d of %d accepted in %d blocks (mean %.0f tx/block); committed rate %.0f tx/s",
                               r.committed, r.tally.accepted, r.blocks, r.meanBlockTransactions, r.committedPerSecond)
        if let verify = verifyPerSecond, !r.cpuCores.isEmpty {
            let share = verify / Double(r.cpuCores.count)
            committed += String(format: " (%.2f of verify/%d = %.0f/s)", r.committedPerSecond / share, r.cpuCores.count, share)
        }
        out.append(committed)
        out.append(String(format: "commit latency of accepted: p50 %.3f s, p99 %.3f s, max %.3f s; rounds per height %.2f",
                          r.latency.p50, r.latency.p99, r.latency.max, r.roundsPerHeight))
        let cpu = r.cpuCores.enumerated().map { i, c in
            c.map { String(format: "v%d %.2f cores (%.0f%%)", i, $0, 100 * $0 / Double(max(1, cores))) } ?? "v\(i) n/a"
        }
        out.append("CPU per validator over the window: " + cpu.joined(separator: ", "))
        return out
    }

    /// The step as a JSON object (NaN, as for an empty sample, becomes null).
    public static func json(_ r: StepReport) -> [String: Any] {
        func num(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
        var refused: [String: Int] = [:]
        for (k, v) in r.tally.refusedByCode { refused[k.description] = v }
        let refusals = r.tally.refusalLatency
        return [
            "rate": r.rate, "window_s": num(r.window), "offered": r.offered, "attempts": r.tally.attempts,
            "accepted": r.tally.accepted, "refused": r.tally.refused, "refused_by_code": refused,
            "backpressure_without_retry_after": r.tally.backpressureWithoutRetryAfter, "transport_errors": r.tally.transportErrors,
            "unsent": r.unsent, "committed": r.committed, "committed_per_s": num(r.committedPerSecond),
            "accepted_not_committed": r.acceptedNotCommitted, "blocks": r.blocks,
            "latency_s": ["p50": num(r.latency.p50), "p99": num(r.latency.p99), "max": num(r.latency.max)],
            "refusal_latency_s": ["p50": num(refusals.p50), "p99": num(refusals.p99), "max": num(refusals.max)],
            "accept_latency_s": ["p50": num(r.tally.acceptLatency.p50), "p99": num(r.tally.acceptLatency.p99), "max": num(r.tally.acceptLatency.max)],
            "rounds_per_height": num(r.roundsPerHeight), "cpu_cores": r.cpuCores.map { $0.map(num) ?? NSNull() },
        ]
    }

    public static func write(json object: Any, to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
}
