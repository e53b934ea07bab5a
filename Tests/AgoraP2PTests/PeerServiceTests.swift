import AgoraLedgerTestSupport
import AgoraConsensus
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

@Suite("Peer service", .serialized)
struct PeerServiceTests {
    @Test("trust decays toward neutral with its half-life and bans at the threshold")
    func trust() {
        var t = TrustScore(now: 0, halfLife: 10)
        t.record(.invalidBlock, now: 0)
        #expect(t.value == -60)
        t.decay(now: 10_000_000_000)
        #expect(abs(t.value + 30) < 1e-9, "half of it after one half-life")
        t.record(.invalidBlock, now: 10_000_000_000)
        #expect(!t.isBanned)
        t.record(.invalidMessage, now: 10_000_000_000)
        #expect(t.isBanned)
        var good = TrustScore(now: 0)
        for _ in 0..<1_000 { good.record(.usefulBlock, now: 0) }
        #expect(good.value == TrustScore.ceiling)
    }

    @Test("per-class message limits hold a flood while other classes pass")
    func limits() {
        var l = MessageLimits(now: 0)
        var allowed = 0
        for _ in 0..<200 where l.allow(.ping(1), now: 0) { allowed += 1 }
        #expect(allowed == 40)
        let otherClass = l.allow(.getBlocks(from: 1, count: 1), now: 0)
        #expect(otherClass)
        let later = l.allow(.ping(1), now: 1_000_000_000)
        #expect(later, "refilled a second later")
    }

    @Test("transaction gossip is batched per peer: full batches go at once, the rest at the next flush")
    func outboxBatches() {
        let key = SigningKey()
        let txs = (0..<25).map { n in
            key.sign(TransactionBody(chainID: "c", sender: key.publicKey, nonce: UInt64(n), fee: .zero, expiresAt: 9, payload: .faucet))
        }
        let a = Hash.sha256([1]), b = Hash.sha256([2])
        let outbox = TransactionOutbox(batchLimit: 10)
        let first = outbox.enqueue(Array(txs[0..<4]), to: [a, b])
        #expect(first.isEmpty, "below a batch: wait for the flush")
        let full = outbox.enqueue(Array(txs[4..<25]), to: [a])
        #expect(full.map(\.1.count) == [10, 10], "two full batches for a go now")
        #expect(full.flatMap(\.1).map(\.body.nonce) == Array(0..<20), "in order")
        outbox.cancel(txs[21].id, for: a)
        outbox.forget(b)
        let rest = outbox.drain()
        #expect(rest.count == 1 && rest[0].0 == a && rest[0].1.map(\.body.nonce) == [20, 22, 23, 24], "21 was cancelled: a sent it to us")
        #expect(outbox.drain().isEmpty)
    }

