import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// A small in-memory chain for exercising the bank's rules block by block.
struct Ledger {
    static let treasury = Address(raw: [UInt8](repeating: 0xee, count: 20))
    let chainID = "test"
    var state: MemoryState
    var height: UInt64 = 0
    let executor: BlockExecutor
    let proposer = SigningKey().address

    init(allocations: [(SigningKey, UInt64)], faucet: UInt64 = 0, minFee: UInt64 = 1, bps: UInt16 = 100,
         maxSupply: UInt64 = 1_000_000_000, maxBalance: UInt64 = 100_000_000, reward: UInt64 = 0) throws {
        let genesis = Genesis(chainID: chainID, genesisTime: 0, validators: [.init(publicKey: SigningKey().publicKey.hex, power: 1)],
                              params: .init(treasury: Ledger.treasury.description, transferFeeBps: bps, minFee: Amount(minFee)!,
                                            faucetAmount: Amount(faucet)!, maxTotalSupply: Amount(maxSupply)!,
                                            maxAccountBalance: Amount(maxBalance)!, blockReward: Amount(reward)!),
                              allocations: allocations.map { .init(address: $0.0.address.description, amount: Amount($0.1)!) })
        state = MemoryState()
        state.apply(try genesis.resolve().state)
        executor = BlockExecutor(chainID: chainID)
    }

    /// Executes one block in propose mode and applies it.
    @discardableResult
    mutating func block(_ txs: [Transaction]) throws -> ExecutedBlock {
        height += 1
        let result = try executor.execute(txs, context: BlockContext(height: height, timestamp: height, proposer: proposer),
                                          base: state, mode: .propose)
        state.apply(result.writes)
        return result
    }

    func account(_ a: Address) throws -> Account {
        try state.entries[BankKeys.account(a)].map { try Account(canonicalBytes: $0) } ?? .empty
    }

    func balance(_ k: SigningKey) throws -> UInt64 { try account(k.address).balance.units }

    func supply() throws -> UInt64 { try Amount(canonicalBytes: state.entries[BankKeys.supply]!).units }

    /// Sum of every account balance: must always equal the recorded supply.
    func sumOfBalances() throws -> UInt64 {
        try state.entries.filter { $0.key.bytes.starts(with: Array(BankKeys.accountPrefix.utf8)) }
            .reduce(0) { $0 + (try Account(canonicalBytes: $1.value)).balance.units }
    }

    func tx(_ key: SigningKey, nonce: UInt64, fee: UInt64 = 1, expiresAt: UInt64 = 1_000, chain: String? = nil, _ payload: Payload) -> Transaction {
        key.sign(TransactionBody(chainID: chain ?? chainID, sender: key.publicKey, nonce: nonce, fee: Amount(fee)!,
                                 expiresAt: expiresAt, payload: payload))
    }

    func transfer(_ from: SigningKey, to: SigningKey, _ amount: UInt64, nonce: UInt64, fee: UInt64 = 1) -> Transaction {
        tx(from, nonce: nonce, fee: fee, .transfer(to: to.address, amount: Amount(amount)!, memo: ""))
    }
}

@Suite("Bank module")
struct BankTests {
    let alice = SigningKey(), bob = SigningKey()

    @Test("a transfer moves the amount, charges fee and transfer fee to the treasury, and bumps the nonce")
    func transfer() throws {
        var ledger = try Ledger(allocations: [(alice, 10_000)])
        let result = try ledger.block([ledger.transfer(alice, to: bob, 1_000, nonce: 0, fee: 5)])
        #expect(result.receipts == [Receipt(feePaid: Amount(5)!, failure: nil)])
        #expect(try ledger.balance(alice) == 10_000 - 1_000 - 10 - 5)  // 100 bps of 1000 = 10
        #expect(try ledger.balance(bob) == 1_000)
        #expect(try ledger.account(Ledger.treasury).balance.units == 15)
        #expect(try ledger.account(alice.address).nonce == 1)
        #expect(try ledger.sumOfBalances() == ledger.supply())
    }

