import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Synchronization
import Testing

/// The real Ed25519 checks, counted as they happen: what a test judges reuse by, independently
/// of the cache's own bookkeeping.
final class CountingVerifier: Sendable {
    let checks = Mutex(0)
    var count: Int { checks.withLock { $0 } }

    var verifier: VerifiedSignatures.Verifier {
        VerifiedSignatures.Verifier(
            one: { [self] tx in checks.withLock { $0 += 1 }; return SignatureVerifier.isValid(tx) },
            many: { [self] txs in checks.withLock { $0 += txs.count }; return SignatureVerifier.verify(txs) })
    }
}

/// Two chains over the same genesis: a validator that proposes and a follower that verifies.
@Suite("Verified signatures")
struct VerifiedSignaturesTests {
    let validator = SigningKey()
    let alice = SigningKey()
    let bob = SigningKey()
    let logger = Logger(label: "test")
    static let chainID = "sig-reuse"

    func open(_ key: SigningKey, config: Chain.Config = Chain.Config(), mempool: Mempool = Mempool()) throws -> Chain {
        let dir = NSTemporaryDirectory() + "agora-sigs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        try store.initialize(try Genesis(
            chainID: Self.chainID, genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 3, count: 20)).description, transferFeeBps: 0, minFee: Amount(1)!,
                          faucetAmount: Amount(50)!, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!,
                          blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(10_000)!)]).resolve())
        return try Chain(store: store, validatorKey: key, mempool: mempool, config: config, logger: logger)
    }

    func transfer(_ nonce: UInt64) -> Transaction {
        alice.sign(TransactionBody(chainID: Self.chainID, sender: alice.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: 1_000,
                                   payload: .transfer(to: bob.address, amount: Amount(1)!, memo: "")))
    }

    @Test("a follower does not check again the signature of a transaction it admitted, even once it left its pool")
    func followerReusesAdmission() throws {
        let proposer = try open(validator)
        let follower = try open(SigningKey())
        let (seen, unseen) = (transfer(0), transfer(1))
        try follower.submit(seen)
        #expect(follower.flushMempool() == 1)  // gone from the pool (evicted, flushed): still checked
        try proposer.submit(seen)
        try proposer.submit(unseen)
        let block = try proposer.buildProposal(proposer: validator.publicKey, now: 2_000)
        #expect(block.transactions.count == 2)
        try follower.verifyProposal(block, now: 2_000)
        let totals = follower.mempool.verified.batchTotals
        #expect(totals.reused == 1, "the admitted one is reused")
        #expect(totals.checked == 1, "only the one it never saw is checked")
        #expect(follower.mempool.verified.contains(unseen.id))
    }

    @Test("a proposal whose transactions were all admitted verifies zero signatures; what it did verify are its own")
    func allAdmittedVerifiesNone() throws {
        let counter = CountingVerifier()
        let follower = try open(SigningKey(), mempool: Mempool(verified: VerifiedSignatures(verifier: counter.verifier)))
        let proposer = try open(validator)
        let txs = (0..<80).map { transfer(UInt64($0)) }  // above 64: the batch path runs on every core
        for tx in txs {
            try follower.submit(tx)
            try proposer.submit(tx)
        }
        #expect(counter.count == 80, "admission checked each once")
        let block = try proposer.buildProposal(proposer: validator.publicKey, now: 2_000)
        #expect(block.transactions.count == 80)
        try follower.verifyProposal(block, now: 2_000)
        #expect(counter.count == 80, "verifying the proposal checked no signature")
        #expect(follower.mempool.verified.batchTotals.reused == 80)
        #expect(follower.mempool.verified.batchTotals.checked == 0)
        #expect(follower.mempool.verified.verifications == 80)
    }

    @Test("a tampered transaction is refused though the follower admitted the original: the ID covers body and signature")
    func tamperedRefused() throws {
        let counter = CountingVerifier()
        let follower = try open(SigningKey(), mempool: Mempool(verified: VerifiedSignatures(verifier: counter.verifier)))
        let proposer = try open(validator)
        let original = transfer(0)
        try follower.submit(original)
        try proposer.submit(original)
        let built = try proposer.buildProposal(proposer: validator.publicKey, now: 2_000)
        // The original's signature on a body that pays more: the ID changes with the body, so
        // the known verdict cannot carry it.
        var body = original.body
        body.payload = .transfer(to: bob.address, amount: Amount(9)!, memo: "")
        let tampered = Transaction(body: body, signature: original.signature)
        #expect(tampered.id != original.id)
        var header = built.header
        header.txRoot = Block.txRoot([tampered])
        let before = counter.count
        #expect {
            try follower.verifyProposal(Block(header: header, transactions: [tampered]), now: 2_000)
        } throws: { error in
            guard case let .invalid(_, reason) = error as? Chain.BlockError else { return false }
            return reason.contains("bad signature")
        }
        #expect(counter.count == before + 1, "the tampered one was checked")
        #expect(!follower.mempool.verified.contains(tampered.id))
    }

    @Test("a transaction with a bad signature the follower never saw is refused, even beside a valid twin it admitted")
    func forgedStillRefused() throws {
        let proposer = try open(validator)
        let follower = try open(SigningKey())
        let valid = transfer(0)
        try follower.submit(valid)
        try proposer.submit(valid)
        let built = try proposer.buildProposal(proposer: validator.publicKey, now: 2_000)
        // Same body, someone else's signature: another ID, so nothing known about it.
        let forged = Transaction(body: valid.body, signature: bob.sign(valid.body).signature)
        #expect(forged.id != valid.id)
        var header = built.header
        header.txRoot = Block.txRoot([forged])
        let block = Block(header: header, transactions: [forged])
        #expect {
            try follower.verifyProposal(block, now: 2_000)
        } throws: { error in
            guard case let .invalid(_, reason) = error as? Chain.BlockError else { return false }
            return reason.contains("bad signature")
        }
        #expect(!follower.mempool.verified.contains(forged.id))
    }

    @Test("a proposal over the protocol's block size is refused before any signature is checked, whatever the proposer's budget")
    func oversizedRefused() throws {
        let counter = CountingVerifier()
        let follower = try open(SigningKey(), mempool: Mempool(verified: VerifiedSignatures(verifier: counter.verifier)))
        let proposer = try open(validator)
        let built = try proposer.buildProposal(proposer: validator.publicKey, now: 2_000)
        // Transfers with the longest memo, unsigned (the size check comes first), until their
        // bytes pass the 4 MiB limit.
        let memo = String(repeating: "m", count: Limits.maxMemoBytes)
        let one = Transaction(body: TransactionBody(chainID: Self.chainID, sender: alice.publicKey, nonce: 0, fee: Amount(1)!, expiresAt: 1_000,
                                                    payload: .transfer(to: bob.address, amount: Amount(1)!, memo: memo)),
                              signature: Signature(bytes: [UInt8](repeating: 0, count: 64))!)
        let count = Limits.defaultMaxBlockBytes / one.size + 1
        let txs = (0..<count).map { n in
            Transaction(body: TransactionBody(chainID: Self.chainID, sender: alice.publicKey, nonce: UInt64(n), fee: Amount(1)!, expiresAt: 1_000,
                                              payload: .transfer(to: bob.address, amount: Amount(1)!, memo: memo)),
                        signature: one.signature)
        }
        var header = built.header
        header.txRoot = Block.txRoot(txs)
        #expect {
            try follower.verifyProposal(Block(header: header, transactions: txs), now: 2_000)
        } throws: { error in
            guard case let .invalid(_, reason) = error as? Chain.BlockError else { return false }
            return reason.contains("over the block limit")
        }
        #expect(counter.count == 0)
    }

    @Test("admission remembers a checked signature, also of a transaction queued behind a nonce gap")
    func admissionRemembers() throws {
        let chain = try open(validator)
        let tx = transfer(5)  // nonce gap: admitted as queued, signature checked once
        try chain.submit(tx)
        #expect(chain.mempool.verified.contains(tx.id))
        #expect(chain.mempool.verified.count == 1)
    }

    @Test("the bounded cache forgets the oldest IDs past its capacity")
    func bounded() {
        let cache = VerifiedSignatures(capacity: 2)
        let txs = (0..<3).map { transfer(UInt64($0)) }
        for tx in txs { #expect(cache.check(tx)) }
        #expect(cache.count == 2)
        #expect(!cache.contains(txs[0].id) && cache.contains(txs[2].id))
    }

    @Test("with a propose timeout the proposal holds what the measured cost affords (the floor here), without one the whole pool")
    func proposalCappedByBudget() throws {
        let chain = try open(validator, config: Chain.Config(maxBlockTransactions: 1_000))
        for n in 0..<150 { try chain.submit(transfer(UInt64(n))) }
        // Every admission timed its signature check, so the cost is known: no core checks an
        // Ed25519 signature in 1 µs, so a 1 µs timeout affords less than the floor of 100.
        let capped = try chain.buildProposal(proposer: validator.publicKey, now: 2_000, proposeTimeout: .microseconds(1))
        #expect(capped.transactions.count == 100)
        #expect(chain.proposalBudget.current.signatureSeconds != nil)
        let whole = try chain.buildProposal(proposer: validator.publicKey, now: 2_000)
        #expect(whole.transactions.count == 150)
    }
}
