import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import Testing

@Suite("Mempool")
struct MempoolTests {
    let alice = SigningKey(), bob = SigningKey(), carol = SigningKey()
    let treasury = Address(raw: [UInt8](repeating: 1, count: 20))

    func view(balances: [Address: UInt64] = [:], nonces: [Address: UInt64] = [:], height: UInt64 = 1, minFee: UInt64 = 1) -> Mempool.ChainView {
        let params = BankParams(treasury: treasury, transferFeeBps: 0, minFee: Amount(minFee)!, faucetAmount: Amount(100)!,
                                maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!, blockReward: .zero)
        return Mempool.ChainView(chainID: "m", nextHeight: height, params: params, supply: Amount(1_000)!) { a in
            Account(balance: Amount(balances[a] ?? 0)!, nonce: nonces[a] ?? 0, faucetClaimed: false)
        }
    }

    func tx(_ k: SigningKey, nonce: UInt64, fee: UInt64 = 1, chain: String = "m", expiresAt: UInt64 = 100) -> Transaction {
        k.sign(TransactionBody(chainID: chain, sender: k.publicKey, nonce: nonce, fee: Amount(fee)!, expiresAt: expiresAt,
                               payload: .transfer(to: treasury, amount: Amount(1)!, memo: "")))
    }

    var rich: [Address: UInt64] { [alice.address: 1_000, bob.address: 1_000, carol.address: 1_000] }

