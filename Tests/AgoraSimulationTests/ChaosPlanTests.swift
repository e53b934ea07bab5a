// Tests of the chaos campaign's seeded fault schedule (the campaign itself is a command run by
// hand, never a CI test): a seed always yields the same plan, and every plan is well formed.
import Testing
@testable import AgoraSimulation

@Suite("Chaos plan")
struct ChaosPlanTests {
    @Test("the same seed gives the same plan; another seed another")
    func deterministic() throws {
        let a = try ChaosPlan.generate(seed: 42, seconds: 1_800)
        let b = try ChaosPlan.generate(seed: 42, seconds: 1_800)
        let c = try ChaosPlan.generate(seed: 43, seconds: 1_800)
        #expect(a == b)
        #expect(a.lines == b.lines)
        #expect(a.events != c.events)
    }

    @Test("every fault kind is drawn and undone before the quiet end, one kill at a time", arguments: [UInt64(1), 7, 190, 596])
    func wellFormed(seed: UInt64) throws {
        let plan = try ChaosPlan.generate(seed: seed, seconds: 1_800)
        #expect(Set(plan.faultCounts.keys) == ["kill", "partition", "clock skew", "disk full"])
        #expect(plan.events.map(\.at) == plan.events.map(\.at).sorted())
        #expect(plan.events.allSatisfy { $0.at < plan.quietFrom })
        var down: Int?
        var partitioned = false, full = false
        var skewed: Set<Int> = []
        for event in plan.events {
            switch event.action {
            case let .kill(n): #expect(down == nil); down = n
            case let .restart(n): #expect(down == n); down = nil
            case .partition: #expect(!partitioned); partitioned = true
            case .heal: #expect(partitioned); partitioned = false
            case let .skewClock(n, s): if s == 0 { #expect(skewed.remove(n) != nil) } else { skewed.insert(n) }
            case let .fillDisk(n): #expect(n == plan.diskNode && !full); full = true
            case .freeDisk: #expect(full); full = false
            }
        }
        #expect(down == nil && !partitioned && !full && skewed.isEmpty)
    }

    @Test("a run shorter than a minute or a network of fewer than 4 validators is refused with what was wrong")
    func refusesBadShapes() {
        #expect(throws: ChaosPlan.Invalid.duration(seconds: 30)) { try ChaosPlan.generate(seed: 1, seconds: 30) }
        #expect(throws: ChaosPlan.Invalid.nodes(3)) { try ChaosPlan.generate(seed: 1, seconds: 600, nodes: 3) }
    }
}
