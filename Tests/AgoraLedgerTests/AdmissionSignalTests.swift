import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import Testing

/// The mempool wakes its waiters on admission (the consensus driver no longer polls its size).
@Suite("Admission signal")
struct AdmissionSignalTests {
    let alice = SigningKey()
    let treasury = Address(raw: [UInt8](repeating: 1, count: 20))

    func view() -> Mempool.ChainView {
        let params = BankParams(treasury: treasury, transferFeeBps: 0, minFee: Amount(1)!, faucetAmount: Amount(100)!,
                                maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!, blockReward: .zero)
        return Mempool.ChainView(chainID: "m", nextHeight: 1, params: params, supply: Amount(1_000)!) { _ in
            Account(balance: Amount(1_000)!, nonce: 0, faucetClaimed: false)
        }
    }

    func tx(nonce: UInt64, fee: UInt64 = 1) -> Transaction {
        alice.sign(TransactionBody(chainID: "m", sender: alice.publicKey, nonce: nonce, fee: Amount(fee)!, expiresAt: 100,
                                   payload: .transfer(to: treasury, amount: Amount(1)!, memo: "")))
    }

    @Test("an admitted transaction wakes a waiter; a refused one does not")
    func admissionWakes() async throws {
        let pool = Mempool()
        // Unbounded here, so that every wake is counted.
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .unbounded)
        pool.admissions.wake(wake)
        #expect(throws: Mempool.AdmissionError.self) { try pool.insert(tx(nonce: 0, fee: 0), view: view()) }
        try pool.insert(tx(nonce: 0), view: view())
        wake.finish()
        var count = 0
        for await _ in wakes { count += 1 }
        #expect(count == 1)
    }

    @Test("a burst of admissions costs a waiter one wake, and a finished waiter is forgotten")
    func burstCoalesces() async throws {
        let pool = Mempool()
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        pool.admissions.wake(wake)
        for (i, r) in pool.insert(batch: (0..<5).map { tx(nonce: UInt64($0)) }, view: view()).enumerated() {
            if case let .failure(e) = r { Issue.record("transaction \(i) refused: \(e)") }
        }
        var iterator = wakes.makeAsyncIterator()
        #expect(await iterator.next() != nil)
        wake.finish()
        #expect(await iterator.next() == nil)
        // The finished waiter was removed: admitting again yields to nobody and does not trap.
        try pool.insert(tx(nonce: 5), view: view())
    }
}
