import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Synchronization
import Testing

/// The presence service with an injected clock and membership: signatures bound to the chain,
/// membership, stale and future-dated heartbeats, replay and rate limits, the three-interval
/// staleness rule with its events, the memory bound, and the task events built from a block.
@Suite("Presence")
struct PresenceTests {
    final class Clock: Sendable {
        let ms = Mutex<UInt64>(1_000_000)
        func advance(_ by: UInt64) { ms.withLock { $0 += by } }
        var now: UInt64 { ms.withLock { $0 } }
    }

    let group = Hash.sha256([1])
    let alice = SigningKey(), bob = SigningKey(), mallory = SigningKey()

    func make(_ clock: Clock, maxEntries: Int = 100, events: EventBus? = nil) -> Presence {
        let members: Set<Address> = [alice.address, bob.address]
        let group = self.group
        return Presence(chainID: "pc", config: .init(intervalMs: 10_000, maxEntries: maxEntries), clock: { clock.now },
                        isMember: { g, a in g == group && members.contains(a) }, events: events)
    }

    func beat(_ key: SigningKey, _ time: UInt64, status: String = "", group: Hash? = nil, chain: String = "pc") -> SignedHeartbeat {
        key.sign(Heartbeat(group: group ?? self.group, member: key.publicKey, time: time, status: status), chainID: chain)
    }

    @Test("a member's signed heartbeat is accepted and listed online with its status")
    func accepted() {
        let clock = Clock()
        let p = make(clock)
        let r = p.receive(beat(alice, clock.now, status: "idle"), local: true)
        #expect(r == .success(.accepted(cameOnline: true)))
        let members = p.members(of: group)
        #expect(members.count == 1)
        #expect(members.first?.address == alice.address.description)
        #expect(members.first?.status == "idle")
        #expect(members.first?.online == true)
        #expect(members.first?.lastSeen == clock.now)
        let again = p.receive(beat(alice, clock.now, status: "idle"), local: false)
        #expect(again == .success(.duplicate), "deterministic signatures: the same heartbeat is a duplicate")
    }

    @Test("bad signatures, other chains and forged members are refused; outsiders and other groups are not members")
    func refusals() {
        let clock = Clock()
        let p = make(clock)
        var forged = beat(alice, clock.now)
        forged.heartbeat.status = "changed after signing"
        #expect(p.receive(forged, local: true) == .failure(.badSignature(alice.address)))
        #expect(p.receive(beat(alice, clock.now, chain: "other"), local: true) == .failure(.badSignature(alice.address)))
        var impostor = beat(mallory, clock.now)
        impostor.heartbeat.member = alice.publicKey  // claims to be alice, signed by mallory
        #expect(p.receive(impostor, local: true) == .failure(.badSignature(alice.address)))
        #expect(p.receive(beat(mallory, clock.now), local: true) == .failure(.notMember(group: group, address: mallory.address)))
        let other = Hash.sha256([2])
        #expect(p.receive(beat(alice, clock.now, group: other), local: true) == .failure(.notMember(group: other, address: alice.address)))
        #expect(p.members(of: group).isEmpty)
        #expect(p.count == 0)
    }

    @Test("stale and future-dated heartbeats, replays and heartbeats faster than the minimum spacing are refused")
    func timeRules() {
        let clock = Clock()
        let p = make(clock)
        let now = clock.now
        #expect(p.receive(beat(alice, now - 30_001), local: true) == .failure(.tooOld(time: now - 30_001, now: now, staleAfterMs: 30_000)))
        #expect(p.receive(beat(alice, now + 10_001), local: true) == .failure(.fromFuture(time: now + 10_001, now: now, maxFutureMs: 10_000)))
        #expect(p.receive(beat(alice, now + 5_000), local: true) == .success(.accepted(cameOnline: true)), "small skew is fine")
        #expect(p.receive(beat(alice, now), local: true) == .failure(.notNewer(time: now, held: now + 5_000)), "an older one is a replay")
        #expect(p.receive(beat(alice, now + 5_500), local: true) == .failure(.tooFrequent(time: now + 5_500, held: now + 5_000, minSpacingMs: 1_000)))
        #expect(p.receive(beat(alice, now + 6_000), local: true) == .success(.accepted(cameOnline: false)))
    }

