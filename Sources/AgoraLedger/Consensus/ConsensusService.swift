import AgoraConsensus
import AgoraCore
import AgoraCrypto
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Drives the node's `ConsensusEngine`: the only place where the pure engine meets clocks,
/// keys, disk and the network. It verifies inbound consensus messages (on the network's tasks,
/// in parallel), feeds them to the engine in one loop, builds and checks proposals against the
/// chain, signs through the `SigningGuard` and journals locks and own votes before they leave,
/// runs the round timers, commits decided blocks, and re-gossips what peers may have missed.
///
/// Every node runs it: a validator votes with whichever of its keys is in the height's set (two
/// keys during a key rotation), a follower only counts votes and commits what +2/3 decided.
/// See docs/consensus.md ("Running consensus in the node").
public final class ConsensusService: Service, Sendable {
    public struct Config: Sendable {
        /// Pause after a commit before the next height starts (CometBFT's `timeout_commit`): the
        /// block interval. A full mempool starts the next height at once.
        public var blockInterval: Duration
        public var createEmptyBlocks: Bool
        public var timeouts: ConsensusTimeouts
        /// How often the node tells peers its height and round and, when a round is not moving,
        /// sends its proposal and votes again.
        public var gossipInterval: Duration
        /// Directory of the sign state and the journal.
        public var directory: String
        /// Test-only fault injection: next to every prevote for a block, also sign (past the
        /// signing guard) and send a prevote for nil — a double sign peers must catch.
        public var testingDoubleSign = false
        /// Start although the chain's head is behind what this validator has signed
        /// (`storage.recoverFromPeers`): the lost blocks come back by sync, and the signing
        /// guard still refuses every position at or below the last signed one.
        public var allowStoreBehindSignState = false
        /// First and longest wait between retries of a decided block whose commit failed.
        public var commitRetryBase: Duration = .milliseconds(200)
        public var commitRetryMax: Duration = .seconds(5)
        /// The wall clock block timestamps and the proposal drift check read (skewed in tests and
        /// by `testing.clockOffsetMs`); timers run on the monotonic clock whatever it says.
        public var wallClock: WallClock = .system

        public init(blockInterval: Duration, createEmptyBlocks: Bool = true, timeouts: ConsensusTimeouts = .standard,
                    gossipInterval: Duration = .seconds(1), directory: String) {
            self.blockInterval = blockInterval
            self.createEmptyBlocks = createEmptyBlocks
            self.timeouts = timeouts
            self.gossipInterval = gossipInterval
            self.directory = directory
        }
    }

    /// Where the engine is, for the API, metrics and health.
    public struct Status: Sendable, Equatable {
        public var height: UInt64 = 0
        public var round: UInt32 = 0
        public var step: ConsensusStep = .propose
        public var validator: PublicKey?
        public var lastCommitAt: ContinuousClock.Instant?
        public var lastError: String?
    }

    enum Input: Sendable {
        case message(ConsensusMessage, from: Hash?)
        case timeout(height: UInt64, round: UInt32, step: ConsensusStep)
        case startHeight(UInt64)
        case headMoved
        case gossip
        /// Try the decided block whose commit failed again (see `Driver.pendingCommit`).
        case retryCommit(height: UInt64)
    }

    public enum StartError: Error, CustomStringConvertible {
        case signState(PublicKey, SignStateError)
        case journal(ConsensusJournal.Failure)
        case directory(String, String)
        /// The database ends below a height this validator already signed at: committed blocks
        /// were lost (an old copy restored, or the WAL deleted before a checkpoint).
        case storeBehindSignState(database: String, head: UInt64, signed: UInt64, record: String)

        public var description: String {
            switch self {
            case let .storeBehindSignState(db, head, signed, record):
                return "database \(db) ends at height \(head), but this validator already signed at height \(signed) (\(record)): " +
                    "blocks \(head + 1)…\(signed - 1) that this node committed were lost (an older copy of agora.sqlite, or its -wal file " +
                    "deleted). Recover: restore agora.sqlite (with its -wal, if any) from a backup that reaches height \(signed - 1), or " +
                    "start with storage.recoverFromPeers=true to sync them from p2p.peers; never delete the consensus directory " +
                    "(see docs/operations.md, \"Recovery\")"
            case let .signState(key, e): return "sign state of validator key \(key.address): \(e)"
            case let .journal(e): return e.description
            case let .directory(path, why): return "cannot create consensus directory \(path): \(why)"
            }
        }
    }

    let chain: Chain
    let config: Config
    let transport: (any ConsensusTransport)?
    let logger: Logger
    let metrics: ConsensusMetrics
    let keys: [SigningKey]
    /// Commit successes and failures, for the storage and chain health checks.
    let producer: ProducerStatus
    /// When the head last moved here: with its timestamp, the chain's time (`ProposalTime`).
    public let headArrival: HeadArrival
    private let signers: Mutex<[PublicKey: SigningGuard]>
    /// Where the network's consensus messages are checked and queued for the loop.
    let inbox: ConsensusInbox
    private let inputs: AsyncStream<Input>
    private let continuation: AsyncStream<Input>.Continuation
    private let statusBox = Mutex(Status())
    /// Called with each piece of double-sign evidence the engine finds (the node submits it).
    private let onEvidence = Mutex<Chain.Hook<DuplicateVoteEvidence>?>(nil)
    /// Set by `stop()` at the shutdown signal: nothing is proposed, signed or started after it.
    private let stopping = Mutex(false)

