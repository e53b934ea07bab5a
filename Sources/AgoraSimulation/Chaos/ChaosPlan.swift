// ChaosPlan owns the seeded fault schedule of `agora simulate chaos`: which node is killed,
// partitioned, clock-skewed or starved of disk, when, and for how long. It is a pure function of
// (seed, duration, nodes) so that `--plan-only` shows exactly what a run will do and a failing
// run can be replayed with its seed.
import AgoraCore

/// One thing the campaign does to the network at a moment of the run.
public enum ChaosAction: Hashable, Sendable, CustomStringConvertible {
    /// SIGKILL the node's process (it stays down until `.restart`).
    case kill(node: Int)
    case restart(node: Int)
    /// Cut every link between `side` and the other nodes (both directions) until `.heal`.
    case partition(side: [Int])
    case heal
    /// Restart the node with its wall clock moved by `seconds` (0: the true clock again).
    case skewClock(node: Int, seconds: Int)
    /// Fill the node's small filesystem to the last byte, until `.freeDisk`.
    case fillDisk(node: Int)
    case freeDisk(node: Int)

    public var description: String {
        switch self {
        case let .kill(n): return "SIGKILL node\(n)"
        case let .restart(n): return "restart node\(n)"
        case let .partition(side): return "partition \(side.map { "node\($0)" }.joined(separator: ",")) | the rest"
        case .heal: return "heal the network"
        case let .skewClock(n, s): return s == 0 ? "restart node\(n) with the true clock" : "restart node\(n) with its clock \(s > 0 ? "+" : "")\(s) s"
        case let .fillDisk(n): return "fill node\(n)'s disk"
        case let .freeDisk(n): return "free node\(n)'s disk"
        }
    }

    /// The kind counted in the report ("kill", "partition", "clock skew", "disk full"); nil for
    /// the actions that undo one.
    public var faultKind: String? {
        switch self {
        case .kill: return "kill"
        case .partition: return "partition"
        case let .skewClock(_, s): return s == 0 ? nil : "clock skew"
        case .fillDisk: return "disk full"
        case .restart, .heal, .freeDisk: return nil
        }
    }
}

/// An action at `at` seconds after the faults start.
public struct ChaosEvent: Hashable, Sendable {
    public var at: Double
    public var action: ChaosAction
}

/// The whole schedule. Faults come from four independent tracks (kills, partitions, clocks, the
/// disk), each drawn from its own stream of the seed so that one track's length never shifts
/// another's; every fault is undone before `quietFrom`, after which the network runs clean so
/// that the end checks judge a healed network.
public struct ChaosPlan: Hashable, Sendable {
    public let seed: UInt64
    public let seconds: Double
    public let nodes: Int
    /// The node whose data directory is a small filesystem (the disk-full victim).
    public let diskNode: Int
    public let quietFrom: Double
    public let events: [ChaosEvent]

