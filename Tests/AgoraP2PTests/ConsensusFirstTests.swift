import AgoraConsensus
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

@Suite("Consensus first", .serialized)
struct ConsensusFirstTests {
    @Test("a vote sent after five 1,000-transaction batches on the same link is judged before the batches' signatures are checked")
    func voteOvertakesBatches() async throws {
        let net = try TestChain("first")
        let chain = try net.open("v", key: net.validator)
        for n in 0..<3 { try chain.produceBlock(now: 2_000 + UInt64(n)) }
        let port = Mutex<Int?>(nil)
        let inbox = ConsensusInbox(chain: chain)
        let service = PeerService(chain: chain, identity: net.validator, config: .init(listenHost: "127.0.0.1", listenPort: 0, peers: []),
                                  consensus: inbox, logger: Logger(label: "v")) { bound in port.withLock { $0 = Int(bound.split(separator: ":").last!) } }
        // One sender per batch: a single sender may hold at most 1,024 pending transactions, and a
        // nonce past a full window is refused before its signature is checked (sender_pending_limit),
        // so 5,000 from one key could never all be checked.
        let senders = (0..<5).map { _ in SigningKey() }
        let batches = senders.map { sender in
            (0..<1_000).map { i in
                sender.sign(TransactionBody(chainID: "first", sender: sender.publicKey, nonce: UInt64(i), fee: .zero,
                                            expiresAt: 1_000, payload: .transfer(to: net.validator.address, amount: .zero, memo: "")))
            }
        }
        let v = Vote(chainID: "first", height: 4, round: 0, kind: .prevote, blockHash: Hash.sha256([7]))
        let vote = ConsensusMessage.vote(SignedVote(vote: v, validator: net.validator.publicKey, signature: net.validator.sign(v.signingBytes)))
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let link = try await Transport(config: .init(chainID: "first", identity: SigningKey()), onLink: { _ in })
                .dial(host: "127.0.0.1", port: port.withLock { $0 }!)
            for batch in batches { try link.send(.transactions(batch)) }
            try link.send(.consensus(vote.canonicalBytes))
            // The inbox hands accepted votes to the consensus loop (not running here): read them.
            var checkedAtVote: Int?
            for await input in inbox.inputs {
                if case .message(.vote, _) = input {
                    checkedAtVote = chain.mempool.verified.count
                    break
                }
            }
            let atVote = try #require(checkedAtVote)
            print("signatures checked when the vote was judged: \(atVote) of 5,000")
            #expect(atVote < 5_000, "in arrival order the vote would wait for all 5,000")
            // The flood is not dropped: every batch is admitted in the end.
            let deadline = Date().addingTimeInterval(300)
            while chain.mempool.verified.count < 5_000, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(chain.mempool.verified.count == 5_000)
            link.close()
            await group.triggerGracefulShutdown()
            tasks.cancelAll()
        }
    }
}
