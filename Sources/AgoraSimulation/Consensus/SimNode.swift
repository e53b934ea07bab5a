import AgoraConsensus
import AgoraCore
import AgoraCrypto

/// One simulated validator: the real `ConsensusEngine`, its signing guard, and what survives a
/// crash (the committed chain — a node's block store — the sign state and the consensus WAL).
/// Without storage faults the stores are perfect memory; with them the journal and the block
/// store sit on a faulty disk (`SimDisk`) and a restart rebuilds the chain from what proves
/// itself. Everything else is lost on a crash and rebuilt on restart.
struct SimNode: Sendable {
    struct Decided: Sendable {
        let block: Block
        let hash: Hash
        let commit: Commit
    }

    let index: Int
    let key: SigningKey
    let isByzantine: Bool
    let store: any SignStateStore
    /// With storage faults: the signing journal and the block store on the faulty disk.
    let journal: SimJournal?
    var blockLog: FaultyLog?
    /// The consensus WAL's own signed messages (sign bytes, signature), the latest
    /// `maxWAL`, kept across crashes: a restart raises the guard to them.
    var wal: [(signBytes: [UInt8], signature: Signature)] = []
    /// Down for good: its journal did not prove itself at a restart (an operator must step in).
    var refusedStart = false
    /// Came back from a crash with fewer blocks than it had committed (a lying fsync lost
    /// them): amnesia, a fault of its own — it may only catch up from peers that still have them.
    var lostCommitted = false
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
    static let maxWAL = 32

    mutating func logSigned(_ signBytes: [UInt8], _ signature: Signature) {
        wal.append((signBytes, signature))
        if wal.count > SimNode.maxWAL { wal.removeFirst() }
    }

    mutating func remember(vote bytes: [UInt8]) {
        if ownVotes.contains(bytes) { return }
        ownVotes.append(bytes)
        if ownVotes.count > SimNode.maxOwnVotes { ownVotes.removeFirst() }
    }

    init(index: Int, key: SigningKey, isByzantine: Bool, engine: ConsensusEngine, storage: StorageFaults? = nil, seed: UInt64 = 0) {
        self.index = index
        self.key = key
        self.isByzantine = isByzantine
        self.engine = engine
        if let storage, !isByzantine {
            let journal = SimJournal(seed: seed ^ (UInt64(index) << 32) ^ 0x4A4E_4C, faults: storage)
            self.journal = journal
            store = journal
            blockLog = FaultyLog(seed: seed ^ (UInt64(index) << 32) ^ 0x424C_4B, faults: storage)
        } else {
            journal = nil
            store = InMemorySignStateStore()
        }
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

    /// Comes back with the sign state reloaded from its store (verified unless a test turns
    /// that off); a journal that does not prove itself keeps the node down.
    mutating func restart(verifyingJournal: Bool = true) throws(SignStateError) {
        signer = try SigningGuard(key: key, store: store, verifiesRecord: verifyingJournal)
        up = true
    }
}
