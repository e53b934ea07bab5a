// `agora simulate chaos`: the command side of the chaos campaign — options, the re-execution
// into private network and mount namespaces (so its bridge, nft rules and tmpfs never touch
// the machine's own), and the printed report. The campaign itself is AgoraSimulation's.
import AgoraSimulation
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct SimulateChaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Run a real 4-validator network through seeded kills, partitions, clock skews and a full disk under load, then check it.",
        discussion: """
            Needs root for the network namespaces, nft partitions and the small tmpfs (it re-executes itself \
            under `unshare -mn`); without root it runs on 127.0.0.1 without partitions or the full disk and says so. \
            Clock skews need libfaketime (`apt-get install faketime`). The run directory (logs, data) is kept. \
            See docs/chaos.md.
            """)

    static let insideVariable = "AGORA_CHAOS_NAMESPACED"

    @Option(help: "Minutes to run (added to --seconds).") var minutes: Int = 0
    @Option(help: "Seconds to run (added to --minutes); the run lasts at least 60 s.") var seconds: Int = 0
    @Option(help: "Seed of the fault schedule.") var seed: UInt64 = 1
    @Flag(help: "Print the seeded fault schedule and exit.") var planOnly = false
    @Option(help: "Directory for the run (kept); default /tmp/agora-chaos-SEED-TIME.") var dir: String?
    @Option(help: "Block interval in milliseconds.") var blockIntervalMs: Int = 1000

    func validate() throws {
        guard minutes >= 0, seconds >= 0, minutes <= 1_440 else { throw ValidationError("--minutes must be 0...1440 and --seconds at least 0") }
        guard (100...60_000).contains(blockIntervalMs) else { throw ValidationError("--block-interval-ms must be 100...60000") }
    }

    func run() async throws {
        try await runCommand {
            let plan: ChaosPlan
            do { plan = try ChaosPlan.generate(seed: seed, seconds: Double(minutes * 60 + seconds)) } catch {
                throw CLIError(Exit.invalidInput, "\(error)")
            }
            if planOnly {
                say("chaos plan, seed \(seed), \(Int(plan.seconds)) s, \(plan.nodes) validators (node\(plan.diskNode) on the small disk), quiet from \(Int(plan.quietFrom)) s")
                for line in plan.lines { say(line) }
                say("faults: " + plan.faultCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                return
            }
            if geteuid() == 0, ProcessInfo.processInfo.environment[Self.insideVariable] == nil {
                throw ExitCode(try reexecuteNamespaced())
            }
            let mode: ChaosSandbox.Mode = geteuid() == 0 ? .namespaces : .loopback
            let directory = dir ?? "/tmp/agora-chaos-\(seed)-\(Int(Date().timeIntervalSince1970))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            NodeProcess.terminateAllOnSignal()
            var config = ChaosCampaign.Config(plan: plan, mode: mode, directory: directory)
            config.blockIntervalMs = blockIntervalMs
            let report: ChaosReport
            do { report = try await ChaosCampaign(config: config, log: { say("  … \($0)") }).run() } catch {
                NodeProcess.terminateAll()
                throw CLIError(Exit.failed, "chaos campaign aborted: \(error)")
            }
            for line in report.lines { say(line) }
            if !report.passed { throw ExitCode(Exit.failed.rawValue) }
        }
    }

    /// Runs this same command again inside new network and mount namespaces and returns its
    /// exit status: the bridge, the node namespaces and the tmpfs then vanish with it.
    private func reexecuteNamespaced() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Loopback comes up before this program starts again: Foundation's run loop needs it
        // (its wake-up sockets are on 127.0.0.1) from the first `Process` on.
        process.arguments = ["unshare", "--net", "--mount", "--propagation", "private", "--",
                             "/bin/sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"",
                             NodeProcess.currentExecutable] + CommandLine.arguments.dropFirst()
        var environment = ProcessInfo.processInfo.environment
        environment[Self.insideVariable] = "1"
        process.environment = environment
        do { try process.run() } catch { throw CLIError(Exit.failed, "cannot run unshare: \(error)") }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
