import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import Synchronization
import Testing

/// A clock the test moves by hand (milliseconds).
final class ManualClock: Sendable {
    private let ms = Atomic<UInt64>(1_000_000)
    var now: UInt64 { ms.load(ordering: .relaxed) }
    func advance(_ by: UInt64) { ms.add(by, ordering: .relaxed) }
    var read: Mempool.Clock { { [self] in now } }
}

/// The mempool's bounds: ready transactions by the measured commit rate, queued ones per
/// sender, in total and by age, and the expiry ceiling (docs/mempool.md).
@Suite("Mempool limits")
struct MempoolLimitsTests {
    let treasury = Address(raw: [UInt8](repeating: 1, count: 20))

    func view(height: UInt64 = 1, nonces: [Address: UInt64] = [:]) -> Mempool.ChainView {
        let params = BankParams(treasury: treasury, transferFeeBps: 0, minFee: Amount(1)!, faucetAmount: Amount(100)!,
                                maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!, blockReward: .zero)
        return Mempool.ChainView(chainID: "m", nextHeight: height, params: params, supply: Amount(1_000)!) { a in
            Account(balance: Amount(100_000)!, nonce: nonces[a] ?? 0, faucetClaimed: false)
        }
    }

    func tx(_ k: SigningKey, nonce: UInt64, fee: UInt64 = 1, expiresAt: UInt64 = 100) -> Transaction {
        k.sign(TransactionBody(chainID: "m", sender: k.publicKey, nonce: nonce, fee: Amount(fee)!, expiresAt: expiresAt,
                               payload: .transfer(to: treasury, amount: Amount(1)!, memo: "")))
    }

    /// A pool whose ready bound is `seconds` × a rate measured from two blocks one second apart.
    func makePool(rate: Int, seconds: Double = 1, clock: ManualClock = ManualClock(), configure: (inout Mempool.Config) -> Void = { _ in }) -> Mempool {
        var config = Mempool.Config()
        config.maxPendingSeconds = seconds
        config.minCommitRate = 1
        configure(&config)
        let pool = Mempool(config: config, clock: clock.read)
        pool.commitRate.record(transactions: 0, atMs: clock.now)
        pool.commitRate.record(transactions: rate, atMs: clock.now + 1_000)
        return pool
    }

    @Test("the ready bound is seconds of the measured commit rate, floored before any block and capped by maxCount")
    func boundFollowsRate() {
        let clock = ManualClock()
        #expect(makePool(rate: 40, seconds: 2, clock: clock).readyBound() == 80)
        var floored = Mempool.Config()
        floored.maxPendingSeconds = 10
        floored.minCommitRate = 500
        #expect(Mempool(config: floored, clock: clock.read).readyBound() == 5_000)
        #expect(makePool(rate: 1_000_000, seconds: 10, clock: clock).readyBound() == 100_000)
        let rate = CommitRate(window: 4, maxAgeMs: 10_000)
        rate.record(transactions: 7, atMs: 0)
        #expect(rate.perSecond(nowMs: 0) == nil)
        rate.record(transactions: 30, atMs: 2_000)
        #expect(rate.perSecond(nowMs: 2_000) == 15)
        // Blocks older than the window's age no longer vouch for the rate.
        #expect(rate.perSecond(nowMs: 20_000) == nil)
    }

