import AgoraCore
import Foundation
import Testing
@testable import AgoraConsensus
import AgoraSimulation

/// Runs CPU-bound simulation work on its own thread. Swift Testing runs suites concurrently on
/// the Swift concurrency pool, which has one thread per core (two here); seconds of synchronous
/// simulation on those threads starved other suites' async tests (a handshake timeout of
/// 300 ms fired after 35 s in CI). On a plain thread the OS shares the cores instead.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}

@Suite("Consensus simulation", .serialized)
struct SimulationTests {
    /// 1,000 seeds per run: 200 for each (N, F) with F within the BFT bound.
    static let sweeps: [(validators: Int, byzantine: Int)] = [(4, 0), (4, 1), (7, 0), (7, 1), (7, 2)]
    static let seedsPerSweep = 200
    static let steps = 2

    @Test("no safety or liveness violation over 1,000 seeds with faults and Byzantine validators", arguments: sweeps)
    func sweep(validators: Int, byzantine: Int) async {
        let started = Date()
        let summary = await offPool {
            ConsensusSimulation.run(validators: validators, byzantine: byzantine, firstSeed: 0, count: Self.seedsPerSweep, steps: Self.steps)
        }
        #expect(summary.runs == Self.seedsPerSweep)
        #expect(summary.heightsCommitted >= UInt64(Self.seedsPerSweep * Self.steps))
        for failure in summary.failures {
            Issue.record("\(failure.violations.map(\.description).joined(separator: "; ")) — \(failure.reproduction)")
        }
        print("simulation N=\(validators) F=\(byzantine): \(summary.runs) seeds in \(Date().timeIntervalSince(started))s, "
              + "max round \(summary.maxRound), \(summary.messages) messages")
    }

    @Test("a seed replays exactly")
    func deterministic() async {
        let config = SimulationConfig(validators: 7, byzantine: 2, seed: 12, steps: 2)
        let (a, b, other) = await offPool {
            (ConsensusSimulation.run(config), ConsensusSimulation.run(config),
             ConsensusSimulation.run(SimulationConfig(validators: 7, byzantine: 2, seed: 13, steps: 2)))
        }
        #expect(a == b)
        #expect(a.events > 0)
        #expect(other != a)
    }

    @Test("the fault model is exercised: garbage is rejected by the decoder, evidence is reported, nodes crash and restart")
    func faultsExercised() async {
        var garbage = 0, evidence = 0, crashes = 0, refusals = 0, dropped = 0, laterRounds = 0
        let reports = await offPool {
            (UInt64(0)..<40).map { ConsensusSimulation.run(SimulationConfig(validators: 4, byzantine: 1, seed: $0, steps: 2)) }
        }
        for report in reports {
            #expect(report.passed)
            garbage += report.garbageRejected
            evidence += report.evidenceReported
            crashes += report.faults.crashes.count
            refusals += report.signingRefusals
            dropped += report.messagesDropped
            laterRounds += report.roundsPerHeight.values.filter { $0 > 0 }.count
        }
        #expect(garbage > 0)
        #expect(evidence > 0)
        #expect(crashes > 0)
        #expect(dropped > 0)
        #expect(laterRounds > 0)
        print("fault coverage over 40 seeds: garbage \(garbage), evidence \(evidence), crashes \(crashes), refusals \(refusals)")
    }

    @Test("the checker catches a broken engine: a 1/2 quorum with coordinated equivocation commits two blocks")
    func brokenQuorumIsCaught() async {
        let caught = await offPool { () -> [SimulationViolation] in
            var caught: [SimulationViolation] = []
            for seed in UInt64(0)..<60 where caught.isEmpty {
                var config = SimulationConfig(validators: 7, byzantine: 2, seed: seed, steps: 2)
                config.byzantineStrategy = .equivocate
                config.quorum = .brokenHalf
                caught += ConsensusSimulation.run(config).violations.filter(\.isSafety)
            }
            return caught
        }
        #expect(!caught.isEmpty)
        // The same attack against the real quorum rule is harmless.
        let reports = await offPool {
            (UInt64(0)..<20).map { seed in
                var config = SimulationConfig(validators: 7, byzantine: 2, seed: seed, steps: 2)
                config.byzantineStrategy = .equivocate
                return ConsensusSimulation.run(config)
            }
        }
        for report in reports {
            #expect(report.violations.filter(\.isSafety).isEmpty, "\(report.violations) — \(report.reproduction)")
        }
    }

