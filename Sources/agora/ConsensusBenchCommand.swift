// `agora bench consensus`: the command line of ConsensusBenchmark — one step at a rate, or
// `--sweep` over multiples of the peak with the curve as a table, CSV and a gnuplot PNG.
import AgoraBench
import AgoraSimulation
import ArgumentParser
import Foundation

extension Bench {
    struct Consensus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "N validators as N processes agreeing by BFT consensus, fed transfers through their HTTP APIs: offered, accepted, refused by code, committed, latency, rounds, CPU.",
            discussion: "Clients honour Retry-After (503 mempool_busy, 429). With --sweep: rates from --multipliers × the peak (measured first unless --peak).")
        @Option(help: "Validators (processes) to launch.") var validators: Int = 4
        @Option(help: "Seconds of offered load (one step).") var duration: Double = 60
        @Option(help: "Offered transfers per second (one step).") var rate: Int = 6_400
        @Option(help: "Sending accounts.") var accounts: Int = 4_000
        @Option(help: "Block interval (pause after each commit) in milliseconds.") var blockIntervalMs: Int = 250
        @Option(help: "Keep-alive API connections per node.") var connections: Int = 8
        @Option(help: "Longest wait after a step for the pools to drain, seconds.") var drainSeconds: Double = 60
        @Option(help: "Drive a running network written by `agora testnet --out DIR` instead of launching validators.") var testnet: String?
        @Flag(help: "Run a sweep of offered rates around the peak instead of one step.") var sweep = false
        @Option(help: "Peak committed rate for --sweep (default: measured by probing rising rates).") var peak: Double?
        @Option(help: "Multipliers of the peak for --sweep, comma-separated.") var multipliers: String = "0.5,1,1.5,2,3"
        @Option(help: "Seconds of each --sweep step (and peak probe).") var stepDuration: Double = 30
        @Option(help: "First rate of the peak probe (then ×1.5 until committed < 90% of offered).") var probeStart: Int = 1_000
        @Option(help: "Write the sweep's curve as CSV to this file.") var csv: String?
        @Option(help: "Draw the sweep's curve into this PNG with gnuplot (if installed).") var plot: String?
        @Option(help: "Write the step (or every sweep step) as JSON to this file.") var json: String?
        @Flag(help: "Do not measure the verify rate first (no ratio to verify/N in the report).") var skipVerify = false

        func validate() throws {
            guard (1...32).contains(validators), duration > 0, duration <= 3_600, rate > 0, rate <= 1_000_000, (1...1_000_000).contains(accounts),
                  blockIntervalMs >= 10, (1...256).contains(connections), drainSeconds >= 0, stepDuration > 0, stepDuration <= 3_600, probeStart > 0 else {
                throw ValidationError("--validators 1-32; --duration and --step-duration 0-3600 s; --rate 1-1000000; --accounts 1-1000000; "
                                      + "--block-interval-ms ≥ 10; --connections 1-256; --drain-seconds ≥ 0; --probe-start positive")
            }
            if let peak, !(peak.isFinite && peak > 0) { throw ValidationError("--peak \(peak) must be a positive rate") }
            do { _ = try SweepPlan.parse(multipliers) } catch { throw ValidationError(error.description) }
            if !sweep, csv != nil || plot != nil || peak != nil { throw ValidationError("--csv, --plot and --peak need --sweep") }
            if let testnet, !FileManager.default.fileExists(atPath: testnet + "/genesis.json") {
                throw ValidationError("--testnet \(testnet): no genesis.json (write one with `agora testnet --out DIR`)")
            }
        }

        var options: ConsensusBenchmark.Options {
            var o = ConsensusBenchmark.Options()
            o.validators = validators
            o.seconds = duration
            o.rate = rate
            o.accounts = accounts
            o.blockIntervalMs = blockIntervalMs
            o.connectionsPerNode = connections
            o.drainSeconds = drainSeconds
            o.testnet = testnet
            return o
        }

        func run() async throws {
            try await runCommand {
                NodeProcess.terminateAllOnSignal()
                let machine = Benchmarks.Machine.current
                print("machine: \(machine)")
                let verify: Double? = skipVerify ? nil : Benchmarks.verify(seconds: 2).perSecondAllCores
                if let verify { print(String(format: "verify rate: %.0f/s on all cores", verify)) }
                let bench = ConsensusBenchmark(options: options)
                if sweep { try await runSweep(bench, verify: verify, cores: machine.cores) } else {
                    let r = try await bench.run { print($0) }
                    for line in ConsensusReportText.lines(r, verifyPerSecond: verify, cores: machine.cores) { print(line) }
                    if let json { try ConsensusReportText.write(json: ConsensusReportText.json(r), to: json) }
                }
            }
        }

        func runSweep(_ bench: ConsensusBenchmark, verify: Double?, cores: Int) async throws {
            let plan = try SweepPlan.parse(multipliers)
            let result = try await bench.sweep(.init(plan: plan, peak: peak, stepSeconds: stepDuration, probeStart: probeStart)) { print($0) }
            for (m, step) in zip(plan.multipliers, result.steps) {
                print(String(format: "— %.2f × peak", m))
                for line in ConsensusReportText.lines(step, verifyPerSecond: verify, cores: cores) { print("  " + line) }
            }
            print(String(format: "\npeak %.0f committed tx/s (%@)", result.peak, peak == nil ? "measured" : "given")
                  + (verify.map { String(format: "; verify/%d = %.0f/s", validators, $0 / Double(validators)) } ?? "") + "\n")
            print(SweepReport.table(result.points, peak: result.peak))
            if let json {
                try ConsensusReportText.write(json: ["peak": result.peak, "probes": result.probes.map(ConsensusReportText.json),
                                                     "steps": result.steps.map(ConsensusReportText.json)], to: json)
            }
            let csvPath = csv ?? plot.map { $0 + ".csv" }
            if let csvPath { try SweepReport.csv(result.points, peak: result.peak).write(toFile: csvPath, atomically: true, encoding: .utf8) }
            if let plot, let csvPath { drawPlot(csvPath: csvPath, png: plot, peak: result.peak) }
        }

        /// gnuplot is optional: without it the curve is in the table and the CSV.
        func drawPlot(csvPath: String, png: String, peak: Double) {
            guard let gnuplot = ["/usr/bin/gnuplot", "/usr/local/bin/gnuplot"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                print("gnuplot not found (apt-get install gnuplot-nox): no plot; the curve is in \(csvPath)")
                return
            }
            let script = NSTemporaryDirectory() + "agora-sweep-\(getpid()).gp"
            defer { try? FileManager.default.removeItem(atPath: script) }
            do {
                try SweepReport.gnuplotScript(csvPath: csvPath, pngPath: png, peak: peak).write(toFile: script, atomically: true, encoding: .utf8)
                let p = Process()
                p.executableURL = URL(fileURLWithPath: gnuplot)
                p.arguments = [script]
                try p.run()
                p.waitUntilExit()
                print(p.terminationStatus == 0 ? "plot: \(png)" : "gnuplot exited with \(p.terminationStatus): no plot")
            } catch {
                print("gnuplot could not run: \(error)")
            }
        }
    }
}
