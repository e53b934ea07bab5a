import AgoraCore
import AgoraNetwork
import Testing

/// A test item: a class, a size in units and a source; `label` tells items apart.
struct Work: InboundWork, Equatable {
    var inboundClass: InboundClass
    var units: Int
    var source: Int
    var label: String

    mutating func split(first count: Int) -> Work {
        units -= count
        return Work(inboundClass: inboundClass, units: count, source: source, label: label)
    }

    static func tx(_ n: Int, from source: Int = 0, _ label: String = "tx") -> Work {
        Work(inboundClass: .gossip, units: n, source: source, label: label)
    }

    static func vote(from source: Int = 0, _ label: String = "vote") -> Work {
        Work(inboundClass: .consensus, units: 1, source: source, label: label)
    }

    static func of(_ c: InboundClass, _ label: String, from source: Int = 0) -> Work {
        Work(inboundClass: c, units: 1, source: source, label: label)
    }
}

/// The queues behind a reference, so that `#expect` can call their mutating methods.
final class Queues {
    var queues: InboundQueues<Work>
    init(_ params: InboundQueues<Work>.Params) { queues = InboundQueues(params: params) }
    @discardableResult func enqueue(_ w: Work) -> Bool { queues.enqueue(w) }
    func next() -> Work? { queues.next() }
    func finished(_ c: InboundClass) { queues.finished(c) }
    @discardableResult func forget(_ source: Int) -> Int { queues.forget(source) }
    func depth(_ c: InboundClass) -> Int { queues.depth(c) }
    func dropped(_ c: InboundClass) -> Int { queues.dropped(c) }
}

@Suite("Inbound queues")
struct InboundQueuesTests {
    @Test("every wire message has the class it is served by: votes consensus, blocks sync, transactions gossip")
    func classification() {
        #expect(InboundClass.of(.consensus([1, 2])) == .consensus)
        #expect(InboundClass.of(.getBlocks(from: 1, count: 1)) == .sync)
        #expect(InboundClass.of(.blocks([])) == .sync)
        #expect(InboundClass.of(.transactions([])) == .gossip)
        #expect(InboundClass.of(.ihave([])) == .gossip)
        #expect(InboundClass.of(.ping(1)) == .other)
        #expect(InboundClass.of(.getArtifact(sha256: .zero, offset: 0, length: 1)) == .other)
    }

    @Test("a vote that arrives behind a flood of transaction batches is served before the next piece of them")
    func consensusFirst() {
        let q = Queues(.init(workers: 4))
        for i in 0..<10 { #expect(q.enqueue(.tx(1_000, "batch\(i)"))) }
        let first = q.next()
        #expect(first?.inboundClass == .gossip && first?.units == 64)
        q.enqueue(.vote())
        #expect(q.next()?.label == "vote", "the vote overtakes 9,936 queued transactions")
        #expect(q.next()?.inboundClass == .gossip)
    }

    @Test("a transaction batch leaves in pieces of the admission chunk, in order, and adds up to the batch")
    func admissionChunks() {
        var params = InboundQueues<Work>.Params(workers: 8)
        params.admissionChunk = 100
        let q = Queues(params)
        q.enqueue(.tx(250, "a"))
        q.enqueue(.tx(30, "b"))
        var pieces: [(String, Int)] = []
        while let w = q.next() {
            pieces.append((w.label, w.units))
            q.finished(w.inboundClass)
        }
        #expect(pieces.map(\.0) == ["a", "a", "a", "b"])
        #expect(pieces.map(\.1) == [100, 100, 50, 30])
        #expect(q.depth(.gossip) == 0)
    }

    @Test("admission never takes the last worker: with two workers one piece of gossip runs at a time, and a vote still gets the other")
    func admissionLeavesAWorker() {
        let q = Queues(.init(workers: 2))
        q.enqueue(.tx(1_000))
        let a = q.next()
        #expect(a?.inboundClass == .gossip)
        #expect(q.next() == nil, "a second admission piece would take the last worker")
        q.enqueue(.vote())
        #expect(q.next()?.inboundClass == .consensus)
        q.finished(.gossip)
        #expect(q.next()?.inboundClass == .gossip)
    }

    @Test("sync is served before gossip, but gossip passed over maxPassOver times gets its turn")
    func noStarvation() {
        let q = Queues(.init(workers: 4))
        q.enqueue(.tx(10, "tx"))
        for i in 0..<20 { q.enqueue(.of(.sync, "s\(i)")) }
        var order: [String] = []
        for _ in 0..<10 {
            guard let w = q.next() else { break }
            order.append(w.label)
            q.finished(w.inboundClass)
        }
        #expect(order == ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "tx", "s8"])
    }

    @Test("consensus is never passed over, however long another class has waited")
    func consensusNeverWaitsForStarvedClass() {
        let q = Queues(.init(workers: 4))
        q.enqueue(.tx(10))
        for i in 0..<12 { q.enqueue(.of(.sync, "s\(i)")) }
        for _ in 0..<8 { if let w = q.next() { q.finished(w.inboundClass) } }  // gossip is now starved
        q.enqueue(.vote())
        #expect(q.next()?.inboundClass == .consensus)
    }

    @Test("a full class refuses what arrives and counts it, without touching the other classes")
    func boundedPerClass() {
        var params = InboundQueues<Work>.Params(workers: 4)
        params.capacity[.gossip] = 2_000
        let q = Queues(params)
        #expect(q.enqueue(.tx(1_000)))
        #expect(q.enqueue(.tx(1_000)))
        #expect(!q.enqueue(.tx(1)))
        #expect(q.dropped(.gossip) == 1)
        #expect(q.depth(.gossip) == 2_000)
        #expect(q.enqueue(.vote()))
        #expect(q.dropped(.consensus) == 0)
    }

    @Test("a closed link's queued work is dropped, and only its own")
    func forgetSource() {
        let q = Queues(.init(workers: 4))
        q.enqueue(.tx(100, from: 1))
        q.enqueue(.vote(from: 1))
        q.enqueue(.vote(from: 2, "keep"))
        #expect(q.forget(1) == 101)
        #expect(q.depth(.gossip) == 0 && q.dropped(.gossip) == 100)
        #expect(q.next()?.label == "keep")
        #expect(q.next() == nil)
    }

    @Test("sync runs one item at a time so ranges are applied in the order they arrived")
    func syncSerialized() {
        let q = Queues(.init(workers: 4))
        q.enqueue(.of(.sync, "r1"))
        q.enqueue(.of(.sync, "r2"))
        #expect(q.next()?.label == "r1")
        #expect(q.next() == nil)
        q.finished(.sync)
        #expect(q.next()?.label == "r2")
    }
}
