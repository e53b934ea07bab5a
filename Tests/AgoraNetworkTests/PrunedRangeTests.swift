import AgoraCore
import Testing
@testable import AgoraNetwork

/// A peer that pruned the heights asked of it says so (`blocksPruned`), and the planner asks
/// another peer for them instead of waiting or asking it again.
@Suite("Pruned block ranges")
struct PrunedRangeTests {
    let a = Hash.sha256([1]), b = Hash.sha256([2])

    func params() -> RangeSync.Params {
        var p = RangeSync.Params()
        p.windowSize = 10
        p.maxWindows = 4
        p.maxPerPeer = 4
        p.timeout = 100
        return p
    }

    @Test("blocksPruned is tag 40 with the earliest height; an earliest height below 2 is refused by the decoder")
    func codec() throws {
        let good = WireMessage.blocksPruned(earliest: 300)
        #expect(good.canonicalBytes == [40, 0x2C, 0x01, 0, 0, 0, 0, 0, 0])
        var r = CanonicalReader(good.canonicalBytes)
        #expect(try WireMessage(from: &r) == good)
        #expect(good.kind == "blocks_pruned")
        for bad: UInt64 in [0, 1] {
            var rb = CanonicalReader(WireMessage.blocksPruned(earliest: bad).canonicalBytes)
            #expect(throws: CodecError.self) { try WireMessage(from: &rb) }
        }
        #expect(InboundClass.of(good) == .sync)
        #expect(MessageLimits.classify(good) == .blocks)
    }

    @Test("windows below a peer's earliest height go to another peer; the pruned peer still gets the heights it keeps")
    func asksOthers() {
        var s = RangeSync(params: params())
        let first = s.plan(head: 0, peers: [(a, 40)], now: 0)
        #expect(first.count == 4 && first.allSatisfy { $0.peer == a })
        let verdict = s.pruned(a, earliest: 21)
        #expect(verdict == .accepted(useful: 0))
        #expect(s.hasPruned(a, height: 20) && !s.hasPruned(a, height: 21))
        // Only a is known: the freed windows 1…20 wait rather than go back to it.
        let alone = s.plan(head: 0, peers: [(a, 40)], now: 1)
        #expect(alone.isEmpty)
        // An archive peer appears: it gets the pruned heights.
        let next = s.plan(head: 0, peers: [(a, 40), (b, 40)], now: 2)
        #expect(Set(next.map(\.from)) == [1, 11] && next.allSatisfy { $0.peer == b })
    }

    @Test("blocksPruned from a peer nothing was asked of is unrequested")
    func unrequested() {
        var s = RangeSync(params: params())
        let verdict = s.pruned(b, earliest: 5)
        #expect(verdict == .unrequested)
    }
}
