import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraLedgerTestSupport
import AgoraNetwork
@testable import AgoraP2P
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Backpressure between peers: a node whose mempool is at its ready bound answers relayed
/// transactions with `mempoolBusy`, and a node told so stops relaying to that peer for the
/// stated time (docs/mempool.md).
@Suite("Relay pauses", .serialized)
struct RelayPausesTests {
    final class Clock: Sendable {
        let ms = Atomic<UInt64>(5_000)
        var read: RelayPauses.Clock { { [self] in ms.load(ordering: .relaxed) } }
    }

    @Test("a paused peer gets no transactions until its pause ends; a pause is capped and forgotten with the peer")
    func pauses() {
        let clock = Clock()
        let pauses = RelayPauses(clock: clock.read)
        let a = Hash.sha256([1]), b = Hash.sha256([2])
        pauses.pause(a, forMs: 2_000)
        #expect(!pauses.mayRelay(to: a))
        #expect(pauses.mayRelay(to: b))
        clock.ms.add(1_999, ordering: .relaxed)
        #expect(!pauses.mayRelay(to: a))
        clock.ms.add(1, ordering: .relaxed)
        #expect(pauses.mayRelay(to: a))
        // A hostile peer cannot ask for more than the cap.
        pauses.pause(b, forMs: .max)
        clock.ms.add(UInt64(WireMessage.maxRelayPauseMs), ordering: .relaxed)
        #expect(pauses.mayRelay(to: b))
        pauses.pause(b, forMs: 1_000)
        pauses.forget(b)
        #expect(pauses.mayRelay(to: b))
    }

    @Test("a node at its ready bound answers a relayed batch with mempoolBusy naming the retry-after")
    func busyAnswer() async throws {
        let net = try TestChain("busy")
        var config = Mempool.Config()
        config.maxPendingSeconds = 1
        config.minCommitRate = 3
        let chain = try net.open("v", key: net.validator, mempool: Mempool(config: config))
        let port = Mutex<Int?>(nil)
        let service = PeerService(chain: chain, identity: net.validator, config: .init(listenHost: "127.0.0.1", listenPort: 0, peers: []),
                                  consensus: ConsensusInbox(chain: chain), logger: Logger(label: "v")) { bound in
            port.withLock { $0 = Int(bound.split(separator: ":").last!) }
        }
        let batch = (0..<10).map { _ in
            let k = SigningKey()
            return k.sign(TransactionBody(chainID: "busy", sender: k.publicKey, nonce: 0, fee: .zero, expiresAt: 1_000,
                                          payload: .transfer(to: net.validator.address, amount: .zero, memo: "")))
        }
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let link = try await Transport(config: .init(chainID: "busy", identity: SigningKey()), onLink: { _ in })
                .dial(host: "127.0.0.1", port: port.withLock { $0 }!)
            try link.send(.transactions(batch))
            var answer: UInt32?
            for try await message in link.messages {
                if case let .mempoolBusy(ms) = message {
                    answer = ms
                    break
                }
            }
            // One transaction over the bound of 3, at 3 per second: 1 s.
            #expect(answer == 1_000)
            #expect(chain.mempool.readyCount == 3)
            link.close()
            await group.triggerGracefulShutdown()
            tasks.cancelAll()
        }
    }
}