    public enum Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        case duration(seconds: Double)
        case nodes(Int)
        public var description: String {
            switch self {
            case let .duration(s): return "the run must last 60 s to 24 h, not \(s) s"
            case let .nodes(n): return "a chaos network has 4 to 16 validators, not \(n)"
            }
        }
    }

    public static func generate(seed: UInt64, seconds: Double, nodes: Int = 4) throws(Invalid) -> ChaosPlan {
        guard seconds >= 60, seconds <= 86_400 else { throw .duration(seconds: seconds) }
        guard (4...16).contains(nodes) else { throw .nodes(nodes) }
        // The last fifth (at least 20 s) is quiet: faults end, the network heals and catches up.
        let quiet = seconds - max(20, seconds / 5)
        let diskNode = nodes - 1
        var events: [ChaosEvent] = []
        events += killTrack(SplitMix64(seed: seed ^ 0x6B69_6C6C), nodes: nodes, until: quiet)
        events += partitionTrack(SplitMix64(seed: seed ^ 0x7061_7274), nodes: nodes, until: quiet)
        events += clockTrack(SplitMix64(seed: seed ^ 0x636C_6F63), nodes: nodes, until: quiet)
        events += diskTrack(SplitMix64(seed: seed ^ 0x6469_736B), node: diskNode, until: quiet)
        // Stable order: by time, then by the track order above (append order).
        let ordered = events.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        return ChaosPlan(seed: seed, seconds: seconds, nodes: nodes, diskNode: diskNode, quietFrom: quiet, events: ordered)
    }

    /// Faults injected, by kind.
    public var faultCounts: [String: Int] {
        events.reduce(into: [:]) { counts, e in if let kind = e.action.faultKind { counts[kind, default: 0] += 1 } }
    }

    public var lines: [String] {
        events.map { String(format: "%8.1f s  ", $0.at) + $0.action.description }
    }

    // MARK: Tracks

    static func uniform(_ rng: inout SplitMix64, _ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(rng.next() % 1_000_001) / 1_000_000
    }

    /// One node at a time is SIGKILLed and restarted 2–15 s later; 10–50 s between kills. One
    /// at a time keeps 3 of 4 validators (+2/3) up, so the chain must keep going through it.
    static func killTrack(_ rng: SplitMix64, nodes: Int, until end: Double) -> [ChaosEvent] {
        var rng = rng
        var out: [ChaosEvent] = []
        var t = uniform(&rng, 5, 20)
        while true {
            let node = Int(rng.next() % UInt64(nodes))
            let down = uniform(&rng, 2, 15)
            guard t + down < end else { break }
            out.append(ChaosEvent(at: t, action: .kill(node: node)))
            out.append(ChaosEvent(at: t + down, action: .restart(node: node)))
            t += down + uniform(&rng, 10, 50)
        }
        return out
    }

    /// Partitions of 5–40 s: one node cut off, or the network split in halves (no quorum on
    /// either side: nothing may commit until it heals); 20–80 s between them.
    static func partitionTrack(_ rng: SplitMix64, nodes: Int, until end: Double) -> [ChaosEvent] {
        var rng = rng
        var out: [ChaosEvent] = []
        var t = uniform(&rng, 15, 40)
        while true {
            let length = uniform(&rng, 5, 40)
            guard t + length < end else { break }
            var side: [Int]
            if rng.next() % 3 == 0 {
                var all = Array(0..<nodes)
                all.shuffle(using: &rng)
                side = Array(all.prefix(nodes / 2)).sorted()
            } else {
                side = [Int(rng.next() % UInt64(nodes))]
            }
            out.append(ChaosEvent(at: t, action: .partition(side: side)))
            out.append(ChaosEvent(at: t + length, action: .heal))
            t += length + uniform(&rng, 20, 80)
        }
        return out
    }

    /// A node runs 30–120 s with its clock off by 5–120 s either way (within the 5-minute bound
    /// on block timestamps), then comes back on the true clock; 40–120 s between episodes.
    static func clockTrack(_ rng: SplitMix64, nodes: Int, until end: Double) -> [ChaosEvent] {
        var rng = rng
        var out: [ChaosEvent] = []
        var t = uniform(&rng, 30, 60)
        while true {
            let length = uniform(&rng, 30, 120)
            guard t + length < end else { break }
            let node = Int(rng.next() % UInt64(nodes))
            let magnitude = Int(5 + rng.next() % 116)
            out.append(ChaosEvent(at: t, action: .skewClock(node: node, seconds: rng.next() % 2 == 0 ? magnitude : -magnitude)))
            out.append(ChaosEvent(at: t + length, action: .skewClock(node: node, seconds: 0)))
            t += length + uniform(&rng, 40, 120)
        }
        return out
    }

    /// The disk node's filesystem is full for 15–60 s; 60–240 s between episodes.
    static func diskTrack(_ rng: SplitMix64, node: Int, until end: Double) -> [ChaosEvent] {
        var rng = rng
        var out: [ChaosEvent] = []
        var t = uniform(&rng, 40, 90)
        while true {
            let length = uniform(&rng, 15, 60)
            guard t + length < end else { break }
            out.append(ChaosEvent(at: t, action: .fillDisk(node: node)))
            out.append(ChaosEvent(at: t + length, action: .freeDisk(node: node)))
            t += length + uniform(&rng, 60, 240)
        }
        return out
    }
}
