import AgoraLedgerTestSupport
import AgoraCore
import AgoraCrypto
@testable import AgoraNetwork
import AgoraState
import AgoraStorage
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import AgoraP2P
import AgoraLedger

/// Presence and task events across the node: a heartbeat accepted by one node's API reaches a
/// second node by gossip and is checked there against that node's own committed membership; a
/// peer relaying a forged heartbeat loses trust; and a block's task transactions publish
/// `tasks.*` events naming group, creator and assignee.
@Suite("Presence gossip and task events", .serialized)
struct PresenceGossipTests {
    final class PortBox: Sendable { let value = Mutex<Int?>(nil) }

    func waitPort(_ p: PortBox) async throws -> Int {
        while p.value.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        return p.value.withLock { $0 }!
    }

    @Test("a heartbeat posted to node A is gossiped to node B, which checks it against its own state; a forged one costs the relay trust")
    func gossip() async throws {
        let net = try TestChain("presence")
        let alice = SigningKey()
        let group = LedgerID.group(creator: alice.address, nonce: 0)
        let chainA = try net.open("a", key: net.validator)
        try chainA.submit(alice.sign(TransactionBody(chainID: "presence", sender: alice.publicKey, nonce: 0, fee: .zero, expiresAt: 100,
                                                     payload: .createGroup(name: "g", policy: .none))))
        try chainA.produceBlock(now: 2_000)
        let chainB = try net.open("b", key: SigningKey())
        let presenceA = Presence(chain: chainA), presenceB = Presence(chain: chainB)
        let portA = PortBox()
        let a = PeerService(chain: chainA, identity: net.validator, config: .init(listenHost: "127.0.0.1", listenPort: 0, peers: [], statusInterval: .milliseconds(200)),
                            presence: presenceA, logger: Logger(label: "a")) { bound in portA.value.withLock { $0 = Int(bound.split(separator: ":").last!) } }
        let groupA = ServiceGroup(configuration: .init(services: [a], logger: Logger(label: "ga")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await groupA.run() }
            let pa = try await waitPort(portA)
            let b = PeerService(chain: chainB, identity: SigningKey(), config: .init(listenHost: nil, listenPort: 0, peers: [("127.0.0.1", pa)],
                                                                                     statusInterval: .milliseconds(200)),
                                presence: presenceB, logger: Logger(label: "b"))
            let groupB = ServiceGroup(configuration: .init(services: [b], logger: Logger(label: "gb")))
            tasks.addTask { try await groupB.run() }
            // B syncs the block that created the group, so alice is a member in B's state too.
            var deadline = Date().addingTimeInterval(20)
            while (chainB.snapshot.head.height < 1 || a.connected.isEmpty), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(chainB.snapshot.head.height == 1)
            let beat = alice.sign(Heartbeat(group: group, member: alice.publicKey, time: Presence.wallClock(), status: "here"), chainID: "presence")
            let accepted = presenceA.receive(beat, local: true)
            #expect(accepted == .success(.accepted(cameOnline: true)))
            deadline = Date().addingTimeInterval(20)
            while presenceB.members(of: group).isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let seen = presenceB.members(of: group)
            #expect(seen.map(\.address) == [alice.address.description], "B heard alice through gossip")
            #expect(seen.first?.status == "here" && seen.first?.online == true)

            // A raw peer relays a forged heartbeat to A: refused, not relayed, and the peer pays for it.
            let attackerKey = SigningKey()
            let attacker = Transport(config: .init(chainID: "presence", identity: attackerKey), onLink: { _ in })
            let link = try await attacker.dial(host: "127.0.0.1", port: pa)
            var forged = alice.sign(Heartbeat(group: group, member: alice.publicKey, time: Presence.wallClock() + 2_000, status: "x"), chainID: "presence")
            forged.heartbeat.status = "forged"
            try link.send(.presence(forged))
            let attackerID = Hash.sha256(attackerKey.publicKey.bytes).hex
            deadline = Date().addingTimeInterval(20)
            func score() -> Double? { a.connected.first { $0.peerID == attackerID }?.score }
            while (score() ?? 0) >= 0, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect((score() ?? 0) < 0, "the relay of a forged heartbeat lost trust")
            #expect(presenceA.members(of: group).first?.status == "here", "the forged heartbeat was not held")
            link.close()
            for g in [groupB, groupA] { await g.triggerGracefulShutdown() }
            tasks.cancelAll()
        }
    }

