// Tests of the consensus simulator's storage faults (`--storage-faults`, SimDisk): the faults
// happen, the checks hold over many seeds, the checker catches a validator that trusts its
// journal or forgets its WAL, and every seed that once found a bug stays green.
import AgoraCore
import Testing
@testable import AgoraSimulation

@Suite("Storage faults in the consensus simulation", .serialized)
struct StorageFaultTests {
    static func config(_ n: Int, _ f: Int, seed: UInt64, steps: Int = 2) -> SimulationConfig {
        var config = SimulationConfig(validators: n, byzantine: f, seed: seed, steps: steps)
        config.storageFaults = true
        return config
    }

    @Test("no double sign, conflicting commit or unproven decision served over 300 seeds with storage faults",
          arguments: [(4, 0), (4, 1), (7, 2)])
    func sweep(validators: Int, byzantine: Int) async {
        let reports = await offPool { (UInt64(0)..<100).map { ConsensusSimulation.run(Self.config(validators, byzantine, seed: $0)) } }
        for report in reports where !report.passed {
            Issue.record("\(report.violations.map(\.description).joined(separator: "; ")) — \(report.reproduction)")
        }
        #expect(reports.allSatisfy { $0.reproduction.hasSuffix("--storage-faults") })
    }

    @Test("the storage faults are exercised and detected: lost tails, corruptions, dropped records, refused journals, guards raised from the WAL")
    func faultsExercised() async {
        let reports = await offPool { (UInt64(0)..<100).map { ConsensusSimulation.run(Self.config(4, 1, seed: $0)) } }
        var total = StorageReport()
        for report in reports { total.merge(report.storage) }
        #expect(reports.allSatisfy { $0.storage.faults != nil })
        #expect(total.journalRecordsLost > 0)
        #expect(total.blockRecordsLost > 0)
        #expect(total.corruptionsInjected > 0)
        #expect(total.blockRecordsDropped > 0)
        #expect(total.journalsRefused > 0)
        #expect(total.guardsRaisedFromWAL > 0)
        #expect(total.writeFailures > 0)
        print("storage faults over 100 seeds: \(total)")
    }

    @Test("the same seed without storage faults runs exactly as before: the storage stream is separate")
    func otherFaultsUnchanged() async {
        let (plain, stored) = await offPool {
            (ConsensusSimulation(SimulationConfig(validators: 4, byzantine: 1, seed: 11, steps: 2)).faults,
             ConsensusSimulation(Self.config(4, 1, seed: 11)).faults)
        }
        #expect(plain.healTime == stored.healTime && plain.partition == stored.partition && plain.lossPerMille == stored.lossPerMille)
        #expect(Set(plain.crashes.map(\.node)).isSubset(of: Set(stored.crashes.map(\.node))))
    }

    /// Found by the first storage-fault sweeps: a lying fsync lost the tail of a validator's
    /// signing journal; restarted, it signed a different proposal or vote at a position it had
    /// already signed. The restart now raises the guard to the validator's own signed messages
    /// in its consensus WAL (`SigningGuard.adopt`).
    @Test("a signing journal that lost its tail let a restarted validator sign twice: the guard is raised from the consensus WAL",
          arguments: [(4, 0, UInt64(0)), (4, 0, 13), (4, 0, 20), (4, 0, 26), (4, 1, 0), (4, 1, 7), (4, 1, 13), (4, 1, 24),
                      (7, 2, 0), (7, 2, 3), (7, 2, 5), (7, 2, 8)])
    func lostJournalTail(n: Int, f: Int, seed: UInt64) async {
        let (fixed, unfixed) = await offPool { () -> (SimulationReport, SimulationReport) in
            var without = Self.config(n, f, seed: seed)
            without.checksWAL = false
            return (ConsensusSimulation.run(Self.config(n, f, seed: seed)), ConsensusSimulation.run(without))
        }
        #expect(fixed.passed, "\(fixed.violations) — \(fixed.reproduction)")
        // Without the WAL check the same seed double-signs: the checker sees it.
        #expect(unfixed.violations.contains { if case .doubleSign = $0 { return true } else { return false } })
    }
}