    @Test("replayed, skipped, foreign-chain and expired transactions are not includable")
    func notIncludable() throws {
        var ledger = try Ledger(allocations: [(alice, 10_000)])
        let first = ledger.transfer(alice, to: bob, 10, nonce: 0)
        try ledger.block([first])
        let result = try ledger.block([
            first,                                                          // replay
            ledger.transfer(alice, to: bob, 10, nonce: 5),                  // gap
            ledger.tx(alice, nonce: 1, chain: "other", .transfer(to: bob.address, amount: Amount(1)!, memo: "")),
            ledger.tx(alice, nonce: 1, expiresAt: 1, .transfer(to: bob.address, amount: Amount(1)!, memo: "")),
            ledger.transfer(alice, to: bob, 10, nonce: 1, fee: 0),          // below min fee
        ])
        #expect(result.included.isEmpty)
        #expect(result.rejected.map(\.1) == [
            .nonceTooLow(expected: 1, got: 0), .nonceTooHigh(expected: 1, got: 5), .wrongChain(expected: "test", got: "other"),
            .expired(expiresAt: 1, height: 2), .feeTooLow(minimum: Amount(1)!, got: .zero),
        ])
        #expect(try ledger.account(alice.address).nonce == 1)
    }

    @Test("a block in verify mode is invalid if any transaction is not includable")
    func verifyMode() throws {
        let ledger = try Ledger(allocations: [(alice, 10_000)])
        let bad = ledger.transfer(alice, to: bob, 10, nonce: 3)
        #expect(throws: BlockRejection.transactionNotAdmissible(index: 1, id: bad.id, .nonceTooHigh(expected: 1, got: 3))) {
            try ledger.executor.execute([ledger.transfer(alice, to: bob, 10, nonce: 0), bad],
                                        context: BlockContext(height: 1, timestamp: 1, proposer: ledger.proposer),
                                        base: ledger.state, mode: .verify)
        }
    }

    @Test("a sender who cannot pay the fee is refused; one who cannot pay the amount pays the fee and fails")
    func insufficientFunds() throws {
        var ledger = try Ledger(allocations: [(alice, 100), (bob, 0)])
        let result = try ledger.block([
            ledger.transfer(bob, to: alice, 1, nonce: 0),
            ledger.transfer(alice, to: bob, 99, nonce: 0, fee: 2),
        ])
        #expect(result.rejected.map(\.1) == [.insufficientFundsForFee(balance: .zero, fee: Amount(1)!)])
        #expect(result.receipts == [Receipt(feePaid: Amount(2)!, failure: .insufficientBalance(balance: Amount(98)!, needed: Amount(99)!))])
        #expect(try ledger.balance(alice) == 98)
        #expect(try ledger.balance(bob) == 0)
        #expect(try ledger.account(alice.address).nonce == 1)
        #expect(try ledger.sumOfBalances() == ledger.supply())
    }

    @Test("zero-amount transfers fail and transfers past the recipient's balance cap fail")
    func caps() throws {
        var ledger = try Ledger(allocations: [(alice, 5_000), (bob, 9_990)], maxBalance: 10_000)
        let result = try ledger.block([
            ledger.tx(alice, nonce: 0, .transfer(to: bob.address, amount: .zero, memo: "")),
            ledger.transfer(alice, to: bob, 11, nonce: 1),
            ledger.transfer(alice, to: bob, 10, nonce: 2),
        ])
        #expect(result.receipts.map(\.failure) == [.zeroAmount, .recipientBalanceCap(maximum: Amount(10_000)!, resulting: 10_001), nil])
        #expect(try ledger.balance(bob) == 10_000)
        #expect(try ledger.sumOfBalances() == ledger.supply())
    }

    @Test("the faucet grants once per account, within the supply cap, and only when enabled")
    func faucet() throws {
        var ledger = try Ledger(allocations: [(alice, 100)], faucet: 500, maxSupply: 1_000, maxBalance: 1_000)
        let carol = SigningKey()
        let r1 = try ledger.block([ledger.tx(bob, nonce: 0, fee: 0, .faucet), ledger.tx(bob, nonce: 1, fee: 0, .faucet),
                                   ledger.tx(carol, nonce: 0, fee: 0, .faucet)])
        #expect(r1.included.count == 1)
        #expect(r1.rejected.map(\.1) == [.faucetAlreadyClaimed, .faucetExhausted])
        #expect(try ledger.balance(bob) == 500)
        #expect(try ledger.supply() == 600)
        let r2 = try ledger.block([ledger.tx(carol, nonce: 0, fee: 3, .faucet)])
        #expect(r2.rejected.map(\.1) == [.faucetFeeMustBeZero(Amount(3)!)])

        var off = try Ledger(allocations: [(alice, 100)], faucet: 0)
        #expect(try off.block([off.tx(bob, nonce: 0, fee: 0, .faucet)]).rejected.map(\.1) == [.faucetDisabled])
    }

    @Test("block rewards are minted to the proposer and stop at the supply cap")
    func rewards() throws {
        var ledger = try Ledger(allocations: [(alice, 990)], maxSupply: 1_000, maxBalance: 1_000, reward: 4)
        for _ in 0..<5 { try ledger.block([]) }
        #expect(try ledger.account(ledger.proposer).balance.units == 10)
        #expect(try ledger.supply() == 1_000)
        #expect(try ledger.sumOfBalances() == 1_000)
    }

    @Test("genesis rejects duplicate, over-cap and malformed entries with the field named")
    func genesisValidation() throws {
        func genesis(_ allocations: [Genesis.Allocation], bps: UInt16 = 0, chain: String = "ok") -> Genesis {
            Genesis(chainID: chain, genesisTime: 0, validators: [.init(publicKey: SigningKey().publicKey.hex, power: 1)],
                    params: .init(treasury: Ledger.treasury.description, transferFeeBps: bps, minFee: .zero, faucetAmount: .zero,
                                  maxTotalSupply: Amount(1_000)!, maxAccountBalance: Amount(600)!, blockReward: .zero),
                    allocations: allocations)
        }
        let a = alice.address.description
        #expect(throws: GenesisError.invalid("allocations[1]: \(alice.address) appears twice")) {
            try genesis([.init(address: a, amount: Amount(1)!), .init(address: a, amount: Amount(1)!)]).resolve()
        }
        #expect(throws: GenesisError.invalid("allocations[0]: 700 is above params.maxAccountBalance")) {
            try genesis([.init(address: a, amount: Amount(700)!)]).resolve()
        }
        #expect(throws: GenesisError.invalid("allocations total 1200, above params.maxTotalSupply")) {
            try genesis([.init(address: a, amount: Amount(600)!), .init(address: bob.address.description, amount: Amount(600)!)]).resolve()
        }
        #expect(throws: GenesisError.invalid("params.transferFeeBps 10001 is above 10000")) { try genesis([], bps: 10_001).resolve() }
        #expect(throws: GenesisError.self) { try genesis([], chain: "Not Valid").resolve() }
        #expect(throws: GenesisError.self) { try genesis([.init(address: "ag1zz", amount: .zero)]).resolve() }
    }
}

