import AgoraConsensus
import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Testing

/// Consensus timeouts and block limits set by governance take effect at the height after the
/// proposal's `votingEnd`, on every node: two nodes over their own SQLite files (the validator
/// that proposes, a follower that verifies every block) pass a parameter change and agree on the
/// new limit and timeouts from that height, and not before.
@Suite("Governed consensus parameters")
struct GovernedConsensusParamsTests {
    let validator = SigningKey(), follower = SigningKey(), alice = SigningKey(), bob = SigningKey()
    let chainID = "gov-consensus-test"

    func open(_ dir: String, _ name: String, key: SigningKey) throws -> Chain {
        let store = try BlockStore(path: "\(dir)/\(name).sqlite")
        try store.initialize(try Genesis(
            chainID: chainID, genesisTime: 1_000,
            validators: [.init(publicKey: validator.publicKey.hex, power: 1, bond: Amount(1_000)!)],
            params: .init(treasury: Address(raw: [UInt8](repeating: 7, count: 20)).description, transferFeeBps: 0, minFee: .zero,
                          faucetAmount: .zero, maxTotalSupply: Amount(10_000_000)!, maxAccountBalance: Amount(10_000_000)!,
                          blockReward: .zero),
            allocations: [.init(address: alice.address.description, amount: Amount(100_000)!),
                          .init(address: validator.address.description, amount: Amount(100_000)!)],
            staking: .init(minBond: Amount(1_000)!),
            governance: .init(minDeposit: Amount(10)!, depositPeriod: 5, votingPeriod: 2)).resolve())
        return try Chain(store: store, validatorKey: key, logger: Logger(label: name))
    }

    func tx(_ key: SigningKey, _ nonce: UInt64, _ payload: Payload) -> Transaction {
        key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: nonce, fee: .zero, expiresAt: 1_000, payload: payload))
    }

    func transfer(_ nonce: UInt64) -> Transaction { tx(alice, nonce, .transfer(to: bob.address, amount: Amount(1)!, memo: "")) }

    /// The validator produces the next block; the follower verifies and applies it.
    @discardableResult
    func step(_ a: Chain, _ b: Chain, _ txs: [Transaction], now: UInt64) throws -> Block {
        for t in txs { try a.submit(t) }
        let produced = try a.produceBlock(now: now)
        let stored = try #require(try a.store.block(height: produced.height))
        try b.applyBlock(stored.block, seal: stored.seal)
        return stored.block
    }

    @Test("a block-limit and timeout change applies from votingEnd + 1 on the proposer and the follower alike")
    func changeTakesEffectAtTheStatedHeight() throws {
        let dir = NSTemporaryDirectory() + "agora-govcons-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try open(dir, "a", key: validator), b = try open(dir, "b", key: follower)
        let standard = ConsensusTimeouts.standard
        #expect(a.snapshot.consensus == ConsensusParams() && b.snapshot.consensus == ConsensusParams())

        let change = ProposalAction.parameterChange([ParamChange(key: .consensusTimeoutProposeMs, value: 1_234),
                                                     ParamChange(key: .blockMaxTransactions, value: 2)])
        try step(a, b, [tx(alice, 0, .submitProposal(content: ProposalContent(title: "smaller blocks", action: change),
                                                     deposit: Amount(10)!))], now: 2_000)  // 1: voting through 3
        let proposal = try #require(try Governance.proposal(1, state: a.cache))
        #expect(proposal.votingEnd == 3)
        try step(a, b, [tx(validator, 0, .voteProposal(proposal: 1, option: .yes))], now: 3_000)  // 2
        // Height 3 is votingEnd: the old limit still holds for its block.
        let three = try step(a, b, (1...3).map(transfer), now: 4_000)
        #expect(three.transactions.count == 3)
        #expect(try Governance.proposal(1, state: b.cache)?.status == .passed)

        // Height 4 on: both nodes read the same parameters from the state block 3 left.
        for chain in [a, b] {
            #expect(chain.snapshot.consensus.maxTransactions == 2)
            #expect(standard.governed(by: chain.snapshot.consensus).proposeBase == 1_234)
            #expect(standard.governed(by: chain.snapshot.consensus).prevoteBase == standard.prevoteBase)
            #expect(chain.proposalLimits(proposeTimeout: nil).maxTransactions == 2)
        }
        let pending = (4...6).map(transfer)
        for t in pending { try a.submit(t) }
        let built = try a.buildProposal(proposer: validator.publicKey, now: 5_000)
        #expect(built.transactions.count == 2)
        // A proposer that ignored the change: every validator refuses its block, by the count.
        let oversized = Block(header: built.header, transactions: pending)
        #expect(throws: Chain.BlockError.invalid(height: 4, reason: "3 transactions, over the limit of 2")) {
            try b.verifyProposal(oversized, now: 5_000)
        }
        let four = try step(a, b, [], now: 5_000)
        #expect(four.transactions.count == 2)
        #expect(b.snapshot.head.hash == a.snapshot.head.hash)
    }
}