    public var journalPath: String { ConsensusService.journalPath(directory: config.directory) }
    public static func journalPath(directory: String) -> String { directory + "/journal.bin" }
    public static func signStatePath(directory: String, key: PublicKey) -> String {
        directory + "/sign-state-\(key.hex.prefix(16)).json"
    }

    /// Loads the sign state of every key; a corrupt one stops the node (resetting it could
    /// double-sign). `inbox` is the one the network hands consensus messages to (the node
    /// builds it first, for the network's constructor); without one, the service makes its own.
    /// Every block committed on `feed` (the chain's by default) moves the loop to the next height.
    public init(chain: Chain, keys: [SigningKey], config: Config, transport: (any ConsensusTransport)?,
                inbox: ConsensusInbox? = nil, feed: LedgerFeed? = nil, producer: ProducerStatus = ProducerStatus(),
                logger: Logger) throws {
        self.chain = chain
        self.producer = producer
        self.config = config
        self.transport = transport
        self.logger = logger
        self.keys = keys
        let inbox = inbox ?? ConsensusInbox(chain: chain)
        self.inbox = inbox
        metrics = inbox.metrics
        do {
            try FileManager.default.createDirectory(atPath: config.directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StartError.directory(config.directory, "\(error)")
        }
        var guards: [PublicKey: SigningGuard] = [:]
        for key in keys {
            do {
                guards[key.publicKey] = try SigningGuard(
                    key: key, store: FileSignStateStore(path: ConsensusService.signStatePath(directory: config.directory, key: key.publicKey)))
            } catch {
                throw StartError.signState(key.publicKey, error)
            }
        }
        try ConsensusService.checkNotBehind(chain: chain, guards: guards, config: config, logger: logger)
        signers = Mutex(guards)
        (inputs, continuation) = (inbox.inputs, inbox.continuation)
        headArrival = HeadArrival(feed: feed ?? chain.feed)
        (feed ?? chain.feed).onCommit { _, _ in inbox.headMoved() }
    }

    public var status: Status { statusBox.withLock { $0 } }

    /// A validator signs only at head + 1, so a signature (or journal) at height `h` proves this
    /// node once held blocks up to `h - 1`. A head below that means committed blocks are gone:
    /// refuse to start rather than run on (issue 14: a node restarted 24 blocks short, then
    /// stalled behind its own guard while reporting ready).
    static func checkNotBehind(chain: Chain, guards: [PublicKey: SigningGuard], config: Config, logger: Logger) throws {
        let head = chain.snapshot.head.height
        var records = guards.values.compactMap { g in
            g.last.map { ($0.position.height, signStatePath(directory: config.directory, key: g.key.publicKey)) }
        }
        let journalFile = journalPath(directory: config.directory)
        if let journal = try? ConsensusJournal.load(path: journalFile) { records.append((journal.height, journalFile)) }
        guard let latest = records.max(by: { $0.0 < $1.0 }), latest.0 > head + 1 else { return }
        let (signed, record) = latest
        let error = StartError.storeBehindSignState(database: chain.store.path, head: head, signed: signed, record: record)
        guard config.allowStoreBehindSignState else { throw error }
        logger.warning("starting behind this validator's sign state (storage.recoverFromPeers): syncing the lost blocks from peers",
                       metadata: ["head": .stringConvertible(head), "signed": .stringConvertible(signed), "record": .string(record)])
    }

    public func setOnEvidence(_ f: @escaping @Sendable (DuplicateVoteEvidence) -> Void) {
        onEvidence.withLock { $0 = Chain.Hook(call: f) }
    }

    // MARK: Inbound (network tasks, concurrently)

    /// Checks one inbound message and hands it to the loop (see `ConsensusInbox.receive`).
    public func receive(_ bytes: [UInt8], from peer: Hash?) -> ConsensusVerdict { inbox.receive(bytes, from: peer) }

    // MARK: The loop

    public func run() async throws {
        var driver = try Driver(service: self)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { [continuation, config] in
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: config.gossipInterval)
                    continuation.yield(.gossip)
                }
            }
            group.addTask { [continuation] in
                try? await gracefulShutdown()
                continuation.finish()
            }
            driver.begin(&group)
            for await input in inputs {
                if Task.isShuttingDownGracefully || isStopping { break }
                driver.handle(input, &group)
            }
            group.cancelAll()
        }
        // Stopped at the signal by `stop()`: wait for the group to ask, or the ServiceGroup would
        // take the early return for a service that died.
        if isStopping { try? await gracefulShutdown() }
    }

    /// Shutdown, called at the signal (before the rest of the node stops in order): the loop
    /// ends after the input it is handling, and no proposal, vote or new height starts.
    public func stop() {
        stopping.withLock { $0 = true }
        continuation.finish()
    }

    var isStopping: Bool { stopping.withLock { $0 } }

    func setStatus(_ f: (inout Status) -> Void) { statusBox.withLock { f(&$0) } }
    func clearSeen() { inbox.clearSeen() }
    func signer(_ key: PublicKey) -> SigningGuard? { signers.withLock { $0[key] } }
    func store(_ signer: SigningGuard) { signers.withLock { $0[signer.key.publicKey] = signer } }
    func reportEvidence(_ evidence: DuplicateVoteEvidence) { onEvidence.withLock { $0 }?.call(evidence) }
    func yield(_ input: Input) { continuation.yield(input) }
}
