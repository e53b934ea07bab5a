import AgoraConsensus
import AgoraSimulation
import ArgumentParser
import Foundation
import Synchronization

/// `agora simulate consensus`: runs the seeded consensus simulator (real engines, simulated
/// network with delay, loss, duplication, partitions, crashes, clock skew and Byzantine
/// validators; with `--storage-faults` a faulty disk under the journals and block stores) over a range of seeds, prints a summary and one reproduction line per failing
/// seed, and exits non-zero if any seed broke safety or liveness. `--scenario` runs an overload
/// scenario instead of the fault model (a transaction flood, or big proposals against the block
/// budget), where liveness means a height per second of virtual time.
struct SimulateConsensus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consensus",
        abstract: "Run the seeded BFT consensus simulator and check safety and liveness.")

    @Option(help: "Number of validators (equal voting power).") var validators: Int = 4
    @Option(help: "How many of them are Byzantine (liveness is checked only when 3F < N). Default: 1, or 0 with a load scenario.")
    var byzantine: Int?
    @Option(help: "Number of seeds to run, from --first-seed.") var seeds: Int = 100
    @Option(help: "Run exactly this seed (reproduce a failure); overrides --seeds.") var seed: UInt64?
    @Option(help: "First seed of the range.") var firstSeed: UInt64 = 0
    @Option(help: "Heights every honest validator must commit after the network heals.") var steps: Int = 3
    @Option(help: "Byzantine behaviour: mixed or equivocate.") var strategy: String = ByzantineStrategy.mixed.rawValue
    @Flag(help: "Put honest validators' signing journals and block stores on a faulty disk: failed writes, lost fsync'd tails on crash, corrupted records.")
    var storageFaults = false
    @Option(help: ArgumentHelp("What to simulate: \(SimulationScenario.allCases.map(\.rawValue).joined(separator: ", ")).",
                               discussion: "faults: the fault model. flood / flood-arrival-order: a transaction flood of 1.5x the cores competing with votes, served consensus first / in arrival order. proposals-budget / proposals-fixed: a deep pool, proposals sized by the measured block budget / filled to 10,000 transactions. Load scenarios are fault-free and owe a height per virtual second."))
    var scenario: String = SimulationScenario.faults.rawValue

    var resolvedScenario: SimulationScenario { SimulationScenario(rawValue: scenario) ?? .faults }
    var resolvedByzantine: Int { byzantine ?? resolvedScenario.defaultByzantine }

    func validate() throws {
        guard validators >= 1, validators <= 64 else { throw ValidationError("--validators must be 1...64") }
        guard SimulationScenario(rawValue: scenario) != nil else {
            throw ValidationError("--scenario must be one of \(SimulationScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard resolvedByzantine >= 0, resolvedByzantine <= validators else { throw ValidationError("--byzantine must be 0...validators") }
        guard !storageFaults || resolvedScenario == .faults else {
            throw ValidationError("--storage-faults belongs to the fault model: load scenarios are fault-free")
        }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard ByzantineStrategy(rawValue: strategy) != nil else { throw ValidationError("--strategy must be mixed or equivocate") }
    }

    func run() async throws {
        let strategy = ByzantineStrategy(rawValue: strategy) ?? .mixed
        let first = seed ?? firstSeed
        let count = seed == nil ? seeds : 1
        let started = ContinuousClock.now
        let summary = Self.runParallel(validators: validators, byzantine: resolvedByzantine, firstSeed: first, count: count,
                                       steps: steps, strategy: strategy, storageFaults: storageFaults, scenario: resolvedScenario)
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("validators \(validators), byzantine \(resolvedByzantine), seeds \(first)..<\(first + UInt64(count)), steps \(steps), strategy \(strategy.rawValue)"
              + (storageFaults ? ", storage faults" : "") + (resolvedScenario == .faults ? "" : ", scenario \(resolvedScenario.rawValue)"))
        print(String(format: "runs %d, heights committed %llu, messages %d, highest round %u, %.1f seeds/s, %.0f heights/s",
                     summary.runs, summary.heightsCommitted, summary.messages, summary.maxRound,
                     Double(summary.runs) / max(seconds, 1e-9), Double(summary.heightsCommitted) / max(seconds, 1e-9)))
        if storageFaults {
            let s = summary.storage
            print("storage: \(s.writeFailures) failed writes, \(s.journalRecordsLost) journal and \(s.blockRecordsLost) block records lost at crashes, "
                  + "\(s.corruptionsInjected) records corrupted; detected: \(s.blockRecordsDropped) block records dropped at restart, "
                  + "\(s.readsRefused) reads refused, \(s.journalsRefused) journals refused; \(s.guardsRaisedFromWAL) guards raised from the WAL")
        }
        if resolvedScenario != .faults { printLoad(summary) }
        if summary.failures.isEmpty {
            print("no violations")
            return
        }
        for failure in summary.failures {
            for violation in failure.violations { print("FAIL \(violation)") }
            let f = failure.faults
            print("  faults: heal at \(f.healTime) ms, partition \(f.partition.sorted()), crashes \(f.crashes.map { "node \($0.node) \($0.at)–\($0.restartAt) ms" }), "
                  + "loss \(f.lossPerMille)‰, duplication \(f.duplicatePerMille)‰; rounds per height \(failure.roundsPerHeight.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" })")
            print("  reproduce: \(failure.reproduction)\(strategy == .mixed ? "" : " --strategy \(strategy.rawValue)")")
        }
        print("\(summary.failures.count) of \(summary.runs) seeds failed")
        throw ExitCode(Exit.failed.rawValue)
    }

    /// What a load scenario is about: how fast heights and transactions went in virtual time,
    /// in which round, how big proposals were and how long a vote waited for a core.
    func printLoad(_ t: Totals) {
        let seconds = max(Double(t.virtualTime) / 1_000, 1e-9)
        var line = String(format: "virtual time %.1f s: %.2f heights/s, %d of %llu heights past round 0",
                          seconds, Double(t.heightsCommitted) / seconds, t.heightsPastRound0, t.heightsCommitted)
        switch resolvedScenario {
        case .proposalsBudget, .proposalsFixed:
            line += String(format: "; %.0f transactions/s committed, largest proposal %d", Double(t.transactionsCommitted) / seconds,
                           t.largestProposal)
        case .flood, .floodArrivalOrder:
            line += "; longest a vote waited for a core \(t.maxConsensusWait) ms"
        case .faults:
            break
        }
        print(line)
    }

    /// Seeds are independent and each run is deterministic, so they are spread over every core;
    /// failures are reported in seed order whatever the scheduling.
    static func runParallel(validators: Int, byzantine: Int, firstSeed: UInt64, count: Int, steps: Int,
                            strategy: ByzantineStrategy, storageFaults: Bool = false, scenario: SimulationScenario = .faults) -> Totals {
        let workers = max(1, min(count, ProcessInfo.processInfo.activeProcessorCount))
        let totals = Mutex(Totals())
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var part = Totals()
            for i in stride(from: w, to: count, by: workers) {
                var config = SimulationConfig(validators: validators, byzantine: byzantine, seed: firstSeed + UInt64(i), steps: steps)
                config.byzantineStrategy = strategy
                config.storageFaults = storageFaults
                scenario.apply(to: &config)
                part.add(ConsensusSimulation.run(config))
            }
            totals.withLock { $0.merge(part) }
        }
        var summary = totals.withLock { $0 }
        summary.failures.sort { $0.config.seed < $1.config.seed }
        return summary
    }

    /// `SimulationSummary`'s figures, mergeable across workers.
    struct Totals: Sendable {
        var runs = 0
        var heightsCommitted: UInt64 = 0
        var messages = 0
        var maxRound: UInt32 = 0
        var failures: [SimulationReport] = []
        var storage = StorageReport()
        var virtualTime: UInt64 = 0
        var transactionsCommitted = 0
        var heightsPastRound0 = 0
        var largestProposal = 0
        var maxConsensusWait: UInt64 = 0

        mutating func add(_ report: SimulationReport) {
            runs += 1
            virtualTime += report.virtualTime
            transactionsCommitted += report.transactionsCommitted
            heightsPastRound0 += report.roundsPerHeight.values.filter { $0 > 0 }.count
            largestProposal = max(largestProposal, report.largestProposal)
            maxConsensusWait = max(maxConsensusWait, report.maxConsensusWait)
            storage.merge(report.storage)
            heightsCommitted += report.heightsCommitted
            messages += report.messagesSent
            maxRound = max(maxRound, report.roundsPerHeight.values.max() ?? 0)
            if !report.passed { failures.append(report) }
        }

        mutating func merge(_ other: Totals) {
            runs += other.runs
            heightsCommitted += other.heightsCommitted
            messages += other.messages
            maxRound = max(maxRound, other.maxRound)
            failures += other.failures
            storage.merge(other.storage)
            virtualTime += other.virtualTime
            transactionsCommitted += other.transactionsCommitted
            heightsPastRound0 += other.heightsPastRound0
            largestProposal = max(largestProposal, other.largestProposal)
            maxConsensusWait = max(maxConsensusWait, other.maxConsensusWait)
        }
    }
}