    @Test("garbage, oversized, replayed and tampered frames and floods get a peer penalised, disconnected and banned; others keep working")
    func badFramesBanned() async throws {
        let net = try TestChain("frames")
        let validator = net.validator
        let chain = try net.open("v", key: validator)
        for n in 0..<3 { try chain.produceBlock(now: 2_000 + UInt64(n)) }
        let port = Mutex<Int?>(nil)
        let service = PeerService(chain: chain, identity: validator, config: .init(listenHost: "127.0.0.1", listenPort: 0, peers: []),
                                  logger: Logger(label: "v")) { bound in port.withLock { $0 = Int(bound.split(separator: ":").last!) } }
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let p = port.withLock { $0 }!
            let attacks: [(String, @Sendable (PeerLink) throws -> Void)] = [
                ("garbage", { link in link.writeRaw([10, 0, 0, 0] + (0..<10).map { _ in UInt8.random(in: 0...255) }) }),
                ("oversized", { link in link.writeRaw([0, 0, 0x50, 0]) }),  // 5 MiB announced
                ("replayed", { link in
                    let frame = try link.sealFrame(.ping(1))
                    link.writeRaw(frame)
                    link.writeRaw(frame)
                }),
                ("bad MAC", { link in
                    var frame = try link.sealFrame(.ping(1))
                    frame[frame.count - 1] ^= 0x01
                    link.writeRaw(frame)
                }),
                ("flood", { link in for n in 0..<300 { try link.send(.ping(UInt64(n))) } }),
            ]
            for (name, attack) in attacks {
                let key = SigningKey()
                let attacker = Transport(config: .init(chainID: "frames", identity: key), onLink: { _ in })
                var banned = false
                for _ in 0..<5 where !banned {
                    let link = try await attacker.dial(host: "127.0.0.1", port: p)
                    try? attack(link)
                    let deadline = Date().addingTimeInterval(10)
                    while link.isActive, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
                    #expect(!link.isActive, "\(name): the link is closed")
                    banned = service.isBanned(Hash.sha256(key.publicKey.bytes).hex)
                }
                #expect(banned, "\(name): banned after repeated offences")
                // Banned: a new link under that identity is closed at once.
                if let again = try? await attacker.dial(host: "127.0.0.1", port: p) {
                    let deadline = Date().addingTimeInterval(5)
                    while again.isActive, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
                    #expect(!again.isActive, "\(name): a banned peer is refused")
                }
            }
            // An honest peer still gets served.
            let honest = Transport(config: .init(chainID: "frames", identity: SigningKey()), onLink: { _ in })
            let link = try await honest.dial(host: "127.0.0.1", port: p)
            try link.send(.getBlocks(from: 1, count: 3))
            var got: [UInt64] = []
            for try await m in link.messages {
                if case let .blocks(list) = m { got = list.map(\.block.header.height); break }
            }
            #expect(got == [1, 2, 3])
            link.close()
            await group.triggerGracefulShutdown()
            tasks.cancelAll()
        }
    }

    @Test("forged consensus votes lower the sender's trust until it is banned; stale and repeated ones cost nothing")
    func consensusFaults() async throws {
        let net = try TestChain("cons-p2p")
        let chain = try net.open("v", key: net.validator)
        for n in 0..<3 { try chain.produceBlock(now: 2_000 + UInt64(n)) }
        let port = Mutex<Int?>(nil)
        let inbox = ConsensusInbox(chain: chain)
        let service = PeerService(chain: chain, identity: net.validator, config: .init(listenHost: "127.0.0.1", listenPort: 0, peers: []),
                                  consensus: inbox, logger: Logger(label: "v")) { bound in port.withLock { $0 = Int(bound.split(separator: ":").last!) } }
        // Wired as the node wires it; the network judges votes through the shared inbox.
        _ = try ConsensusService(chain: chain, keys: [net.validator],
                                 config: .init(blockInterval: .seconds(1), directory: net.dir + "/consensus"),
                                 transport: service, inbox: inbox, logger: Logger(label: "c"))
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "group")))
        func vote(height: UInt64, forged: Bool) -> WireMessage {
            let v = Vote(chainID: "cons-p2p", height: height, round: 0, kind: .prevote, blockHash: Hash.sha256([7]))
            let signer = forged ? SigningKey() : net.validator
            return .consensus(ConsensusMessage.vote(SignedVote(vote: v, validator: net.validator.publicKey,
                                                                signature: signer.sign(v.signingBytes))).canonicalBytes)
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let p = port.withLock { $0 }!

            // A lagging but honest peer: votes for a decided height, and the same vote again.
            let laggingKey = SigningKey()
            let lagging = try await Transport(config: .init(chainID: "cons-p2p", identity: laggingKey), onLink: { _ in })
                .dial(host: "127.0.0.1", port: p)
            for _ in 0..<20 { try lagging.send(vote(height: 2, forged: false)) }
            for _ in 0..<20 { try lagging.send(vote(height: 4, forged: false)) }

            let forgerKey = SigningKey()
            let forger = try await Transport(config: .init(chainID: "cons-p2p", identity: forgerKey), onLink: { _ in })
                .dial(host: "127.0.0.1", port: p)
            for round in 0..<20 where forger.isActive {
                let v = Vote(chainID: "cons-p2p", height: 4, round: UInt32(round), kind: .prevote, blockHash: Hash.sha256([7]))
                try? forger.send(.consensus(ConsensusMessage.vote(SignedVote(vote: v, validator: net.validator.publicKey,
                                                                             signature: forgerKey.sign(v.signingBytes))).canonicalBytes))
                try await Task.sleep(for: .milliseconds(20))
            }
            let deadline = Date().addingTimeInterval(10)
            while forger.isActive, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!forger.isActive, "the forger's link is closed")
            #expect(service.isBanned(Hash.sha256(forgerKey.publicKey.bytes).hex), "the forger is banned")
            #expect(lagging.isActive, "the lagging peer is still connected")
            #expect(!service.isBanned(Hash.sha256(laggingKey.publicKey.bytes).hex))
            #expect(chain.snapshot.head.height == 3, "nothing was counted or committed")
            lagging.close()
            await group.triggerGracefulShutdown()
            tasks.cancelAll()
        }
    }

    @Test("a peer that sends invalid blocks is disconnected and banned; a good peer keeps syncing")
    func misbehavingPeerBanned() async throws {
        let net = try TestChain("p2p-test")
        let validator = net.validator
        func chain(_ name: String, _ key: SigningKey) throws -> Chain { try net.open(name, key: key) }
        let producer = try chain("v", validator)
        for n in 0..<5 { try producer.produceBlock(now: 2_000 + UInt64(n)) }
        let port = Mutex<Int?>(nil)
        let service = PeerService(chain: producer, identity: validator,
                                  config: .init(listenHost: "127.0.0.1", listenPort: 0, peers: []),
                                  logger: Logger(label: "v")) { bound in port.withLock { $0 = Int(bound.split(separator: ":").last!) } }
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let p = port.withLock { $0 }!

            // The liar: forged blocks at the next height, until it is thrown out.
            let liarKey = SigningKey()
            let liar = Transport(config: .init(chainID: "p2p-test", identity: liarKey), onLink: { _ in })
            let link = try await liar.dial(host: "127.0.0.1", port: p)
            let head = try #require(try producer.queries.block(height: 5))
            var forged = head.block
            forged.header.height = 6
            forged.header.previousHash = head.block.hash
            let fakeSeal = Commit(height: 6, round: 0, blockHash: forged.hash, signatures: [SigningKey().sign(Vote(chainID: "p2p-test", height: 6, round: 0, kind: .precommit, blockHash: forged.hash))])
            for _ in 0..<3 { try? link.send(.block(forged, fakeSeal)) }
            let deadline = Date().addingTimeInterval(5)
            while link.isActive, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!link.isActive, "the liar is disconnected")
            #expect(service.bannedCount >= 1)
            // Banned: a new link under the same identity is closed at once.
            #expect(producer.snapshot.head.height == 5, "nothing forged was applied")

            // An honest follower syncs all five blocks over the same listener.
            let follower = try chain("f", SigningKey())
            let followerService = PeerService(chain: follower, identity: SigningKey(),
                                              config: .init(listenHost: nil, listenPort: 0, peers: [("127.0.0.1", p)]),
                                              logger: Logger(label: "f"))
            let followerGroup = ServiceGroup(configuration: .init(services: [followerService], logger: Logger(label: "fg")))
            tasks.addTask { try await followerGroup.run() }
            let until = Date().addingTimeInterval(10)
            while follower.snapshot.head.height < 5, Date() < until { try await Task.sleep(for: .milliseconds(50)) }
            #expect(follower.snapshot.head.hash == producer.snapshot.head.hash)
            #expect(service.connected.count == 1)
            await followerGroup.triggerGracefulShutdown()
            await group.triggerGracefulShutdown()
            tasks.cancelAll()

            // The ban and the scores outlive the process: they are in the node's database.
            let records = try producer.peerBook.records()
            let liarRecord = try #require(records.first { $0.peerID == Hash.sha256(liarKey.publicKey.bytes) })
            #expect(liarRecord.bannedUntil > Int64(Date().timeIntervalSince1970 * 1000))
            #expect(liarRecord.score <= TrustScore.banThreshold)
            let restarted = PeerService(chain: producer, identity: validator, config: .init(listenHost: nil, listenPort: 0, peers: []),
                                        logger: Logger(label: "v2"))
            restarted.loadRemembered()
            #expect(restarted.bannedCount >= 1, "the liar is still banned after a restart")
        }
    }
}