    @Test("admission refuses bad signatures, foreign chains, expired, replayed and unaffordable transactions")
    func admissionChecks() throws {
        let pool = Mempool()
        let v = view(balances: [alice.address: 10], nonces: [alice.address: 2], height: 5)
        let good = tx(alice, nonce: 2)
        var sig = good.signature.bytes
        sig[0] ^= 1
        let forged = Transaction(body: good.body, signature: Signature(bytes: sig)!)
        #expect(throws: Mempool.AdmissionError.rejected(.invalidSignature)) { try pool.insert(forged, view: v) }
        #expect(throws: Mempool.AdmissionError.rejected(.wrongChain(expected: "m", got: "x"))) { try pool.insert(tx(alice, nonce: 2, chain: "x"), view: v) }
        #expect(throws: Mempool.AdmissionError.rejected(.expired(expiresAt: 4, height: 5))) { try pool.insert(tx(alice, nonce: 2, expiresAt: 4), view: v) }
        #expect(throws: Mempool.AdmissionError.rejected(.nonceTooLow(expected: 2, got: 1))) { try pool.insert(tx(alice, nonce: 1), view: v) }
        #expect(throws: Mempool.AdmissionError.rejected(.feeTooLow(minimum: Amount(1)!, got: .zero))) { try pool.insert(tx(alice, nonce: 2, fee: 0), view: v) }
        #expect(throws: Mempool.AdmissionError.rejected(.insufficientFundsForFee(balance: Amount(10)!, fee: Amount(11)!))) {
            try pool.insert(tx(alice, nonce: 2, fee: 11), view: v)
        }
        #expect(try pool.insert(good, view: v) == .ready)
        #expect(throws: Mempool.AdmissionError.alreadyKnown(good.id)) { try pool.insert(good, view: v) }
        // Fees of everything pending count against the balance.
        #expect(throws: Mempool.AdmissionError.rejected(.insufficientFundsForFee(balance: Amount(10)!, fee: Amount(11)!))) {
            try pool.insert(tx(alice, nonce: 3, fee: 10), view: v)
        }
        #expect(pool.count == 1)
    }

    @Test("a future nonce waits in the queue until the gap fills")
    func futureNonces() throws {
        let pool = Mempool()
        let v = view(balances: rich)
        #expect(try pool.insert(tx(alice, nonce: 2), view: v) == .queued)
        #expect(try pool.insert(tx(alice, nonce: 1), view: v) == .queued)
        #expect(pool.reap(maxCount: 10, maxBytes: 1 << 20).isEmpty)
        #expect(pool.readyCount == 0)
        #expect(try pool.insert(tx(alice, nonce: 0), view: v) == .ready)
        #expect(pool.reap(maxCount: 10, maxBytes: 1 << 20).map(\.body.nonce) == [0, 1, 2])
        #expect(pool.transaction(sender: alice.address, nonce: 1)?.body.nonce == 1)
        #expect(pool.nextNonce(sender: alice.address, committed: 0) == 3)
    }

    @Test("blocks take the highest fee first, then the earliest arrival, keeping each sender's nonce order")
    func ordering() throws {
        let pool = Mempool()
        let v = view(balances: rich)
        let a0 = tx(alice, nonce: 0, fee: 1), a1 = tx(alice, nonce: 1, fee: 50)
        let b0 = tx(bob, nonce: 0, fee: 5), c0 = tx(carol, nonce: 0, fee: 5)
        for t in [a0, a1, b0, c0] { try pool.insert(t, view: v) }
        #expect(pool.reap(maxCount: 10, maxBytes: 1 << 20).map(\.id) == [b0.id, c0.id, a0.id, a1.id])
        #expect(pool.reap(maxCount: 2, maxBytes: 1 << 20).map(\.id) == [b0.id, c0.id])
        #expect(pool.reap(maxCount: 10, maxBytes: a0.size).count == 1)
    }

    @Test("when full, a higher fee evicts the lowest and its sender's later nonces; a lower fee is refused")
    func eviction() throws {
        let pool = Mempool(config: .init(maxCount: 3, maxPerSender: 10))
        let v = view(balances: rich)
        let a0 = tx(alice, nonce: 0, fee: 1), a1 = tx(alice, nonce: 1, fee: 9), b0 = tx(bob, nonce: 0, fee: 5)
        for t in [a0, a1, b0] { try pool.insert(t, view: v) }
        #expect(throws: Mempool.AdmissionError.full(lowestFee: Amount(1)!)) { try pool.insert(tx(carol, nonce: 0, fee: 1), view: v) }
        let c0 = tx(carol, nonce: 0, fee: 2)
        try pool.insert(c0, view: v)
        #expect(pool.transaction(a0.id) == nil)
        #expect(pool.transaction(a1.id) == nil, "a later nonce of an evicted transaction cannot execute and goes too")
        #expect(pool.count == 2)
        #expect(pool.bytes == b0.size + c0.size)
    }

    @Test("a per-sender limit caps how many transactions one account holds")
    func senderLimit() throws {
        let pool = Mempool(config: .init(maxPerSender: 2))
        let v = view(balances: rich)
        try pool.insert(tx(alice, nonce: 0), view: v)
        try pool.insert(tx(alice, nonce: 1), view: v)
        #expect(pool.count == 2)
        #expect(throws: Mempool.AdmissionError.senderPendingLimit(alice.address, limit: 2, retryAfter: 1)) { try pool.insert(tx(alice, nonce: 2), view: v) }
        #expect(pool.count == 2)
    }

    @Test("a replacement for the same nonce must raise the fee by 10%")
    func replacement() throws {
        let pool = Mempool()
        let v = view(balances: rich)
        let first = tx(alice, nonce: 0, fee: 10)
        try pool.insert(first, view: v)
        #expect(throws: Mempool.AdmissionError.replacementUnderpriced(existingFee: Amount(10)!, required: Amount(11)!)) {
            try pool.insert(tx(alice, nonce: 0, fee: 10, expiresAt: 99), view: v)
        }
        let second = tx(alice, nonce: 0, fee: 11)
        #expect(try pool.insert(second, view: v) == .replaced(first.id))
        #expect(pool.transaction(first.id) == nil)
        #expect(pool.count == 1)
    }

    @Test("after a block, committed and stale transactions leave and refusals are remembered")
    func updateAfterBlock() throws {
        let pool = Mempool()
        let v = view(balances: rich)
        let a0 = tx(alice, nonce: 0), a1 = tx(alice, nonce: 1), b0 = tx(bob, nonce: 0)
        for t in [a0, a1, b0] { try pool.insert(t, view: v) }
        pool.update(committed: [a0], refused: [(b0, .insufficientFundsForFee(balance: .zero, fee: Amount(1)!))]) { a in
            a == alice.address ? 1 : 0
        }
        #expect(pool.count == 1)
        #expect(pool.transaction(a1.id) != nil)
        #expect(pool.rejections.reason(b0.id) == .insufficientFundsForFee(balance: .zero, fee: Amount(1)!))
        #expect(pool.reap(maxCount: 10, maxBytes: 1 << 20).map(\.id) == [a1.id])
        // An account that moved on (another node's tx) makes pending lower nonces stale.
        pool.update(committed: [], refused: [(a1, .nonceTooLow(expected: 5, got: 1))]) { _ in 5 }
        #expect(pool.count == 0)
    }

    @Test("a queue re-created from a view older than the last block is repaired at the next block, so its transactions are reaped")
    func staleViewAfterQueueEmptied() throws {
        let pool = Mempool()
        let a0 = tx(alice, nonce: 0), a1 = tx(alice, nonce: 1)
        try pool.insert(a0, view: view(balances: rich))
        // The block with a0 commits and empties alice's queue…
        pool.update(committed: [a0], refused: []) { _ in 1 }
        #expect(pool.count == 0)
        // …while an admission that read the account before that block (nonce 0) admits a1: the
        // queue comes back expecting nonce 0, which is gone for good.
        let admitted = try pool.insert(a1, view: view(balances: rich, nonces: [alice.address: 0]))
        #expect(admitted == .queued)
        let before = pool.reap(maxCount: 10, maxBytes: 1 << 20)
        #expect(before.isEmpty, "a1 waits behind a nonce that was already committed")
        // The next block (with nothing of alice's) repairs the queue from the committed account.
        pool.update(committed: [], refused: []) { a in a == alice.address ? 1 : 0 }
        let after = pool.reap(maxCount: 10, maxBytes: 1 << 20).map(\.id)
        #expect(after == [a1.id])
    }

    @Test("batch admission verifies signatures in parallel and reports each result in order")
    func batch() throws {
        let pool = Mempool()
        let v = view(balances: rich)
        var txs = (0..<100).map { tx(alice, nonce: UInt64($0)) }
        var sig = txs[50].signature.bytes
        sig[9] ^= 1
        txs[50] = Transaction(body: txs[50].body, signature: Signature(bytes: sig)!)
        let results = pool.insert(batch: txs, view: v)
        #expect(results.count == 100)
        #expect(results.filter { if case .success = $0 { return true } else { return false } }.count == 99)
        if case .failure(.rejected(.invalidSignature)) = results[50] {} else { Issue.record("index 50 should fail its signature") }
        #expect(pool.readyCount == 50, "nonces after the forged one wait for the gap")
    }
}
