// Block timestamps under skewed wall clocks, in virtual time and from a seed: the proposer's rule
// (`ProposalTime`, with the lead each node measures in `CommitLatency`) against every validator's
// drift check (`Chain.maxClockDriftMs` ahead of its own clock). The consensus simulator's blocks
// carry no wall-clock timestamp, so this model owns that one question: which proposals the
// others accept, and how far the chain's time runs ahead of real time (docs/consensus.md, "Clocks").

import AgoraCore
import AgoraLedger

/// One run: validators with fixed clock offsets take turns proposing (height + round, round
/// robin); a proposal commits when more than two thirds of them (its proposer included) find its
/// stamp above the parent's and at most the drift bound ahead of their clock when it reaches
/// them; otherwise the round times out and the next proposer tries. Message delays come from the
/// seed, so a failing seed reproduces exactly.
public struct ClockSkewSimulation: Sendable {
    /// How a proposer chooses its lead.
    public enum Lead: String, Sendable, CaseIterable {
        /// This node's measured proposal-to-commit latency (`CommitLatency`): the node's rule.
        case measured
        /// `ProposalTime.maxLead` every time: the rule before 2026-12-06, kept to show the drift.
        case fixed
    }

    public struct Config: Sendable {
        /// Milliseconds each validator's clock is off real time.
        public var offsets: [Int64]
        /// A validator that stamps the most the others accept (real time + the drift bound) every
        /// turn, trying to ratchet the chain's time forward; nil for none.
        public var byzantine: Int?
        public var lead: Lead
        public var heights: Int
        public var seed: UInt64
        /// Wait after a commit before the next height (the block interval), ms.
        public var blockInterval: UInt64 = 200
        /// One message's delay is drawn from this range, ms.
        public var delay: ClosedRange<UInt64> = 2...40
        /// A round that does not commit costs this much before the next proposer's turn, ms.
        public var roundTimeout: UInt64 = 600

        public init(offsets: [Int64], byzantine: Int? = nil, lead: Lead = .measured, heights: Int = 200, seed: UInt64) {
            self.offsets = offsets
            self.byzantine = byzantine
            self.lead = lead
            self.heights = heights
            self.seed = seed
        }
    }

    public struct Report: Sendable, Equatable {
        /// Per validator: round-0 turns it had, and how many of its proposals committed.
        public var turns: [Int]
        public var committed: [Int]
        public var roundsLost = 0
        /// The most the newest block's stamp was ahead of real time when it committed, ms.
        public var maxChainLead: Int64 = 0

        /// Committed proposals over round-0 turns of `validator` (1 when it had none).
        public func share(_ validator: Int) -> Double {
            turns[validator] == 0 ? 1 : Double(committed[validator]) / Double(turns[validator])
        }
    }

    /// The state of the run between heights.
    struct World {
        var now: UInt64 = 1_800_000_000_000  // real time, ms
        var head: UInt64 = 1_800_000_000_000 - 100  // the newest block's stamp
        var arrivals: [UInt64]  // when each validator saw the head
        var latency: [CommitLatency]
        var rng: SplitMix64
        var report: Report
    }

    /// The instant a virtual millisecond maps to: only differences are read, so any base works.
    static let base = ContinuousClock.now

    static func instant(_ ms: UInt64, _ origin: UInt64) -> ContinuousClock.Instant {
        base.advanced(by: .milliseconds(Int64(ms - origin)))
    }

    public static func run(_ config: Config) -> Report {
        let n = config.offsets.count
        var world = World(arrivals: Array(repeating: 1_800_000_000_000, count: n), latency: Array(repeating: CommitLatency(), count: n),
                          rng: SplitMix64(seed: config.seed), report: Report(turns: Array(repeating: 0, count: n), committed: Array(repeating: 0, count: n)))
        for height in 0..<config.heights {
            var round = 0
            while !attempt(height: UInt64(height), round: round, config, &world) {
                world.report.roundsLost += 1
                world.now += config.roundTimeout
                round += 1
            }
            world.now += config.blockInterval
        }
        return world.report
    }

    /// One round: the proposer stamps, the others judge; on a quorum the block commits.
    static func attempt(height: UInt64, round: Int, _ config: Config, _ world: inout World) -> Bool {
        let n = config.offsets.count
        let proposer = Int((height + UInt64(round)) % UInt64(n))
        if round == 0 { world.report.turns[proposer] += 1 }
        let stamp = self.stamp(by: proposer, height: height, round: round, config, &world)
        var accepted = 1  // the proposer votes for its own proposal
        var slowest: UInt64 = 0
        for v in 0..<n where v != proposer {
            let delay = UInt64.random(in: config.delay, using: &world.rng)
            slowest = max(slowest, delay)
            let clock = UInt64(Int64(world.now + delay) + config.offsets[v])
            if stamp > world.head, Chain.withinDrift(stamp, now: clock) { accepted += 1 }
        }
        guard accepted * 3 > n * 2 else { return false }
        // Prevotes and precommits: two more message delays before each node sees the commit.
        let decided = world.now + slowest + 2 * UInt64.random(in: config.delay, using: &world.rng)
        for v in 0..<n {
            world.arrivals[v] = decided + UInt64.random(in: config.delay, using: &world.rng)
            world.latency[v].committed(height: height, block: blockHash(height, round),
                                       at: instant(world.arrivals[v], 1_800_000_000_000))
        }
        world.head = stamp
        world.now = world.arrivals.max()!
        world.report.committed[proposer] += round == 0 ? 1 : 0
        world.report.maxChainLead = max(world.report.maxChainLead, Int64(stamp) - Int64(world.now))
        return true
    }

    /// The proposer's stamp: the node's rule, or the Byzantine one's.
    static func stamp(by proposer: Int, height: UInt64, round: Int, _ config: Config, _ world: inout World) -> UInt64 {
        if proposer == config.byzantine { return max(world.head + 1, world.now + Chain.maxClockDriftMs) }
        let wall = UInt64(Int64(world.now) + config.offsets[proposer])
        let lead = config.lead == .measured ? world.latency[proposer].lead : ProposalTime.maxLead
        let stamp = ProposalTime.timestamp(head: world.head, wallNow: wall, sinceHeadMoved: .milliseconds(Int64(world.now - world.arrivals[proposer])),
                                           lead: lead, alone: config.offsets.count <= 1)
        world.latency[proposer].proposed(height: height, block: blockHash(height, round), at: instant(world.now, 1_800_000_000_000))
        return stamp
    }

    /// A block's identity in the model: its height and the round that proposed it.
    static func blockHash(_ height: UInt64, _ round: Int) -> Hash {
        var w = CanonicalWriter(capacity: 12)
        w.write(height)
        w.write(UInt32(round))
        return Hash.sha256(w.bytes)
    }
}