@Suite("Peer exchange", .serialized)
struct PeerExchangeTests {
    @Test("a node that knows only one peer learns and dials the others' listen addresses")
    func exchange() async throws {
        let net = try TestChain("pex")
        let validator = net.validator
        final class PortBox: Sendable { let value = Mutex<Int?>(nil) }
        func node(_ name: String, _ key: SigningKey, peers: [(host: String, port: Int)]) throws -> (PeerService, PortBox) {
            let chain = try net.open(name, key: key)
            let port = PortBox()
            var config = PeerService.Config(listenHost: "127.0.0.1", listenPort: 0, peers: peers, statusInterval: .milliseconds(200))
            config.targetOutbound = 4
            let service = PeerService(chain: chain, identity: key, config: config, logger: Logger(label: name)) { bound in
                port.value.withLock { $0 = Int(bound.split(separator: ":").last!) }
            }
            return (service, port)
        }
        func waitPort(_ p: PortBox) async throws -> Int {
            while p.value.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            return p.value.withLock { $0 }!
        }
        let (a, aPort) = try node("a", validator, peers: [])
        let groupA = ServiceGroup(configuration: .init(services: [a], logger: Logger(label: "ga")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await groupA.run() }
            let pa = try await waitPort(aPort)
            let (b, bPort) = try node("b", SigningKey(), peers: [("127.0.0.1", pa)])
            let groupB = ServiceGroup(configuration: .init(services: [b], logger: Logger(label: "gb")))
            tasks.addTask { try await groupB.run() }
            _ = try await waitPort(bPort)
            let (c, cPort) = try node("c", SigningKey(), peers: [("127.0.0.1", pa)])
            let groupC = ServiceGroup(configuration: .init(services: [c], logger: Logger(label: "gc")))
            tasks.addTask { try await groupC.run() }
            _ = try await waitPort(cPort)
            let deadline = Date().addingTimeInterval(10)
            while c.connected.count < 2 || b.connected.count < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(c.connected.count == 2, "c found b through a")
            #expect(b.connected.count == 2, "b sees c")
            for g in [groupC, groupB, groupA] { await g.triggerGracefulShutdown() }
            tasks.cancelAll()
        }
    }
}
