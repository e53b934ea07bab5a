import AgoraCore
import AgoraCrypto
@testable import AgoraState

/// An in-memory chain with named validators, an admin and funded accounts, for driving the
/// staking rules block by block.
struct StakingLedger {
    let chainID = "staking-test"
    var state: MemoryState
    var height: UInt64 = 0
    var executor: BlockExecutor
    let proposer = SigningKey().address
    var nonces: [Address: UInt64] = [:]

    static let treasury = Address(raw: [UInt8](repeating: 0xee, count: 20))

    init(validators: [(SigningKey, UInt64)], bonds: [UInt64]? = nil, admin: SigningKey?, minBond: UInt64 = 1_000,
         slashBps: UInt16 = 500, maxEvidenceAge: UInt64 = 20, allocations: [(SigningKey, UInt64)] = [],
         governance: Genesis.GovernanceConfig? = nil, transferFeeBps: UInt16 = 0, upgrades: UpgradeRegistry = .builtIn) throws {
        let genesis = Genesis(
            chainID: chainID, genesisTime: 0,
            validators: validators.enumerated().map { i, v in
                .init(publicKey: v.0.publicKey.hex, power: v.1, bond: bonds.map { Amount($0[i])! })
            },
            params: .init(treasury: StakingLedger.treasury.description, transferFeeBps: transferFeeBps, minFee: Amount(1)!,
                          faucetAmount: .zero, maxTotalSupply: Amount(1_000_000_000)!,
                          maxAccountBalance: Amount(100_000_000)!, blockReward: .zero),
            allocations: allocations.map { .init(address: $0.0.address.description, amount: Amount($0.1)!) },
            staking: .init(admin: admin?.address.description, minBond: Amount(minBond)!, doubleSignSlashBps: slashBps,
                           maxEvidenceAge: maxEvidenceAge),
            governance: governance)
        state = MemoryState()
        state.apply(try genesis.resolve().state)
        executor = BlockExecutor(chainID: chainID, upgrades: upgrades)
    }

    /// Executes one block in propose mode and applies it.
    @discardableResult
    mutating func block(_ txs: [Transaction] = []) throws -> ExecutedBlock {
        height += 1
        let result = try executor.execute(txs, context: BlockContext(height: height, timestamp: height, proposer: proposer),
                                          base: state, mode: .propose)
        state.apply(result.writes)
        for tx in result.included { nonces[tx.sender] = tx.body.nonce + 1 }
        return result
    }

    /// Runs one transaction in its own block and returns its outcome.
    mutating func run(_ tx: Transaction) throws -> Outcome {
        let result = try block([tx])
        if let (_, reason) = result.rejected.first { return .rejected(reason) }
        return .included(result.receipts[0].failure)
    }

    enum Outcome: Equatable {
        case included(ExecutionFailure?)
        case rejected(Rejection)
        static let ok = Outcome.included(nil)
    }

    /// A transaction from `key` with its next nonce.
    func tx(_ key: SigningKey, fee: UInt64 = 1, chain: String? = nil, _ payload: Payload) -> Transaction {
        key.sign(TransactionBody(chainID: chain ?? chainID, sender: key.publicKey, nonce: nonces[key.address] ?? 0,
                                 fee: Amount(fee)!, expiresAt: 1_000_000, payload: payload))
    }

    func rotation(_ old: SigningKey, to new: SigningKey, chain: String? = nil, signer: SigningKey? = nil) -> Transaction {
        let proof = (signer ?? new).sign(KeyRotation.message(chainID: chain ?? chainID, oldKey: old.publicKey))
        return tx(old, .rotateValidatorKey(newKey: new.publicKey, proof: proof))
    }

    /// Two conflicting prevotes by `key` at `height`.
    func doubleSign(_ key: SigningKey, height: UInt64, chain: String? = nil) -> DuplicateVoteEvidence {
        func vote(_ b: UInt8) -> SignedVote {
            let v = Vote(chainID: chain ?? chainID, height: height, round: 0, kind: .prevote, blockHash: Hash.sha256([b]))
            return SignedVote(vote: v, validator: key.publicKey, signature: key.sign(v.signingBytes))
        }
        return try! DuplicateVoteEvidence(vote(1), vote(2))
    }

    func validators(at h: UInt64) throws -> ValidatorSet { try Staking.validators(forHeight: h, state: state) }
    func working() throws -> ValidatorSet { try Staking.workingSet(state) }
    func record(_ k: SigningKey) throws -> ValidatorRecord? { try Staking.record(k.publicKey, state: state) }
    func bond(_ k: SigningKey) throws -> UInt64 { try record(k)?.bond.units ?? 0 }

    func balance(_ k: SigningKey) throws -> UInt64 {
        try state.entries[BankKeys.account(k.address)].map { try Account(canonicalBytes: $0).balance.units } ?? 0
    }

    func supply() throws -> UInt64 { try Amount(canonicalBytes: state.entries[BankKeys.supply]!).units }

    /// Every balance plus every bond: must always equal the recorded supply.
    func balancesAndBonds() throws -> UInt64 {
        var total: UInt64 = 0
        for (key, value) in state.entries {
            if key.bytes.starts(with: Array(BankKeys.accountPrefix.utf8)) { total += try Account(canonicalBytes: value).balance.units }
            if key.bytes.starts(with: StakingKeys.recordPrefix) { total += try ValidatorRecord(canonicalBytes: value).bond.units }
        }
        return total
    }
}
