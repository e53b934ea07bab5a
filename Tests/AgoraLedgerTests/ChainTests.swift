import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
@testable import AgoraStorage
import Foundation
import GRDB
import Logging
import Testing

@Suite("Chain")
struct ChainTests {
    let validator = SigningKey()
    let alice = SigningKey()
    let bob = SigningKey()
    let logger = Logger(label: "test")

    func newStore(chain: String = "chain-test") throws -> BlockStore {
        let dir = NSTemporaryDirectory() + "agora-chain-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try BlockStore(path: dir + "/agora.sqlite")
        try store.initialize(try Genesis(
            chainID: chain, genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 3, count: 20)).description, transferFeeBps: 0, minFee: Amount(1)!,
                          faucetAmount: Amount(50)!, maxTotalSupply: Amount(1_000_000)!, maxAccountBalance: Amount(1_000_000)!,
                          blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(10_000)!)]).resolve())
        return store
    }

    func transfer(_ nonce: UInt64, amount: UInt64 = 10, chain: String = "chain-test") -> Transaction {
        alice.sign(TransactionBody(chainID: chain, sender: alice.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: 1_000,
                                   payload: .transfer(to: bob.address, amount: Amount(amount)!, memo: "")))
    }

    @Test("submitted transactions are committed in sealed blocks that chain to each other")
    func producesBlocks() throws {
        let chain = try Chain(store: try newStore(), validatorKey: validator, logger: logger)
        try chain.submit(transfer(0))
        try chain.submit(transfer(1))
        let first = try chain.produceBlock(now: 2_000)
        #expect(first.height == 1 && first.transactions == 2)
        try chain.submit(transfer(2))
        let second = try chain.produceBlock(now: 1_500) // clock went backwards: timestamp still increases
        let b2 = try #require(try chain.store.block(height: 2))
        #expect(b2.block.header.previousHash == first.hash)
        #expect(b2.block.header.timestamp == 2_001)
        #expect(b2.block.header.lastCommit?.blockHash == first.hash)
        #expect(Chain.sealIsValid(b2.seal, chainID: "chain-test", validators: chain.identity.validatorSet))
        #expect(second.transactions == 1)
        #expect(try chain.store.account(bob.address).balance == Amount(30)!)
        #expect(chain.mempool.count == 0)
        guard case .committed(let s) = try chain.status(of: transfer(1).id) else { Issue.record("not committed"); return }
        #expect(s.height == 1)
        #expect(throws: Mempool.AdmissionError.alreadyKnown(transfer(1).id)) { try chain.submit(transfer(1)) }
    }

    @Test("after stopCommitting no block commits, from consensus or sync, and the head stays")
    func stopCommittingRefusesLaterCommits() throws {
        let chain = try Chain(store: try newStore(), validatorKey: validator, logger: logger)
        try chain.produceBlock(now: 2_000)
        let report = chain.stopCommitting()
        #expect(report == Chain.StopReport(headAtSignal: 1, commitInProgress: false, finalHead: 1))
        try chain.submit(transfer(0))
        #expect(throws: Chain.Stopping(height: 2)) { try chain.produceBlock(now: 3_000) }
        #expect(chain.snapshot.head.height == 1)
        #expect(try chain.store.head().height == 1)
    }

    @Test("a reopened chain resumes from its head and keeps sealing with lastCommit")
    func reopen() throws {
        let store = try newStore()
        let chain = try Chain(store: store, validatorKey: validator, logger: logger)
        try chain.submit(transfer(0))
        let produced = try chain.produceBlock(now: 5_000)
        let again = try Chain(store: store, validatorKey: validator, logger: logger)
        #expect(again.snapshot.head.hash == produced.hash)
        try again.submit(transfer(1))
        try again.produceBlock(now: 6_000)
        #expect(try store.block(height: 2)?.block.header.lastCommit?.blockHash == produced.hash)
    }

    @Test("a state table edited outside the node is found at start-up")
    func tamperedState() throws {
        let store = try newStore()
        let chain = try Chain(store: store, validatorKey: validator, logger: logger)
        try chain.submit(transfer(0))
        try chain.produceBlock(now: 5_000)
        try store.pool.write { db in
            try db.execute(sql: "UPDATE state SET value = ? WHERE key = ?",
                           arguments: [Data(Account(balance: Amount(999_999)!, nonce: 1, faucetClaimed: false).canonicalBytes),
                                       Data(BankKeys.account(alice.address).bytes)])
        }
        #expect(throws: Chain.OpenError.self) { try Chain(store: store, validatorKey: validator, logger: logger) }
    }

    @Test("opening with another chain ID is refused; a key outside the validator set follows and never produces")
    func identityChecks() throws {
        let store = try newStore()
        #expect(throws: Chain.OpenError.self) { try Chain(store: store, validatorKey: validator, expectedChainID: "other", logger: logger) }
        let follower = try Chain(store: store, validatorKey: SigningKey(), logger: logger)
        #expect(!follower.isValidator)
        #expect(throws: Chain.BlockError.notAValidator) { try follower.produceBlock(now: 5_000) }
    }

    @Test("a follower applies the validator's blocks and ends in the same state; altered blocks are refused")
    func followerApplies() throws {
        let producer = try Chain(store: try newStore(), validatorKey: validator, logger: logger)
        // The follower's store has the same genesis: copy the producer's database before any block.
        let followerStore = try newStore()
        let follower = try Chain(store: followerStore, validatorKey: SigningKey(), logger: logger)
        for n in 0..<3 {
            try producer.submit(transfer(UInt64(n)))
            try producer.produceBlock(now: 2_000 + UInt64(n))
        }
        for height in 1...3 {
            let stored = try #require(try producer.store.block(height: UInt64(height)))
            if height == 2 {
                // Altered copies of block 2 are refused before anything is stored.
                var badRoot = stored.block
                badRoot.header.stateRoot = .zero
                #expect(throws: Chain.BlockError.self) { try follower.applyBlock(badRoot, seal: stored.seal) }
                var badSeal = stored.seal
                badSeal.signatures = [SigningKey().sign(badSeal.vote(chainID: "chain-test"))]
                #expect(throws: Chain.BlockError.self) { try follower.applyBlock(stored.block, seal: badSeal) }
                var dropped = stored.block
                dropped.transactions = []
                #expect(throws: Chain.BlockError.self) { try follower.applyBlock(dropped, seal: stored.seal) }
                #expect(follower.snapshot.head.height == 1)
            }
            try follower.applyBlock(stored.block, seal: stored.seal)
            #expect(throws: Chain.BlockError.notNext(expected: UInt64(height + 1), got: UInt64(height))) {
                try follower.applyBlock(stored.block, seal: stored.seal)
            }
        }
        #expect(follower.snapshot.head.hash == producer.snapshot.head.hash)
        #expect(follower.snapshot.head.stateRoot == producer.snapshot.head.stateRoot)
        #expect(try followerStore.account(bob.address) == (try producer.store.account(bob.address)))
        #expect(try followerStore.computeStateDigest() == follower.snapshot.head.digest)
    }

    @Test("admitted transactions that overspend at execution fail their payload or are refused, and say so")
    func overspendAtExecution() throws {
        let chain = try Chain(store: try newStore(), validatorKey: validator, logger: logger)
        // Each passes admission against the committed balance of 10,000; together they do not fit.
        try chain.submit(transfer(0, amount: 9_990))  // leaves 9
        try chain.submit(transfer(1, amount: 100))    // pays its fee, then cannot pay 100
        try chain.submit(transfer(2, amount: 7))      // leaves 0
        try chain.submit(transfer(3, amount: 1))      // cannot even pay the fee: refused
        let produced = try chain.produceBlock(now: 2_000)
        #expect(produced.transactions == 3)
        #expect(produced.refused == 1)
        guard case .committed(let s) = try chain.status(of: transfer(1, amount: 100).id) else { Issue.record("missing"); return }
        #expect(s.receipt.failure == .insufficientBalance(balance: Amount(8)!, needed: Amount(100)!))
        guard case .rejected(let reason) = try chain.status(of: transfer(3, amount: 1).id) else { Issue.record("not rejected"); return }
        #expect(reason == .insufficientFundsForFee(balance: .zero, fee: Amount(1)!))
        #expect(chain.mempool.count == 0)
    }

    @Test("the mempool's signature check is the only one: block building trusts admitted transactions")
    func signatureCheckedOnce() throws {
        let chain = try Chain(store: try newStore(), validatorKey: validator, logger: logger)
        let good = transfer(0)
        var sig = good.signature.bytes
        sig[1] ^= 1
        let unverified = Transaction(body: good.body, signature: Signature(bytes: sig)!)
        // Admit without verification, as a pre-verified batch would be.
        _ = try chain.mempool.admitVerified(unverified, view: chain.view(), correlationID: nil)
        let produced = try chain.produceBlock(now: 2_000)
        #expect(produced.transactions == 1, "execution does not verify again")
    }
}