    @Test("the presence wire message is tag 15, round-trips, has its own rate class and gossip topic")
    func wire() throws {
        let key = SigningKey()
        let signed = key.sign(Heartbeat(group: Hash.sha256([1]), member: key.publicKey, time: 5, status: "ok"), chainID: "c")
        let message = WireMessage.presence(signed)
        #expect(message.canonicalBytes.first == 15)
        let decoded = try WireMessage(canonicalBytes: message.canonicalBytes)
        #expect(decoded == message)
        #expect(message.kind == "presence")
        #expect(MessageLimits.classify(message) == .presence)
        var limits = MessageLimits(now: 0)
        var allowed = 0
        for _ in 0..<1_000 where limits.allow(message, now: 0) { allowed += 1 }
        #expect(allowed == 400, "burst 400, then limited")
        let control = limits.allow(.ping(1), now: 0)
        #expect(control, "other classes are unaffected")
        #expect(GossipRouter.Topic(rawValue: 3) == .presence)
    }

    @Test("a block's task transactions publish tasks.* events naming the group, creator and assignee")
    func taskEvents() async throws {
        let validator = SigningKey(), alice = SigningKey(), bob = SigningKey()
        let dir = NSTemporaryDirectory() + "agora-task-events-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        try store.initialize(try Genesis(
            chainID: "ev", genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 3, count: 20)).description, transferFeeBps: 0, minFee: .zero,
                          faucetAmount: .zero, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!, blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(10_000)!)]).resolve())
        let chain = try Chain(store: store, validatorKey: validator, logger: Logger(label: "test"))
        let sub = chain.events.subscribe(.init(modules: ["tasks"]))
        let group = LedgerID.group(creator: alice.address, nonce: 0)
        let task = LedgerID.task(creator: alice.address, nonce: 2)
        let txs: [(SigningKey, UInt64, Payload)] = [
            (alice, 0, .createGroup(name: "g", policy: .none)),
            (alice, 1, .addGroupMember(group: group, member: bob.address, role: .member)),
            (alice, 2, .createTask(TaskSpec(group: group, title: "t", reward: Amount(10)!))),
            (bob, 0, .assignTask(task: task, assignee: bob.address)),
            (bob, 1, .startTask(task: task)),
            (bob, 2, .completeTask(task: task, result: TaskResult(text: "r"))),
            (alice, 3, .cancelTask(task: task)),  // fails: already completed, so no event
        ]
        for (key, nonce, p) in txs {
            try chain.submit(key.sign(TransactionBody(chainID: "ev", sender: key.publicKey, nonce: nonce, fee: .zero, expiresAt: 100, payload: p)))
        }
        try chain.produceBlock(now: 2_000)
        var it = sub.events.makeAsyncIterator()
        let batch = try #require(await it.next())
        let objects = batch.compactMap { try? JSONSerialization.jsonObject(with: Data($0.json.utf8)) as? [String: Any] }
        #expect(objects.map { $0["type"] as? String } == ["tasks.created", "tasks.assigned", "tasks.started", "tasks.completed"])
        for o in objects {
            #expect(o["task"] as? String == task.hex)
            #expect(o["group"] as? String == group.hex)
            #expect(o["creator"] as? String == alice.address.description)
            if o["type"] as? String == "tasks.created" { #expect(o["assignee"] is NSNull) } else {
                #expect(o["assignee"] as? String == bob.address.description)
            }
        }
        #expect(batch.dropFirst().allSatisfy { $0.accounts.contains(alice.address) && $0.accounts.contains(bob.address) })
    }
}
