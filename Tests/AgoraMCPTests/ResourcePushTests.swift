import AgoraCore
import AgoraLedger
import Foundation
import Synchronization
import Testing
@testable import AgoraMCP

/// Resource subscriptions pushed from the node's event bus (`ResourcePush` over
/// `EventBusChanges`), with no node API behind them: there is nothing to poll here, so every
/// notification these tests see came from an event published on the bus.
@Suite struct ResourcePushTests {
    static let group = Hash(bytes: [UInt8](repeating: 0x01, count: 32))!
    static let otherGroup = Hash(bytes: [UInt8](repeating: 0x02, count: 32))!
    static let party = Address(raw: [UInt8](repeating: 0x0A, count: 20))
    static var claimsURI: String { "agora://groups/\(group.hex)/claims" }
    static var proposalsURI: String { "agora://agents/\(party)/proposals" }

    static func claim(in group: Hash) -> EventBus.Draft {
        .init(kind: .module, type: "claims.published", module: "claims",
              data: ["group": .string(group.hex), "claim": .string(String(repeating: "ab", count: 32))])
    }

    static func retraction(in group: Hash) -> EventBus.Draft {
        .init(kind: .module, type: "claims.retracted", module: "claims",
              data: ["group": .string(group.hex), "claim": .string(String(repeating: "cd", count: 32)), "reason": .string("wrong")])
    }

    static func settlement(_ status: String, parties: [Address]) -> EventBus.Draft {
        .init(kind: .module, type: "intents.settlement_\(status)", module: "intents", accounts: parties,
              data: ["parties": .array(parties.map { .string($0.description) }), "status": .string(status)])
    }

    /// What a subscriber received, and a gate that can hold its delivery (a slow client).
    final class Client: Sendable {
        let received = Mutex<[String]>([])
        let held = Mutex<Bool>(false)
        let open = Mutex<Bool>(true)
        let attempts = Mutex<Int>(0)

        func deliver(_ uri: String) async -> Bool {
            attempts.withLock { $0 += 1 }
            while held.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            received.withLock { $0.append(uri) }
            return open.withLock { $0 }
        }

        var uris: [String] { received.withLock { $0 } }
    }