    @Test("a member goes stale after three missed intervals, once (one presence.stale event), and comes back online")
    func staleness() async throws {
        let clock = Clock()
        let bus = EventBus()
        let sub = bus.subscribe(.init(modules: ["presence"]))
        let p = make(clock, events: bus)
        #expect(p.receive(beat(alice, clock.now), local: true) == .success(.accepted(cameOnline: true)))
        #expect(p.receive(beat(bob, clock.now), local: true) == .success(.accepted(cameOnline: true)))
        clock.advance(20_000)
        #expect(p.receive(beat(bob, clock.now), local: true) == .success(.accepted(cameOnline: false)))
        clock.advance(10_000)  // alice: exactly three intervals since her heartbeat: still online
        #expect(p.sweep().isEmpty)
        let allOnline = p.members(of: group).allSatisfy { $0.online }
        #expect(allOnline)
        clock.advance(1)
        let stale = p.sweep()
        #expect(stale.map(\.member) == [alice.address])
        #expect(p.sweep().isEmpty, "the transition is reported once")
        let listed = p.members(of: group)
        #expect(listed.map(\.address) == [bob.address.description, alice.address.description], "online first")
        #expect(listed.last?.state == "stale")
        #expect(p.receive(beat(alice, clock.now), local: true) == .success(.accepted(cameOnline: true)))
        var it = sub.events.makeAsyncIterator()
        var types: [String] = []
        while types.count < 4, let batch = await it.next() {
            sub.consumed(batch.count)
            for e in batch {
                let o = try JSONSerialization.jsonObject(with: Data(e.json.utf8)) as? [String: Any]
                types.append(o?["type"] as? String ?? "?")
            }
        }
        #expect(types == ["presence.online", "presence.online", "presence.stale", "presence.online"])
    }

    @Test("memory is bounded: past maxEntries new members are refused until stale entries are forgotten")
    func bounded() {
        let clock = Clock()
        let p = make(clock, maxEntries: 1)
        #expect(p.receive(beat(alice, clock.now), local: true) == .success(.accepted(cameOnline: true)))
        #expect(p.receive(beat(bob, clock.now), local: true) == .failure(.full(limit: 1)))
        clock.advance(2_000)
        #expect(p.receive(beat(alice, clock.now), local: true) == .success(.accepted(cameOnline: false)), "a held member still updates")
        clock.advance(30 * 10_000 + 1)
        p.sweep()
        #expect(p.count == 0, "forgotten after thirty silent intervals")
        #expect(p.receive(beat(bob, clock.now), local: true) == .success(.accepted(cameOnline: true)))
    }

    @Test("local accepted heartbeats go to the gossip hook; those from peers and refused ones do not")
    func gossipHook() {
        let clock = Clock()
        let p = make(clock)
        let sent = Mutex<[Hash]>([])
        p.setGossip { hb in sent.withLock { $0.append(hb.id) } }
        let local = beat(alice, clock.now)
        _ = p.receive(local, local: true)
        _ = p.receive(beat(bob, clock.now), local: false)
        _ = p.receive(beat(mallory, clock.now), local: true)
        #expect(sent.withLock { $0 } == [local.id])
    }

    @Test("a removed member disappears from the list at once")
    func removedMember() {
        let clock = Clock()
        let members = Mutex<Set<Address>>([alice.address])
        let group = self.group
        let p = Presence(chainID: "pc", clock: { clock.now }, isMember: { g, a in g == group && members.withLock { $0.contains(a) } })
        #expect(p.receive(beat(alice, clock.now), local: true) == .success(.accepted(cameOnline: true)))
        members.withLock { $0 = [] }
        #expect(p.members(of: group).isEmpty)
    }
}
