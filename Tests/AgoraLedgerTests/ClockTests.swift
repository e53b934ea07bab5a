// Clocks (docs/consensus.md, "Clocks"): the proposer's timestamp rule, a lone validator driven by
// an injected wall clock that stands still or runs far ahead, and chain health that names a
// skewed clock instead of blaming the chain.

import AgoraLedgerTestSupport
import AgoraConsensus
import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Clocks")
struct ClockTests {
    let head: UInt64 = 1_800_000_000_000

    @Test("with other validators, a proposer stamps its wall clock when it is sane, and the chain's time + its measured lead when it runs ahead")
    func proposalTimestamps() {
        let lead: UInt64 = 250
        // A correct clock: the head was stamped about a lead before it arrived, so the wall clock is at the bound.
        #expect(ProposalTime.timestamp(head: head, wallNow: head + 850, sinceHeadMoved: .milliseconds(600), lead: lead, alone: false) == head + 850)
        // Ten minutes fast: held to the head + time since it arrived + the measured lead.
        #expect(ProposalTime.timestamp(head: head, wallNow: head + 600_000, sinceHeadMoved: .milliseconds(600), lead: lead, alone: false)
            == head + 600 + lead)
        // A lead past the ceiling (commits that took minutes) is cut to it.
        #expect(ProposalTime.timestamp(head: head, wallNow: head + 600_000, sinceHeadMoved: .milliseconds(600), lead: 60_000, alone: false)
            == head + 600 + ProposalTime.maxLead)
        // Ten minutes slow: one millisecond after the head (validators accept that).
        #expect(ProposalTime.timestamp(head: head, wallNow: head - 600_000, sinceHeadMoved: .milliseconds(600), lead: lead, alone: false) == head + 1)
        // A lone validator has nobody to convince: its clock, never at or below the head.
        #expect(ProposalTime.timestamp(head: head, wallNow: head + 600_000, sinceHeadMoved: .zero, lead: lead, alone: true) == head + 600_000)
        #expect(ProposalTime.timestamp(head: head, wallNow: head - 5, sinceHeadMoved: .zero, lead: lead, alone: true) == head + 1)
        #expect(ProposalTime.maxLead < Chain.maxClockDriftMs, "a held proposal stays within what validators accept")
    }

    @Test("the lead is the median of this node's own proposal-to-commit times; others' blocks and lost heights add nothing")
    func commitLatencyLead() {
        let t0 = ContinuousClock.now
        var latency = CommitLatency()
        #expect(latency.lead == 0, "no estimate before a sample: nothing is added to the chain's time")
        let mine = Hash(bytes: Array(repeating: 1, count: 32))!, theirs = Hash(bytes: Array(repeating: 2, count: 32))!
        // Own proposals committed 200, 300, 250 ms after they were stamped.
        for (i, ms) in [200, 300, 250].enumerated() {
            let at = t0.advanced(by: .seconds(i))
            latency.proposed(height: UInt64(10 + i), block: mine, at: at)
            latency.committed(height: UInt64(10 + i), block: mine, at: at.advanced(by: .milliseconds(ms)))
        }
        #expect(latency.samples == [200, 300, 250])
        #expect(latency.lead == 250)
        // Another proposer's block won the height: no sample, and the proposal is retired.
        latency.proposed(height: 13, block: mine, at: t0.advanced(by: .seconds(5)))
        latency.committed(height: 13, block: theirs, at: t0.advanced(by: .seconds(9)))
        latency.committed(height: 13, block: mine, at: t0.advanced(by: .seconds(9)))
        #expect(latency.samples == [200, 300, 250])
        // One height that timed out (4 s) does not move the median.
        latency.proposed(height: 14, block: mine, at: t0.advanced(by: .seconds(10)))
        latency.committed(height: 14, block: mine, at: t0.advanced(by: .seconds(14)))
        #expect(latency.lead == 300)
        // Only the last `window` samples count, and the lead never exceeds the ceiling.
        for i in 0..<CommitLatency.window {
            let at = t0.advanced(by: .seconds(20 + i * 20))
            latency.proposed(height: UInt64(20 + i), block: mine, at: at)
            latency.committed(height: UInt64(20 + i), block: mine, at: at.advanced(by: .seconds(12)))
        }
        #expect(latency.samples.count == CommitLatency.window)
        #expect(latency.lead == ProposalTime.maxLead)
    }

    @Test("a chain stamped behind real time (a long halt) catches up by the lead each block, never overshooting the proposer's clock")
    func lagRecovers() {
        var real = head + 60_000  // the chain's newest stamp is a minute old
        var stamp = head
        var lags: [UInt64] = []
        for _ in 0..<300 {
            real += 1_000  // one block per second, proposals committed 200 ms after they are stamped
            stamp = ProposalTime.timestamp(head: stamp, wallNow: real, sinceHeadMoved: .milliseconds(1_000), lead: 200, alone: false)
            #expect(stamp <= real)
            lags.append(real - stamp)
        }
        #expect(lags.first! > lags.last!)
        #expect(zip(lags, lags.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(lags.first! == 60_000 - 200 && lags[99] == 60_000 - 100 * 200, "200 ms a block")
        #expect(lags.last! == 0)
    }

    static func service(_ net: TestChain, _ chain: Chain, clock: WallClock) throws -> ConsensusService {
        var config = ConsensusService.Config(blockInterval: .milliseconds(20),
                                             timeouts: .init(proposeBase: 200, prevoteBase: 100, precommitBase: 100),
                                             directory: net.dir + "/consensus-clock")
        config.wallClock = clock
        return try ConsensusService(chain: chain, keys: [net.validator], config: config, transport: nil, logger: Logger(label: "clock"))
    }

    /// Runs a lone validator until it has committed `blocks` more, then stops it.
    static func run(_ service: ConsensusService, _ chain: Chain, blocks: UInt64) async throws {
        let before = chain.snapshot.head.height
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // A liveness bound for a starved CI machine, not a speed check.
            let deadline = ContinuousClock.now + .seconds(120)
            while chain.snapshot.head.height < before + blocks, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("a wall clock that stands still behind the chain: blocks keep coming, one millisecond apart", .timeLimit(.minutes(3)))
    func frozenClock() async throws {
        let net = try TestChain("clock-frozen")
        let chain = try net.open("v", key: net.validator)
        try chain.produceBlock(now: head)
        let service = try Self.service(net, chain, clock: WallClock { 1_800_000_000_000 - 600_000 })
        try await Self.run(service, chain, blocks: 5)
        let h = chain.snapshot.head.height
        #expect(h >= 6)
        #expect(chain.snapshot.head.timestamp == head + h - 1)
        #expect(service.status.lastError == nil)
    }

    @Test("a wall clock ten minutes ahead: a lone validator stamps it, and stops when asked", .timeLimit(.minutes(3)))
    func fastClock() async throws {
        let net = try TestChain("clock-fast")
        let chain = try net.open("v", key: net.validator)
        let fast = WallClock.offset(600_000)
        let service = try Self.service(net, chain, clock: fast)
        let started = WallClock.system.nowMillis()
        try await Self.run(service, chain, blocks: 3)
        #expect(chain.snapshot.head.height >= 3)
        #expect(chain.snapshot.head.timestamp >= started + 600_000)
    }

    @Test("chain health reads the injected clock and names a clock that is ahead of or behind the chain")
    func healthNamesTheClock() async throws {
        let net = try TestChain("clock-health")
        let chain = try net.open("v", key: net.validator)
        try chain.produceBlock(now: head)
        let arrival = HeadArrival(feed: chain.feed)
        func health(_ now: UInt64) async -> HealthStatus {
            await ChainHealth(chain: chain, producer: ProducerStatus(), interval: .seconds(1), createEmptyBlocks: true,
                              wallClock: WallClock { now }, arrival: arrival).check()
        }
        #expect(await health(head + 200).healthy)
        let ahead = await health(head + 600_000)
        #expect(!ahead.healthy)
        #expect(ahead.detail.contains("clock is ahead"))
        let behind = await health(head - 600_000)
        #expect(!behind.healthy)
        #expect(behind.detail.contains("clock is behind"))
        // Within the drift validators accept, a clock a little behind is fine.
        #expect(await health(head - 2_000).healthy)
    }
}
