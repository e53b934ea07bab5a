import AgoraConsensus
import AgoraCore

/// What simulation runs produce: the typed violations (each with the seed that reproduces it),
/// the report of one run and the summary of many.
public enum SimulationViolation: Error, Hashable, Sendable, CustomStringConvertible {
    /// Two honest validators committed different blocks at one height.
    case conflictingCommits(seed: UInt64, height: UInt64, first: Hash, second: Hash)
    /// An honest validator signed two different messages at one (height, round, step).
    case doubleSign(seed: UInt64, node: Int, position: SignPosition, first: Hash, second: Hash)
    /// An honest validator committed a block the simulation marked invalid.
    case invalidBlockCommitted(seed: UInt64, node: Int, height: UInt64)
    /// An honest validator served a decision that is not the committed block at that height
    /// (storage faults: a corrupted record must be detected, never served).
    case servedUnproven(seed: UInt64, node: Int, height: UInt64)
    /// After healing, an honest validator did not commit enough heights in time.
    case liveness(seed: UInt64, node: Int, committed: Int, required: Int, deadline: UInt64)

    public var seed: UInt64 {
        switch self {
        case let .conflictingCommits(seed, _, _, _), let .doubleSign(seed, _, _, _, _),
             let .invalidBlockCommitted(seed, _, _), let .servedUnproven(seed, _, _), let .liveness(seed, _, _, _, _):
            return seed
        }
    }

    public var isSafety: Bool { if case .liveness = self { return false } else { return true } }

    public var description: String {
        switch self {
        case let .conflictingCommits(seed, h, a, b):
            return "safety (seed \(seed)): height \(h) committed as both \(a.hex.prefix(12)) and \(b.hex.prefix(12))"
        case let .doubleSign(seed, node, pos, a, b):
            return "safety (seed \(seed)): honest node \(node) signed \(a.hex.prefix(12)) and \(b.hex.prefix(12)) at \(pos)"
        case let .invalidBlockCommitted(seed, node, h):
            return "safety (seed \(seed)): honest node \(node) committed an invalid block at height \(h)"
        case let .servedUnproven(seed, node, h):
            return "safety (seed \(seed)): honest node \(node) served a decision at height \(h) that is not the committed block"
        case let .liveness(seed, node, committed, required, deadline):
            return "liveness (seed \(seed)): node \(node) committed \(committed) of \(required) heights after healing by t=\(deadline)ms"
        }
    }
}

/// What one run did.
public struct SimulationReport: Hashable, Sendable {
    public var config: SimulationConfig
    public var faults: FaultPlan
    /// Highest height every honest validator has committed.
    public var heightsCommitted: UInt64 = 0
    /// The round in which each height was first committed by an honest validator.
    public var roundsPerHeight: [UInt64: UInt32] = [:]
    public var messagesSent = 0
    public var messagesDelivered = 0
    public var messagesDropped = 0
    public var garbageRejected = 0
    public var signingRefusals = 0
    public var evidenceReported = 0
    /// Under an `InboundLoad`: consensus messages and transactions dropped by full inbound
    /// queues, and the longest a consensus message waited for a core (virtual ms).
    public var consensusDropped = 0
    public var transactionsDropped = 0
    public var maxConsensusWait: UInt64 = 0
    /// Under a `ProposalLoad`: transactions in the blocks every honest validator committed,
    /// and the largest proposal built.
    public var transactionsCommitted = 0
    public var largestProposal = 0
    public var events = 0
    public var virtualTime: UInt64 = 0
    public var storage = StorageReport()
    public var violations: [SimulationViolation] = []

    public var passed: Bool { violations.isEmpty }
    public var reproduction: String { config.reproduction }
}

/// The outcome of many seeds.
public struct SimulationSummary: Sendable {
    public var runs = 0
    public var heightsCommitted: UInt64 = 0
    public var messages = 0
    public var maxRound: UInt32 = 0
    public var failures: [SimulationReport] = []
    public var storage = StorageReport()

    public mutating func add(_ report: SimulationReport) {
        runs += 1
        storage.merge(report.storage)
        heightsCommitted += report.heightsCommitted
        messages += report.messagesSent
        maxRound = max(maxRound, report.roundsPerHeight.values.max() ?? 0)
        if !report.passed { failures.append(report) }
    }
}

/// What the storage faults of one run did and what the nodes made of them.
public struct StorageReport: Hashable, Sendable {
    public var faults: StorageFaults?
    public var writeFailures = 0
    /// Records lost with an unsynced tail at a crash: journal records, block records.
    public var journalRecordsLost = 0
    public var blockRecordsLost = 0
    public var corruptionsInjected = 0
    /// Damage found: block records dropped at a restart, reads refused while serving, journals
    /// refused (the node stays down).
    public var blockRecordsDropped = 0
    public var readsRefused = 0
    public var journalsRefused = 0
    /// Restarts that raised the guard from the consensus WAL past a journal that lost its tail.
    public var guardsRaisedFromWAL = 0

    public init() {}

    public mutating func merge(_ o: StorageReport) {
        writeFailures += o.writeFailures
        journalRecordsLost += o.journalRecordsLost
        blockRecordsLost += o.blockRecordsLost
        corruptionsInjected += o.corruptionsInjected
        blockRecordsDropped += o.blockRecordsDropped
        readsRefused += o.readsRefused
        journalsRefused += o.journalsRefused
        guardsRaisedFromWAL += o.guardsRaisedFromWAL
    }
}
