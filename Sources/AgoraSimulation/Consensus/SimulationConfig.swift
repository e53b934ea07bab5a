import AgoraConsensus
import AgoraCore

/// What one simulated run is: how many validators, how many of them Byzantine, the seed every
/// random choice derives from, and how many heights each honest validator must commit after the
/// network heals (`steps`). The fault plan itself is drawn from the seed (`FaultPlan`).
public struct SimulationConfig: Hashable, Sendable {
    public var validators: Int
    public var byzantine: Int
    public var seed: UInt64
    /// Heights every honest validator must commit after the heal time.
    public var steps: Int
    /// Virtual milliseconds allowed per required height after healing, on top of `livenessSlack`.
    public var livenessPerHeight: UInt64 = 20_000
    public var livenessSlack: UInt64 = 30_000
    /// Safety net against a run that never ends: processed events, not virtual time.
    public var maxEvents: Int = 2_000_000
    public var byzantineStrategy: ByzantineStrategy = .mixed
    /// A flood of transaction gossip competing with consensus for every node's cores (nil: none;
    /// messages are handled the instant they arrive). A load makes the network fault-free.
    public var load: InboundLoad?
    /// Big proposals against the round's time: blocks filled by a policy and paid for on each
    /// validator's driver (nil: blocks are empty and free). Fault-free; not with `load`.
    public var proposals: ProposalLoad?
    /// Honest validators' signing journals and block stores sit on a faulty disk (`SimDisk`):
    /// failed writes, lost fsync'd tails on crash, corrupted records; more of them crash.
    public var storageFaults = false
    /// Test hooks, proving the checker catches what the fixes prevent: load the signing journal
    /// without verifying it; restart without raising the guard to the consensus WAL.
    package var verifiesJournal = true
    package var checksWAL = true
    /// Verify each distinct (message, key, signature) once per run and remember the verdict.
    /// Off only to measure what the cache saves (docs/consensus.md).
    var cachesVerification = true
    /// Test hook: run every engine with this quorum rule (a broken one proves the checker works).
    package var quorum: QuorumRule = .twoThirds

    public init(validators: Int, byzantine: Int, seed: UInt64, steps: Int) {
        self.validators = validators
        self.byzantine = byzantine
        self.seed = seed
        self.steps = steps
    }

    /// The command that replays this run.
    public var reproduction: String {
        "agora simulate consensus --validators \(validators) --byzantine \(byzantine) --seed \(seed) --steps \(steps)"
            + (storageFaults ? " --storage-faults" : "")
            + (SimulationScenario(self) == .faults ? "" : " --scenario \(SimulationScenario(self).rawValue)")
    }

    /// Whether the fault bound of BFT holds (F ≤ ⌊(N-1)/3⌋ with equal powers), so that liveness
    /// is checked as well as safety.
    public var withinFaultBound: Bool { byzantine <= (validators - 1) / 3 }
}

/// How Byzantine validators misbehave.
public enum ByzantineStrategy: String, Hashable, Sendable, CaseIterable {
    /// Each message picks one of: equivocate, propose/vote an invalid block, withhold, garbage,
    /// or behave.
    case mixed
    /// Always equivocate, coordinated: half the honest validators see one block, half another.
    case equivocate
}

/// The faults of one run, all drawn from the seed. Before `healTime` messages are delayed up to
/// `maxDelay`, lost, duplicated (and so reordered) and cut by a partition; validators crash and
/// restart. From `healTime` on every message arrives within `healedMaxDelay`.
public struct FaultPlan: Hashable, Sendable {
    public var healTime: UInt64
    public var maxDelay: UInt64
    public var healedMaxDelay: UInt64 = 40
    /// Probabilities in 1/1000.
    public var lossPerMille: UInt64
    public var duplicatePerMille: UInt64
    /// Node indices cut off from the rest until `healTime` (empty: no partition).
    public var partition: Set<Int>
    public var partitionStart: UInt64
    /// (node, crash time, restart time), restart before `healTime`.
    public var crashes: [Crash]
    /// Per node, timeouts are multiplied by `skewPercent / 100` (clock skew).
    public var skewPercent: [UInt64]

    public struct Crash: Hashable, Sendable {
        public var node: Int
        public var at: UInt64
        public var restartAt: UInt64
    }

    /// No faults at all: every message arrives within `healedMaxDelay`, nothing crashes.
    static func faultFree(nodes: Int) -> FaultPlan {
        FaultPlan(healTime: 0, maxDelay: 40, lossPerMille: 0, duplicatePerMille: 0, partition: [], partitionStart: 0,
                  crashes: [], skewPercent: Array(repeating: 100, count: nodes))
    }

    /// Storage faults bite at crashes: each honest node without a crash gets one half the time
    /// (from the storage stream, so the rest of the plan is the seed's usual one).
    mutating func addStorageCrashes(_ rng: inout SplitMix64, honest: [Int]) {
        guard healTime > 200 else { return }
        for node in honest where !crashes.contains(where: { $0.node == node }) && rng.next() % 2 == 0 {
            let at = rng.next() % (healTime / 2)
            crashes.append(Crash(node: node, at: at, restartAt: at + 1 + rng.next() % (healTime - at - 1)))
        }
    }

    /// Draws a plan; `honest` are the node indices that may crash.
    static func draw(_ rng: inout SplitMix64, nodes: Int, honest: [Int]) -> FaultPlan {
        let calm = rng.next() % 8 == 0
        let heal: UInt64 = calm ? 0 : 500 + rng.next() % 4_000
        var partition: Set<Int> = []
        if !calm, rng.next() % 2 == 0 {
            for i in 0..<nodes where rng.next() % 2 == 0 { partition.insert(i) }
            if partition.count == nodes { partition.removeAll() }
        }
        var crashes: [Crash] = []
        if heal > 200 {
            for node in honest where rng.next() % 5 == 0 {
                let at = rng.next() % (heal / 2)
                let restart = at + 1 + rng.next() % (heal - at - 1)
                crashes.append(Crash(node: node, at: at, restartAt: restart))
            }
        }
        let skew = (0..<nodes).map { _ in 75 + rng.next() % 76 }
        return FaultPlan(healTime: heal, maxDelay: calm ? 40 : 20 + rng.next() % 600,
                         lossPerMille: calm ? 0 : rng.next() % 300, duplicatePerMille: calm ? 0 : rng.next() % 200,
                         partition: partition, partitionStart: heal == 0 ? 0 : rng.next() % heal,
                         crashes: crashes, skewPercent: skew)
    }
}
