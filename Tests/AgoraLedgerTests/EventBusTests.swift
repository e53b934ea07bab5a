import AgoraCore
@testable import AgoraLedger
import Foundation
import Testing

@Suite("Event bus")
struct EventBusTests {
    func draft(_ n: Int, account: Address? = nil) -> EventBus.Draft {
        .init(kind: .module, type: "bank.transfer", module: "bank", accounts: account.map { [$0] } ?? [], data: ["n": .int(Int64(n))])
    }

    @Test("subscribers get matching events in order with increasing sequence numbers")
    func ordering() async throws {
        let bus = EventBus()
        let a = Address(raw: [UInt8](repeating: 1, count: 20)), b = Address(raw: [UInt8](repeating: 2, count: 20))
        let sub = bus.subscribe(.init(accounts: [a]))
        bus.publish([draft(1, account: a), draft(2, account: b), .init(kind: .block, type: "block", data: [:])])
        bus.publish([draft(3, account: a)])
        var seen: [UInt64] = []
        for await batch in sub.events {
            seen += batch.map(\.seq)
            sub.consumed(batch.count)
            if seen.count == 2 { break }
        }
        #expect(seen == [1, 4])
        #expect(bus.lastSequence == 4)
    }

    @Test("a client reconnecting with its last sequence number gets what it missed, or is told of the gap")
    func replay() async throws {
        let bus = EventBus(capacity: 16, subscriberBuffer: 64)
        bus.publish((1...10).map { draft($0) })
        let resumed = bus.subscribe(.init(modules: ["bank"]), since: 7)
        #expect(resumed.gap == nil)
        var it = resumed.events.makeAsyncIterator()
        #expect(await it.next()?.map(\.seq) == [8, 9, 10])
        bus.publish((11...40).map { draft($0) })  // ring holds 16: 25…40
        let late = bus.subscribe(.init(modules: ["bank"]), since: 3)
        #expect(late.gap == 4...24)
        var lit = late.events.makeAsyncIterator()
        #expect(await lit.next()?.first?.seq == 25)
    }

    @Test("a subscriber that falls behind is cut off, not buffered without bound")
    func slowConsumer() async throws {
        let bus = EventBus(capacity: 100, subscriberBuffer: 10)
        let slow = bus.subscribe(.init(modules: ["bank"]))
        let fast = bus.subscribe(.init(modules: ["bank"]))
        var fastIt = fast.events.makeAsyncIterator()
        for i in 0..<4 {
            bus.publish((0..<4).map { draft(i * 4 + $0) })
            if let batch = await fastIt.next() { fast.consumed(batch.count) }
        }
        #expect(slow.end() == .overflowed)
        #expect(fast.end() == nil)
        #expect(bus.droppedSubscribers == 1)
        var n = 0
        for await batch in slow.events { n += batch.count }
        #expect(n <= 10, "the dropped subscriber received at most its buffer")
    }

    @Test("events encode as one JSON object with seq and type")
    func encoding() {
        let bus = EventBus()
        let sub = bus.subscribe(.init(blocks: true))
        bus.publish([.init(kind: .block, type: "block", data: ["height": .uint(7), "note": .string("a \"quoted\"\n line")])])
        sub.consumed(0)
        #expect(JSONValue.object(["b": .int(-1), "a": .array([.bool(true), .null])]).encoded == #"{"a":[true,null],"b":-1}"#)
        #expect(JSONValue.string("a \"q\"\n\u{01}").encoded == #""a \"q\"\n\u0001""#)
    }
}