    /// Waits (bounded) until `condition` holds; the tests assert on outcomes, not on time.
    func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<1_000 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return await condition()
    }

    func started(_ bus: EventBus, _ client: Client) async throws -> (ResourcePush, Task<ResourcePush.End, Never>) {
        let push = ResourcePush(source: EventBusChanges(bus: bus))
        let claims = try LedgerResources.parse(Self.claimsURI), proposals = try LedgerResources.parse(Self.proposalsURI)
        #expect(await push.watch(Self.claimsURI, claims))
        #expect(await push.watch(Self.proposalsURI, proposals))
        let task = await push.start { await client.deliver($0) }
        return (push, task)
    }

    @Test("a claim published in a watched group is pushed as its block's events are published; other groups are not")
    func claimIsPushed() async throws {
        let bus = EventBus()
        let client = Client()
        let (_, task) = try await started(bus, client)
        bus.publish([Self.claim(in: Self.otherGroup)])
        bus.publish([Self.claim(in: Self.group)])
        #expect(await eventually { client.uris == [Self.claimsURI] })
        task.cancel()
    }

    @Test("a retraction of a watched group's claim is pushed (the group's claims changed); one in another group is not")
    func retractionIsPushed() async throws {
        let bus = EventBus()
        let client = Client()
        let (_, task) = try await started(bus, client)
        bus.publish([Self.retraction(in: Self.otherGroup)])
        bus.publish([Self.retraction(in: Self.group)])
        #expect(await eventually { client.uris == [Self.claimsURI] })
        task.cancel()
    }

    @Test("a settlement entering or leaving proposed notifies its parties' proposals; challenged and finalised do not")
    func proposalsArePushed() async throws {
        let bus = EventBus()
        let client = Client()
        let (_, task) = try await started(bus, client)
        bus.publish([Self.settlement("challenged", parties: [Self.party]), Self.settlement("finalised", parties: [Self.party])])
        bus.publish([Self.settlement("proposed", parties: [Address(raw: [UInt8](repeating: 0x0B, count: 20))])])
        bus.publish([Self.settlement("proposed", parties: [Self.party])])
        #expect(await eventually { client.uris == [Self.proposalsURI] })
        bus.publish([Self.settlement("accepted", parties: [Self.party])])
        #expect(await eventually { client.uris == [Self.proposalsURI, Self.proposalsURI] })
        task.cancel()
    }

    @Test("changes made while the client is slow are coalesced into one notification per URI")
    func slowClientIsCoalesced() async throws {
        let bus = EventBus()
        let client = Client()
        client.held.withLock { $0 = true }
        let (push, task) = try await started(bus, client)
        bus.publish([Self.claim(in: Self.group)])
        // The first notification is being written (held); 50 blocks of claims arrive behind it,
        // then a proposal, which (bus order) is marked only after all of them were.
        #expect(await eventually { client.attempts.withLock { $0 } == 1 })
        for _ in 0..<50 { bus.publish([Self.claim(in: Self.group)]) }
        bus.publish([Self.settlement("proposed", parties: [Self.party])])
        #expect(await eventually { await push.pending == [Self.claimsURI, Self.proposalsURI] })
        client.held.withLock { $0 = false }
        #expect(await eventually { await push.stats.notified == 3 })
        #expect(client.uris == [Self.claimsURI, Self.claimsURI, Self.proposalsURI], "51 claims and a proposal gave \(client.uris)")
        #expect(await push.pending.isEmpty)
        task.cancel()
    }

    @Test("when the bus cuts the subscriber off, every watched URI is notified and the subscription resumes")
    func overflowResyncs() async throws {
        let bus = EventBus(capacity: 100, subscriberBuffer: 4)
        let client = Client()
        let (push, task) = try await started(bus, client)
        // One publication larger than the subscriber's queue: the bus drops the subscriber.
        bus.publish((0..<10).map { _ in Self.claim(in: Self.otherGroup) })
        #expect(await eventually { await push.stats.resyncs == 1 })
        #expect(await eventually { Set(client.uris) == [Self.claimsURI, Self.proposalsURI] })
        #expect(bus.droppedSubscribers == 1)
        bus.publish([Self.claim(in: Self.group)])
        #expect(await eventually { client.uris.count == 3 && client.uris.last == Self.claimsURI })
        task.cancel()
    }

    @Test("ending the subscriber (session closed, stream cancelled) unsubscribes it from the bus")
    func cancelUnsubscribes() async throws {
        let bus = EventBus()
        let client = Client()
        let (_, task) = try await started(bus, client)
        #expect(await eventually { bus.subscriberCount == 1 })
        task.cancel()
        #expect(await task.value == .cancelled)
        #expect(await eventually { bus.subscriberCount == 0 })
    }

    @Test("a client that is gone ends the subscriber and its bus subscription")
    func goneClientEnds() async throws {
        let bus = EventBus()
        let client = Client()
        client.open.withLock { $0 = false }
        let (_, task) = try await started(bus, client)
        bus.publish([Self.claim(in: Self.group)])
        #expect(await task.value == .clientGone)
        #expect(await eventually { bus.subscriberCount == 0 })
    }

    @Test("unwatching a URI stops its notifications; watching is capped at ResourceWatch.maxURIs")
    func unwatchAndCap() async throws {
        let bus = EventBus()
        let client = Client()
        let (push, task) = try await started(bus, client)
        await push.unwatch(Self.claimsURI)
        bus.publish([Self.claim(in: Self.group), Self.settlement("proposed", parties: [Self.party])])
        #expect(await eventually { client.uris == [Self.proposalsURI] })
        for i in 0..<(ResourceWatch.maxURIs - 1) {
            let uri = "agora://groups/\(Hash(bytes: [UInt8](repeating: UInt8(0x40 + i), count: 32))!.hex)/claims"
            let target = try LedgerResources.parse(uri)
            #expect(await push.watch(uri, target))
        }
        let claims = try LedgerResources.parse(Self.claimsURI)
        #expect(await push.watch(Self.claimsURI, claims) == false)
        task.cancel()
    }
}

/// The stdio bridge's source reads the node's `/api/v1/events` frames; these check what a frame
/// means and which node URLs it can follow (the others poll). The connection itself is driven by
/// Tests/e2e/test_mcp.py over stdio against a real node.
@Suite struct WebSocketChangesTests {
    @Test("an events frame means the same changes as the bus's events; other frames mean none")
    func framesAreRead() throws {
        let g = ResourcePushTests.group
        let party = ResourcePushTests.party
        let frame = #"{"type":"events","events":[{"type":"claims.published","group":"\#(g.hex)","seq":1},"#
            + #"{"type":"intents.settlement_proposed","parties":["\#(party)"],"seq":2},"#
            + #"{"type":"intents.settlement_finalised","parties":["\#(party)"],"seq":3},{"type":"groups.created","seq":4},"#
            + #"{"type":"claims.retracted","group":"\#(g.hex)","claim":"\#(g.hex)","seq":5}]}"#
        #expect(WebSocketChanges.changes(inFrame: Data(frame.utf8))
            == [.claimPublished(group: g), .proposalsChanged(parties: [party]), .claimRetracted(group: g)])
        #expect(WebSocketChanges.changes(inFrame: Data(#"{"type":"subscribed","lastSeq":9}"#.utf8)).isEmpty)
        #expect(WebSocketChanges.changes(inFrame: Data("not json".utf8)).isEmpty)
    }

    @Test("plain http to an IPv4 address or localhost is followed; https and host names poll")
    func reachableURLs() {
        #expect(WebSocketChanges(nodeURL: "http://127.0.0.1:8645") != nil)
        #expect(WebSocketChanges(nodeURL: "http://localhost:8645") != nil)
        #expect(WebSocketChanges(nodeURL: "https://127.0.0.1:8645") == nil)
        #expect(WebSocketChanges(nodeURL: "http://node.example:8645") == nil)
        #expect(WebSocketChanges(nodeURL: "http://127.0.0.1") == nil)
    }
}