    @Test("the checker catches Byzantine power above the bound: 2 of 4 equivocating validators split the honest ones")
    func tooManyByzantineIsCaught() async {
        #expect(!SimulationConfig(validators: 4, byzantine: 2, seed: 0, steps: 2).withinFaultBound)
        let caught = await offPool { () -> [SimulationViolation] in
            var caught: [SimulationViolation] = []
            for seed in UInt64(0)..<60 where caught.isEmpty {
                var config = SimulationConfig(validators: 4, byzantine: 2, seed: seed, steps: 2)
                config.byzantineStrategy = .equivocate
                caught += ConsensusSimulation.run(config).violations
            }
            return caught
        }
        let first = caught.first
        #expect(first?.isSafety == true)
        if let first { #expect(SimulationConfig(validators: 4, byzantine: 2, seed: first.seed, steps: 2).reproduction.contains("--seed \(first.seed)")) }
    }

    @Test("reproduction line names every parameter")
    func reproduction() {
        let config = SimulationConfig(validators: 7, byzantine: 2, seed: 1249, steps: 3)
        #expect(config.reproduction == "agora simulate consensus --validators 7 --byzantine 2 --seed 1249 --steps 3")
    }
}

/// Seeds that once failed, each named after what it exposed. They must stay green.
@Suite("Simulation regressions", .serialized)
struct SimulationRegressionTests {
    static func passes(_ n: Int, _ f: Int, seed: UInt64, steps: Int) async {
        let report = await offPool { ConsensusSimulation.run(SimulationConfig(validators: n, byzantine: f, seed: seed, steps: steps)) }
        #expect(report.passed, "\(report.violations) — \(report.reproduction)")
    }

    @Test("equivocation split the honest nodes' view of a polka: conflicting votes for a proposed block must count",
          arguments: [(4, 1, UInt64(4)), (4, 1, 7), (4, 1, 10), (7, 2, 1), (7, 2, 3), (7, 2, 5), (7, 2, 12), (7, 2, 13)])
    func equivocationPolka(n: Int, f: Int, seed: UInt64) async { await Self.passes(n, f, seed: seed, steps: 2) }

    @Test("a restarted validator refused a different vote at a position it had signed: it must re-send the signed one")
    func restartResendsSignedVote() async { await Self.passes(4, 0, seed: 17, steps: 2) }

    @Test("votes lost before healing from rounds the sender had left: own votes of the height are re-gossiped",
          arguments: [(4, 1, UInt64(1009)), (7, 1, 1123), (7, 2, 1016), (7, 2, 1243)])
    func regossipOwnVotes(n: Int, f: Int, seed: UInt64) async { await Self.passes(n, f, seed: seed, steps: 3) }

    @Test("a restarted validator's earlier vote was lost with its engine: its own votes are replayed from the WAL")
    func restartReplaysOwnVotes() async { await Self.passes(4, 1, seed: 1152, steps: 3) }

    @Test("a validator restarted after locking precommitted another block in a later round: the lock is persisted and restored (found by the 100,000-seed run)")
    func restartKeepsLock() async { await Self.passes(4, 0, seed: 18016, steps: 3) }

    @Test("a lock restored without the polka behind it could never be released: the polka is persisted with the lock")
    func restoredLockKeepsItsPolka() async { await Self.passes(4, 1, seed: 14360, steps: 3) }

    /// Found by the 100,000-seed run (F = 2 of 7). A validator that came back late — restarted
    /// (5766, 9554) or restarted and partitioned (9579) — skipped into round r, saw +2/3
    /// precommits there (Byzantine ones among them, which the honest nodes still in r never
    /// got) and moved to r + 1 without voting in r. The honest nodes in r then saw less than
    /// +2/3 of anything, the ones in r + 1 less than +1/3, and nobody moved. A peer in a lower
    /// round must be sent the votes of its round and of the round before ours, not only ours.
    @Test("a validator that skipped a round without voting in it left the others there: a peer in a lower round gets the votes that moved us on",
          arguments: [UInt64(5766), 9554, 9579])
    func lowerRoundPeerGetsVotesThatMovedUsOn(seed: UInt64) async { await Self.passes(7, 2, seed: seed, steps: 3) }

    @Test("nodes left in an earlier round by Byzantine withholding: a peer ahead sends them its round's votes",
          arguments: [UInt64(1053), 1249])
    func laggardsCatchUpRound(seed: UInt64) async { await Self.passes(7, 2, seed: seed, steps: 3) }
}