@Suite("State machine properties")
struct StatePropertyTests {
    @Test("random blocks keep supply equal to the sum of balances and replay to the same state root", arguments: 0..<20)
    func supplyAndDeterminism(seed: Int) throws {
        var r = SeededGenerator(seed: UInt64(seed))
        let keys = (0..<6).map { _ in SigningKey() }
        var ledger = try Ledger(allocations: keys.prefix(4).map { ($0, UInt64.random(in: 0...5_000, using: &r)) },
                                faucet: 300, bps: UInt16.random(in: 0...500, using: &r), maxBalance: 20_000, reward: 3)
        var replica = ledger
        var nonces = [UInt64](repeating: 0, count: keys.count)
        var tree = MemoryTreeNodes(), replicaTree = MemoryTreeNodes()
        var root = Hash.zero, replicaRoot = Hash.zero
        for height in 0..<15 {
            var txs: [Transaction] = []
            for _ in 0..<Int.random(in: 0...12, using: &r) {
                let i = Int.random(in: 0..<keys.count, using: &r)
                let payload: Payload = Int.random(in: 0..<8, using: &r) == 0
                    ? .faucet
                    : .transfer(to: keys.randomElement(using: &r)!.address, amount: Amount(UInt64.random(in: 0...3_000, using: &r))!, memo: "")
                // Mostly the right nonce, sometimes a replay or a gap.
                let nonce = Int.random(in: 0..<10, using: &r) == 0 ? nonces[i] + UInt64.random(in: 0...2, using: &r) : nonces[i]
                let fee: UInt64 = { if case .faucet = payload { return 0 } else { return UInt64.random(in: 0...3, using: &r) } }()
                let tx = ledger.tx(keys[i], nonce: nonce, fee: fee, payload)
                txs.append(tx)
                nonces[i] = nonce == nonces[i] ? nonces[i] + 1 : nonces[i]
            }
            let a = try ledger.block(txs)
            let b = try replica.block(txs)
            #expect(a.writes == b.writes)
            let base: UInt64? = height == 0 ? nil : UInt64(height - 1)
            let ua = try StateTree.update(tree, base: base, version: UInt64(height), writes: a.writes)
            let ub = try StateTree.update(replicaTree, base: base, version: UInt64(height), writes: b.writes)
            tree.apply(ua, prune: true)
            replicaTree.apply(ub, prune: true)
            (root, replicaRoot) = (ua.root, ub.root)
            #expect(try ledger.sumOfBalances() == ledger.supply(), "seed \(seed)")
            // Resync nonces with what actually executed.
            for (i, k) in keys.enumerated() { nonces[i] = try ledger.account(k.address).nonce }
        }
        #expect(root == replicaRoot)
    }

    @Test("the incremental state digest equals the digest computed from scratch")
    func digest() throws {
        let alice = SigningKey(), bob = SigningKey()
        var ledger = try Ledger(allocations: [(alice, 10_000)])
        var digest = StateDigest()
        for (k, v) in ledger.state.entries { digest.add(key: k.bytes, value: v) }
        for n in 0..<5 {
            let r = try ledger.block([ledger.transfer(alice, to: bob, 100, nonce: UInt64(n))])
            digest.apply(r.writes)
        }
        var scratch = StateDigest()
        for (k, v) in ledger.state.entries { scratch.add(key: k.bytes, value: v) }
        #expect(digest == scratch)
        #expect(StateDigest(bytes: digest.bytes) == digest)
    }

    @Test("an overlay rollback undoes only the writes after the savepoint")
    func overlayRollback() throws {
        let overlay = StateOverlay(base: MemoryState([StateKey("a"): [1]]))
        try overlay.set(StateKey("a"), [2])
        overlay.savepoint()
        try overlay.set(StateKey("a"), [3])
        try overlay.set(StateKey("b"), [4])
        overlay.rollback()
        #expect(try overlay.get(StateKey("a")) == [2])
        #expect(try overlay.get(StateKey("b")) == nil)
        let writes = overlay.writeSet()
        #expect(writes.entries.map(\.key) == [StateKey("a")])
        #expect(writes.entries.first?.previous == [1])
    }
}

typealias SeededGenerator = SplitMix64
