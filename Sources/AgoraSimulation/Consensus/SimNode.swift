import AgoraConsensus
import AgoraCore
import AgoraCrypto

/// One simulated validator: the real `ConsensusEngine`, its signing guard over an in-memory
/// store, and what survives a crash (the committed chain — a node's block store — and the sign
/// state). Everything else is lost on a crash and rebuilt on restart.
struct SimNode: Sendable {
    struct Decided: Sendable {
        let block: Block
        let hash: Hash
        let commit: Commit
    }

    let index: Int
    let key: SigningKey
    let isByzantine: Bool
    let store: InMemorySignStateStore
    var signer: SigningGuard
    var engine: ConsensusEngine
    var up = true
    /// Incremented on every crash so that timers set before it are ignored.
    var epoch = 0
    var chain: [Decided] = []
    /// Messages for the next height, replayed when it starts.
    var buffered: [ConsensusMessage] = []
    /// The node's own signed proposal and votes at its current height, re-sent on every gossip
    /// tick (what a real gossip layer does until peers have them): the latest
    /// `maxOwnVotes`, oldest first. The votes survive a crash, as CometBFT's consensus WAL does:
    /// a restarted validator replays them to its engine and its peers, since its sign state
    /// remembers only the last one and peers may still be waiting for the others.
    var latestProposal: [UInt8]?
    var ownVotes: [[UInt8]] = []
    /// The engine's last lock (from `.lock`), durable like the sign state: a restart at that
    /// height restores it, or the validator could precommit another block in a later round.
    var lock: (height: UInt64, round: UInt32, block: Block, polka: [SignedVote])?
    /// Chain length when the network healed; liveness counts from here.
    var committedAtHeal = 0

    static let maxBuffered = 512
    static let maxOwnVotes = 16

    mutating func remember(vote bytes: [UInt8]) {
        if ownVotes.contains(bytes) { return }
        ownVotes.append(bytes)
        if ownVotes.count > SimNode.maxOwnVotes { ownVotes.removeFirst() }
    }

    init(index: Int, key: SigningKey, isByzantine: Bool, engine: ConsensusEngine) {
        self.index = index
        self.key = key
        self.isByzantine = isByzantine
        self.engine = engine
        store = InMemorySignStateStore()
        // A fresh in-memory store is empty, so this cannot fail.
        signer = try! SigningGuard(key: key, store: store)
    }

    var height: UInt64 { UInt64(chain.count) + 1 }
    var lastHash: Hash { chain.last?.hash ?? .zero }

    /// Loses everything volatile.
    mutating func crash(freshEngine: ConsensusEngine) {
        up = false
        epoch += 1
        engine = freshEngine
        buffered = []
        latestProposal = nil
    }

    /// Comes back with the sign state reloaded from its store.
    mutating func restart() throws(SignStateError) {
        up = true
        signer = try SigningGuard(key: key, store: store)
    }
}
