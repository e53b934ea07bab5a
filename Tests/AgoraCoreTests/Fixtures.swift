@testable import AgoraCore

typealias SeededRandom = SplitMix64

enum Fixtures {
    static func hash(_ r: inout SeededRandom) -> Hash { Hash(bytes: r.bytes(32))! }
    static func key(_ r: inout SeededRandom) -> PublicKey { PublicKey(bytes: r.bytes(32))! }
    static func address(_ r: inout SeededRandom) -> Address { Address(raw: r.bytes(20)) }
    static func amount(_ r: inout SeededRandom) -> Amount { Amount(UInt64.random(in: 0...UInt64(Int64.max), using: &r))! }

    static func payload(_ r: inout SeededRandom) -> Payload {
        if Bool.random(using: &r) { return .faucet }
        let memoLength = Int.random(in: 0...20, using: &r)
        return .transfer(to: address(&r), amount: amount(&r), memo: String(repeating: "m", count: memoLength))
    }

    static func transaction(_ r: inout SeededRandom) -> Transaction {
        let body = TransactionBody(chainID: "chain-\(Int.random(in: 0...9, using: &r))", sender: key(&r),
                                   nonce: r.next(), fee: amount(&r), expiresAt: r.next(), payload: payload(&r))
        return Transaction(body: body, signature: Signature(bytes: r.bytes(64))!)
    }

    static func commit(_ r: inout SeededRandom) -> Commit {
        let n = Int.random(in: 0...4, using: &r)
        var seen = Set<PublicKey>()
        var sigs: [CommitSignature] = []
        for _ in 0..<n {
            let k = key(&r)
            if seen.insert(k).inserted { sigs.append(CommitSignature(validator: k, signature: Signature(bytes: r.bytes(64))!)) }
        }
        return Commit(height: r.next(), round: UInt32.random(in: 0...10, using: &r), blockHash: hash(&r), signatures: sigs)
    }

    static func block(_ r: inout SeededRandom, transactions: Int? = nil) -> Block {
        let txs = (0..<(transactions ?? Int.random(in: 0...5, using: &r))).map { _ in transaction(&r) }
        let header = BlockHeader(chainID: "chain", height: r.next(), previousHash: hash(&r), timestamp: r.next(), proposer: key(&r),
                                 txRoot: Block.txRoot(txs), stateRoot: hash(&r), validatorSetHash: hash(&r),
                                 lastCommit: Bool.random(using: &r) ? commit(&r) : nil)
        return Block(header: header, transactions: txs)
    }
}
