// ChaosLoad owns the campaign's load generator and its ledger of what the network promised:
// senders submit transfers to random nodes through faults, and every transaction a node
// answered "committed" for is an acknowledged commit that the end checks look for on every node.
import AgoraCore
import AgoraCrypto
import Foundation
import Synchronization

final class ChaosLoad: Sendable {
    struct Acknowledged: Sendable {
        let id: Hash
        let height: UInt64
    }

    let chainID: String
    let senders: [SigningKey]
    let apis: [NodeAPI]
    private let acknowledged = Mutex<[Acknowledged]>([])
    private let submittedCount = Atomic<Int>(0)
    private let refusedCount = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    init(chainID: String, senders: [SigningKey], apis: [NodeAPI]) {
        self.chainID = chainID
        self.senders = senders
        self.apis = apis
    }

    var acked: [Acknowledged] { acknowledged.withLock { $0 } }
    /// Submissions a node accepted (202), and those it refused or that failed on the way.
    var submitted: Int { submittedCount.load(ordering: .relaxed) }
    var refused: Int { refusedCount.load(ordering: .relaxed) }
    func stop() { stopped.store(true, ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    /// Every sender's loop, until `stop`.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for (i, key) in senders.enumerated() {
                group.addTask { await self.senderLoop(i, key) }
            }
        }
    }

    /// One transfer in flight per sender. A transfer is built once per nonce and re-sent
    /// byte-identical until it resolves, so retries through faults never create a second
    /// transaction at one nonce; the nonce is re-read from the chain when one does not resolve.
    private func senderLoop(_ index: Int, _ key: SigningKey) async {
        var rng = SplitMix64(seed: UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        var nonce: UInt64?
        var pending: Transaction?
        while !isStopped {
            let api = apis[Int(rng.next() % UInt64(apis.count))]
            guard let n = nonce else {
                nonce = try? await committedNonce(key, api)
                if nonce == nil { try? await Task.sleep(for: .milliseconds(500)) }
                continue
            }
            if pending?.body.nonce != n {
                guard let head = try? await api.height() else { try? await Task.sleep(for: .milliseconds(300)); continue }
                pending = key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: n, fee: Amount(10)!,
                                                   expiresAt: head + 1_000,
                                                   payload: .transfer(to: senders[(index + 1) % senders.count].address,
                                                                      amount: Amount(1)!, memo: "")))
            }
            guard let tx = pending else { continue }
            do {
                try await api.submit(tx)
                submittedCount.add(1, ordering: .relaxed)
            } catch {
                refusedCount.add(1, ordering: .relaxed)
            }
            if let height = await waitCommitted(tx.id, &rng) {
                acknowledged.withLock { $0.append(Acknowledged(id: tx.id, height: height)) }
                nonce = n + 1
            } else {
                // Lost with a killed node's mempool, or refused: the chain says where we are.
                nonce = max(n, (try? await committedNonce(key, api)) ?? n)
            }
        }
    }

    /// Polls random nodes for up to 20 s; the height a node reported it committed at.
    private func waitCommitted(_ id: Hash, _ rng: inout SplitMix64) async -> UInt64? {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !isStopped {
            try? await Task.sleep(for: .milliseconds(400))
            let api = apis[Int(rng.next() % UInt64(apis.count))]
            if let view = try? await api.transactionView(id), view.status == "committed", let h = view.height { return h }
        }
        return nil
    }

    private func committedNonce(_ key: SigningKey, _ api: NodeAPI) async throws -> UInt64 {
        try await api.account(key.address.description).nonce
    }
}
