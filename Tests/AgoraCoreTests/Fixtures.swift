@testable import AgoraCore

typealias SeededRandom = SplitMix64

enum Fixtures {
    static func hash(_ r: inout SeededRandom) -> Hash { Hash(bytes: r.bytes(32))! }
    static func key(_ r: inout SeededRandom) -> PublicKey { PublicKey(bytes: r.bytes(32))! }
    static func address(_ r: inout SeededRandom) -> Address { Address(raw: r.bytes(20)) }
    static func amount(_ r: inout SeededRandom) -> Amount { Amount(UInt64.random(in: 0...UInt64(Int64.max), using: &r))! }

    static func payload(_ r: inout SeededRandom) -> Payload {
        switch Int.random(in: 0...6, using: &r) {
        case 0: return .faucet
        case 1: return .validatorUpdate(publicKey: key(&r), power: r.next())
        case 2: return .bond(amount: amount(&r))
        case 3: return .unbond(amount: amount(&r))
        case 4: return .rotateValidatorKey(newKey: key(&r), proof: Signature(bytes: r.bytes(64))!)
        case 5: return .evidence(evidence(&r))
        default:
            let memoLength = Int.random(in: 0...20, using: &r)
            return .transfer(to: address(&r), amount: amount(&r), memo: String(repeating: "m", count: memoLength))
        }
    }

    /// Two votes of one validator at one position for different blocks (signatures are random:
    /// the codec does not check them).
    static func evidence(_ r: inout SeededRandom) -> DuplicateVoteEvidence {
        let validator = key(&r)
        let height = r.next(), round = UInt32.random(in: 0...10, using: &r)
        let kind: Vote.Kind = Bool.random(using: &r) ? .prevote : .precommit
        func signed(_ hash: Hash) -> SignedVote {
            SignedVote(vote: Vote(chainID: "chain", height: height, round: round, kind: kind, blockHash: hash),
                       validator: validator, signature: Signature(bytes: r.bytes(64))!)
        }
        return try! DuplicateVoteEvidence(signed(hash(&r)), signed(hash(&r)))
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