    @Test("above the ready bound a new ready transaction is refused busy with a retry-after, before its signature is checked")
    func busyAtBound() throws {
        let pool = makePool(rate: 3)
        let v = view()
        let keys = (0..<3).map { _ in SigningKey() }
        for k in keys { #expect(try pool.insert(tx(k, nonce: 0), view: v) == .ready) }
        let late = SigningKey()
        #expect(throws: Mempool.AdmissionError.busy(ready: 3, bound: 3, retryAfter: 1)) { try pool.insert(tx(late, nonce: 0), view: v) }
        // A forged signature gets the same answer: the refusal costs no verification.
        let good = tx(late, nonce: 0)
        var sig = good.signature.bytes
        sig[0] ^= 1
        let forged = Transaction(body: good.body, signature: Signature(bytes: sig)!)
        #expect(throws: Mempool.AdmissionError.busy(ready: 3, bound: 3, retryAfter: 1)) { try pool.insert(forged, view: v) }
        // Replacing a pending transaction adds no work and passes.
        #expect(try pool.insert(tx(keys[0], nonce: 0, fee: 5), view: v) == .replaced(tx(keys[0], nonce: 0).id))
        #expect(pool.readyCount == 3)
    }

    @Test("the retry-after is the time the measured rate needs to work off the excess")
    func retryAfterFromBacklog() {
        let pool = makePool(rate: 2)
        #expect(pool.busyRetryAfter(ready: 2, bound: 2) == 1)
        #expect(pool.busyRetryAfter(ready: 11, bound: 2) == 5)
        #expect(pool.busyRetryAfter(ready: 10_000, bound: 2) == 60)
    }

    @Test("a batch displaces lower-fee ready transactions at the bound, and is refused busy when it pays no more")
    func batchDisplaces() throws {
        let pool = makePool(rate: 2)
        let v = view()
        let a = SigningKey(), b = SigningKey(), c = SigningKey(), d = SigningKey()
        let cheap = tx(a, nonce: 0, fee: 1)
        try pool.insert(cheap, view: v)
        try pool.insert(tx(b, nonce: 0, fee: 5), view: v)
        let results = pool.insert(batch: [tx(c, nonce: 0, fee: 3), tx(d, nonce: 0, fee: 1)], view: v)
        #expect(try results[0].get() == .ready)
        #expect(results[1] == .failure(.busy(ready: 2, bound: 2, retryAfter: 1)))
        #expect(pool.transaction(cheap.id) == nil)
        #expect(pool.evictions.reason(cheap.id) == .displaced(byFee: Amount(3)!))
        #expect(pool.readyCount == 2)
    }

    @Test("the next nonce of a sender whose pending window is full is refused sender_pending_limit with a retry-after; a nonce past a gap stays nonce_too_high")
    func pendingWindowFullIsLoad() throws {
        let pool = makePool(rate: 2, seconds: 100) { $0.maxPerSender = 4 }
        let v = view()
        let sender = SigningKey()
        for n in 0..<4 { #expect(try pool.insert(tx(sender, nonce: UInt64(n)), view: v) == .ready) }
        // Ready 4 at 2 tx/s: the chain has committed them, the sender's oldest among them, in 2 s.
        let limited = Mempool.AdmissionError.senderPendingLimit(sender.address, limit: 4, retryAfter: 2)
        #expect(throws: limited) { try pool.insert(tx(sender, nonce: 4), view: v) }
        #expect(limited.code == "sender_pending_limit")
        #expect(limited.retryAfter == 2)
        // Refused before the signature is checked, like the other load refusals.
        var sig = tx(sender, nonce: 4).signature.bytes
        sig[0] ^= 1
        #expect(throws: limited) { try pool.insert(Transaction(body: tx(sender, nonce: 4).body, signature: Signature(bytes: sig)!), view: v) }
        #expect(throws: Mempool.AdmissionError.rejected(.nonceTooHigh(expected: 0, got: 5))) { try pool.insert(tx(sender, nonce: 5), view: v) }
        // A window with a gap is not full of includable work: past it is the sender's mistake.
        let gapped = SigningKey()
        for n in [0, 1, 3] { try pool.insert(tx(gapped, nonce: UInt64(n)), view: v) }
        #expect(throws: Mempool.AdmissionError.rejected(.nonceTooHigh(expected: 0, got: 4))) { try pool.insert(tx(gapped, nonce: 4), view: v) }
        // Once the earliest commit, the refused nonce is admitted.
        pool.update(committed: [tx(sender, nonce: 0)], refused: []) { $0 == sender.address ? 1 : nil }
        #expect(try pool.insert(tx(sender, nonce: 4), view: view(nonces: [sender.address: 1])) == .ready)
    }

    @Test("in a client's batch, the nonces after one refused sender_pending_limit are refused alike, not nonce_too_high")
    func batchAfterPendingLimit() throws {
        let pool = makePool(rate: 2, seconds: 100) { $0.maxPerSender = 4 }
        let sender = SigningKey(), other = SigningKey()
        for n in 0..<3 { try pool.insert(tx(sender, nonce: UInt64(n)), view: view()) }
        let batch = [tx(sender, nonce: 3), tx(sender, nonce: 4), tx(sender, nonce: 5), tx(other, nonce: 0), tx(sender, nonce: 7)]
        let results = pool.insert(submitted: batch, view: { view() })
        let limited = Mempool.AdmissionError.senderPendingLimit(sender.address, limit: 4, retryAfter: 2)
        #expect(try results[0].get() == .ready)
        #expect(results[1] == .failure(limited))
        #expect(results[2] == .failure(limited))
        #expect(try results[3].get() == .ready)
        #expect(results[4] == .failure(.rejected(.nonceTooHigh(expected: 0, got: 7))))
    }

    @Test("a sender's queued transactions are limited: the next is refused queued_limit with the oldest one's remaining TTL")
    func queuedPerSender() throws {
        let clock = ManualClock()
        let pool = makePool(rate: 1_000, clock: clock) { $0.maxQueuedPerSender = 3; $0.queuedTTLMs = 10_000 }
        let v = view()
        let spammer = SigningKey()
        for n in 1...3 { #expect(try pool.insert(tx(spammer, nonce: UInt64(n)), view: v) == .queued) }
        clock.advance(4_000)
        #expect(throws: Mempool.AdmissionError.queuedLimit(spammer.address, limit: 3, retryAfter: 6)) {
            try pool.insert(tx(spammer, nonce: 4), view: v)
        }
        #expect(pool.readyCount == 0)
        #expect(pool.queuedCount == 3)
        // Filling the gap makes them ready: the sender's queue has room again.
        #expect(try pool.insert(tx(spammer, nonce: 0), view: v) == .ready)
        #expect(pool.readyCount == 4)
        #expect(try pool.insert(tx(spammer, nonce: 6), view: v) == .queued)
    }

    @Test("the queued total is bounded: a new queued transaction evicts the oldest, with its reason")
    func queuedOverflow() throws {
        let pool = makePool(rate: 1_000) { $0.maxQueued = 3 }
        let v = view()
        let keys = (0..<4).map { _ in SigningKey() }
        let gapped = keys.map { tx($0, nonce: 1) }
        for t in gapped { #expect(try pool.insert(t, view: v) == .queued) }
        #expect(pool.queuedCount == 3)
        #expect(pool.transaction(gapped[0].id) == nil)
        #expect(pool.evictions.reason(gapped[0].id) == .queuedOverflow(limit: 3))
        // Ready transactions are not queued ones: they neither count nor get evicted.
        let ready = tx(keys[0], nonce: 0)
        try pool.insert(ready, view: v)
        #expect(pool.transaction(ready.id) != nil)
        #expect(pool.queuedCount == 3)
    }

    @Test("a queued transaction older than the TTL is evicted by age, with its reason, when the next block commits")
    func queuedTTL() throws {
        let clock = ManualClock()
        let pool = makePool(rate: 1_000, clock: clock) { $0.queuedTTLMs = 60_000 }
        let v = view()
        let alice = SigningKey(), bob = SigningKey()
        let old = tx(alice, nonce: 1), later = tx(alice, nonce: 2)
        try pool.insert(old, view: v)
        clock.advance(30_000)
        try pool.insert(later, view: v)
        let young = tx(bob, nonce: 3)
        try pool.insert(young, view: v)
        try pool.insert(tx(bob, nonce: 0), view: v)  // ready: never expires by age
        clock.advance(30_000)
        pool.update(committed: [], refused: []) { _ in nil }
        // alice's nonce 1 is 60 s old: it goes, and her nonce 2 with it (it could never execute first).
        #expect(pool.evictions.reason(old.id) == .queuedExpired(ageMs: 60_000, ttlMs: 60_000))
        #expect(pool.evictions.reason(later.id) == .queuedExpired(ageMs: 60_000, ttlMs: 60_000))
        #expect(pool.transaction(young.id) != nil)
        #expect(pool.readyCount == 1)
        #expect(pool.queuedCount == 1)
    }

    @Test("expiresAt past the next height plus maxExpiryHeights is refused expiry_too_far")
    func expiryCeiling() throws {
        let pool = makePool(rate: 1_000) { $0.maxExpiryHeights = 100 }
        let v = view(height: 50)
        let alice = SigningKey()
        #expect(throws: Mempool.AdmissionError.expiryTooFar(expiresAt: 151, limit: 150)) {
            try pool.insert(tx(alice, nonce: 0, expiresAt: 151), view: v)
        }
        #expect(pool.insert(batch: [tx(alice, nonce: 0, expiresAt: 1_000_000_000)], view: v)[0]
            == .failure(.expiryTooFar(expiresAt: 1_000_000_000, limit: 150)))
        #expect(try pool.insert(tx(alice, nonce: 0, expiresAt: 150), view: v) == .ready)
    }

    @Test("the gapped-nonce flood of issue 14 leaves no ready work: 64 queued, the rest refused, nothing to reap")
    func gappedFlood() throws {
        let pool = Mempool()
        let v = view()
        let spammer = SigningKey()
        var queued = 0, limited = 0
        for n in 1...600 {
            do { if try pool.insert(tx(spammer, nonce: UInt64(n)), view: v) == .queued { queued += 1 } } catch {
                if case .queuedLimit = error { limited += 1 }
            }
        }
        #expect(queued == 64)
        #expect(limited == 536)
        #expect(pool.readyCount == 0)
        #expect(pool.reap(maxCount: 10_000, maxBytes: 1 << 30).isEmpty)
    }

    @Test("ready and queued counts stay equal to a recount through gaps, commits, refusals and replacements")
    func countsStayConsistent() throws {
        let pool = Mempool()
        let alice = SigningKey(), bob = SigningKey()
        var nonces: [Address: UInt64] = [:]
        for n in [0, 1, 3, 4, 2, 6] as [UInt64] { try pool.insert(tx(alice, nonce: n), view: view(nonces: nonces)) }
        for n in [1, 0] as [UInt64] { try pool.insert(tx(bob, nonce: n), view: view(nonces: nonces)) }
        #expect(pool.readyCount == 7)
        #expect(pool.queuedCount == 1)
        // A block commits alice 0-1 and refuses alice 2: her 3 and 4 wait for the gap again.
        let block = pool.reap(maxCount: 2, maxBytes: 1 << 20)
        nonces[alice.address] = 2
        nonces[bob.address] = 0
        let aliceBlock = [tx(alice, nonce: 0), tx(alice, nonce: 1)]
        pool.update(committed: aliceBlock, refused: [(tx(alice, nonce: 2), .insufficientFundsForFee(balance: .zero, fee: Amount(1)!))]) {
            nonces[$0]
        }
        #expect(block.count == 2)
        #expect(pool.readyCount == 2)  // bob 0, 1
        #expect(pool.queuedCount == 3)  // alice 3, 4, 6
        #expect(pool.reap(maxCount: 100, maxBytes: 1 << 20).count == pool.readyCount)
        // Replacing the gap's nonce fills it again.
        try pool.insert(tx(alice, nonce: 2, fee: 2), view: view(nonces: nonces))
        #expect(pool.readyCount == 5)
        #expect(pool.queuedCount == 1)
        #expect(pool.reap(maxCount: 100, maxBytes: 1 << 20).count == pool.readyCount)
    }
}
