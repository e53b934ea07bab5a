import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Testing

/// Two chains over the same genesis: a validator that proposes and a follower that verifies.
@Suite("Verified signatures")
struct VerifiedSignaturesTests {
    let validator = SigningKey()
    let alice = SigningKey()
    let bob = SigningKey()
    let logger = Logger(label: "test")
    static let chainID = "sig-reuse"

    func open(_ key: SigningKey, config: Chain.Config = Chain.Config()) throws -> Chain {
        let dir = NSTemporaryDirectory() + "agora-sigs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        try store.initialize(try Genesis(
            chainID: Self.chainID, genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 3, count: 20)).description, transferFeeBps: 0, minFee: Amount(1)!,
                          faucetAmount: Amount(50)!, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!,
                          blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(10_000)!)]).resolve())
        return try Chain(store: store, validatorKey: key, config: config, logger: logger)
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
