import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraNetwork

@Suite("Range sync planning")
struct RangeSyncTests {
    static let key = SigningKey()

    /// Placeholder-free sealed blocks: real headers at the given heights (contents do not matter
    /// to the planner, which only reads heights).
    func blocks(_ heights: ClosedRange<UInt64>) -> [WireMessage.SealedBlock] {
        heights.map { h in
            let header = BlockHeader(chainID: "s", height: h, previousHash: .zero, timestamp: h, proposer: Self.key.publicKey,
                                     txRoot: Block.txRoot([]), stateRoot: .zero, validatorSetHash: .zero, lastCommit: nil)
            let block = Block(header: header, transactions: [])
            return .init(block: block, seal: Commit(height: h, round: 0, blockHash: block.hash, signatures: []))
        }
    }

    let a = Hash.sha256([1]), b = Hash.sha256([2]), c = Hash.sha256([3])

    func params() -> RangeSync.Params {
        var p = RangeSync.Params()
        p.windowSize = 10
        p.maxWindows = 6
        p.maxPerPeer = 2
        p.timeout = 100
        return p
    }

    @Test("windows are spread over several peers, within the per-peer and total bounds")
    func spreads() {
        var s = RangeSync(params: params())
        let requests = s.plan(head: 0, peers: [(a, 100), (b, 100), (c, 100)], now: 0)
        #expect(requests.count == 6)
        let perPeer = Dictionary(grouping: requests, by: \.peer).mapValues(\.count)
        #expect(perPeer == [a: 2, b: 2, c: 2])
        #expect(requests.map(\.from).sorted() == [1, 11, 21, 31, 41, 51])
        #expect(requests.allSatisfy { $0.count == 10 })
        let nothingNew = s.plan(head: 0, peers: [(a, 100), (b, 100), (c, 100)], now: 1).isEmpty
        #expect(nothingNew, "nothing more until answers come")
    }

    @Test("a peer is only asked for heights it announced")
    func announcedHeights() {
        var s = RangeSync(params: params())
        let requests = s.plan(head: 0, peers: [(a, 15), (b, 40)], now: 0)
        for r in requests where r.peer == a { #expect(r.from + UInt64(r.count) - 1 <= 15) }
        #expect(requests.contains { $0.from == 11 && $0.peer == b }, "only b has 11...20")
        #expect(!requests.contains { $0.from == 31 }, "b is at its per-peer bound and a lacks 31...40")
    }

    @Test("answers that arrive out of order are applied in height order")
    func ordered() {
        var s = RangeSync(params: params())
        let requests = s.plan(head: 0, peers: [(a, 20), (b, 20)], now: 0)
        let second = requests.first { $0.from == 11 }!, first = requests.first { $0.from == 1 }!
        let secondWindow = s.receive(blocks(11...20), from: second.peer)
        #expect(secondWindow == .accepted(useful: 10))
        let early = s.next(head: 0)
        #expect(early == nil, "height 1 has not arrived")
        let firstWindow = s.receive(blocks(1...10), from: first.peer)
        #expect(firstWindow == .accepted(useful: 10))
        var head: UInt64 = 0
        while let (sealed, _) = s.next(head: head) {
            #expect(sealed.block.header.height == head + 1)
            head += 1
        }
        #expect(head == 20)
    }

    @Test("a slow peer's window times out and goes to another peer")
    func slowPeer() {
        var s = RangeSync(params: params())
        let first = s.plan(head: 0, peers: [(a, 10)], now: 0)
        #expect(first == [.init(peer: a, from: 1, count: 10)])
        let notYet = s.expire(now: 50).isEmpty
        #expect(notYet)
        let slow = s.expire(now: 100)
        #expect(slow == [a])
        let again = s.plan(head: 0, peers: [(b, 10), (a, 10)], now: 100)
        #expect(again == [.init(peer: b, from: 1, count: 10)])
        let lateAnswer = s.receive(blocks(1...10), from: a)
        #expect(lateAnswer == .unrequested, "the slow peer's late answer is not wanted any more")
    }

    @Test("a lying peer's blocks are dropped and its heights asked of others; bad answers are typed")
    func lyingPeer() {
        var s = RangeSync(params: params())
        _ = s.plan(head: 0, peers: [(a, 20), (b, 20)], now: 0)
        let fromA = s.windows.values.first { $0.peer == a }!.from
        let fromB = s.windows.values.first { $0.peer == b }!.from
        let fromLiar = s.receive(blocks(fromA...fromA + 9), from: a)
        #expect(fromLiar == .accepted(useful: 10))
        let offStart = s.receive(blocks(fromB + 1...fromB + 5), from: b)
        #expect(offStart == .unrequested, "not the start of its window")
        let gapped = s.receive(blocks(fromB...fromB + 2) + blocks(fromB + 5...fromB + 5), from: b)
        #expect(gapped == .malformed)
        s.release(a)
        #expect(s.bufferedCount == 0)
        let retry = s.plan(head: 0, peers: [(b, 20), (c, 20)], now: 1)
        #expect(retry.contains { $0.from == fromA && $0.count == 10 && $0.peer != a })
    }

    @Test("a short answer leaves the rest of its window for any peer; an empty one frees the peer")
    func shortAnswer() {
        var s = RangeSync(params: params())
        _ = s.plan(head: 0, peers: [(a, 10)], now: 0)
        let short = s.receive(blocks(1...4), from: a)
        #expect(short == .accepted(useful: 4))
        let rest = s.plan(head: 0, peers: [(b, 10)], now: 1)
        #expect(rest == [.init(peer: b, from: 5, count: 6)])
        let empty = s.receive([], from: b)
        #expect(empty == .accepted(useful: 0))
        let stranger = s.receive([], from: c)
        #expect(stranger == .unrequested)
        #expect(s.inFlight == 0)
    }

    @Test("memory stays bounded however far behind the node is")
    func bounded() {
        var s = RangeSync(params: params())
        _ = s.plan(head: 0, peers: [(a, 1_000_000), (b, 1_000_000), (c, 1_000_000)], now: 0)
        #expect(s.windows.count <= 6)
        for w in s.windows.values { _ = s.receive(blocks(w.from...w.from + UInt64(w.count) - 1), from: w.peer!) }
        #expect(s.bufferedCount <= 60)
    }
}
