import AgoraCore
import AgoraCrypto
@testable import AgoraConsensus

/// Deterministic keys, validator sets, blocks and signed messages for the engine tests.
enum Fixtures {
    static let chainID = "agora-test"

    static func keys(_ n: Int, seed: UInt64 = 7) -> [SigningKey] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in try! SigningKey(seed: rng.bytes(32)) }
    }

    static func set(_ keys: [SigningKey], powers: [UInt64]? = nil) -> ValidatorSet {
        try! ValidatorSet(keys.enumerated().map { Validator(publicKey: $1.publicKey, power: powers?[$0] ?? 1) })
    }

    static func block(height: UInt64 = 1, proposer: PublicKey, variant: UInt64 = 0) -> Block {
        Block(header: BlockHeader(chainID: chainID, height: height, previousHash: .zero, timestamp: 1_000 + variant,
                                  proposer: proposer, txRoot: Block.txRoot([]), stateRoot: .zero,
                                  validatorSetHash: .zero, lastCommit: nil), transactions: [])
    }

    static func vote(_ key: SigningKey, _ kind: Vote.Kind, height: UInt64 = 1, round: UInt32, _ hash: Hash) -> SignedVote {
        let vote = Vote(chainID: chainID, height: height, round: round, kind: kind, blockHash: hash)
        return SignedVote(vote: vote, validator: key.publicKey, signature: key.sign(vote.signingBytes))
    }

    static func proposal(_ key: SigningKey, height: UInt64 = 1, round: UInt32, polRound: Int32 = -1, _ block: Block) -> SignedProposal {
        let p = Proposal(chainID: chainID, height: height, round: round, polRound: polRound, block: block)
        return SignedProposal(proposal: p, proposer: key.publicKey, signature: key.sign(p.signingBytes))
    }

    static func engine() -> ConsensusEngine {
        ConsensusEngine(chainID: chainID, timeouts: ConsensusTimeouts(proposeBase: 100, proposeDelta: 10, prevoteBase: 50,
                                                                      prevoteDelta: 5, precommitBase: 60, precommitDelta: 6))
    }
}

extension Array where Element == ConsensusAction {
    var votes: [Vote] { compactMap { if case let .broadcastVote(v) = $0 { v } else { nil } } }
    var commits: [(Block, Commit)] { compactMap { if case let .commit(b, c) = $0 { (b, c) } else { nil } } }
    var evidence: [DuplicateVoteEvidence] { compactMap { if case let .evidence(e) = $0 { e } else { nil } } }
    var proposals: [Proposal] { compactMap { if case let .broadcastProposal(p) = $0 { p } else { nil } } }
    var timeouts: [(round: UInt32, step: ConsensusStep, duration: UInt64)] {
        compactMap { if case let .scheduleTimeout(_, r, s, d) = $0 { (r, s, d) } else { nil } }
    }
}

/// N engines wired together synchronously: every broadcast is signed with the node's key and
/// delivered to every engine (its own included) in FIFO order.
struct Cluster {
    var keys: [SigningKey]
    var engines: [ConsensusEngine]
    var committed: [[(Block, Commit)]]
    let set: ValidatorSet

    init(_ n: Int, powers: [UInt64]? = nil) {
        keys = Fixtures.keys(n)
        set = Fixtures.set(keys, powers: powers)
        engines = Array(repeating: Fixtures.engine(), count: n)
        committed = Array(repeating: [], count: n)
    }

    mutating func start(height: UInt64 = 1) {
        var queue: [(Int, ConsensusEvent)] = []
        for i in engines.indices { queue.append((i, .startHeight(height: height, validators: set, ownKey: keys[i].publicKey))) }
        run(queue)
    }

    mutating func run(_ initial: [(Int, ConsensusEvent)]) {
        var queue = initial
        var next = 0
        while next < queue.count {
            let (i, event) = queue[next]
            next += 1
            for action in engines[i].step(event) {
                switch action {
                case let .buildProposal(h, r):
                    queue.append((i, .proposalBuilt(height: h, round: r, block: Fixtures.block(height: h, proposer: keys[i].publicKey))))
                case let .broadcastProposal(p):
                    let signed = SignedProposal(proposal: p, proposer: keys[i].publicKey, signature: keys[i].sign(p.signingBytes))
                    for j in engines.indices { queue.append((j, .proposalReceived(signed, isValid: true))) }
                case let .broadcastVote(v):
                    let signed = SignedVote(vote: v, validator: keys[i].publicKey, signature: keys[i].sign(v.signingBytes))
                    for j in engines.indices { queue.append((j, .voteReceived(signed))) }
                case let .commit(b, c):
                    committed[i].append((b, c))
                default:
                    break
                }
            }
        }
    }
}
