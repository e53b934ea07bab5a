import AgoraCore
import AgoraState
import AgoraStorage

/// The ledger's read side: every read-only question the API, MCP, health checks and the node
/// ask of the committed chain and the mempool, in one narrow seam. Nothing outside the ledger's
/// own files reaches `Chain`'s store, state cache or mempool; they ask here instead, so the
/// ledger can change how it keeps things without its readers noticing.
///
/// A value type over shared, thread-safe parts: copy it freely. Committed state is read through
/// the state cache (never ahead of SQLite: the cache is updated after each commit); indexes and
/// history from SQLite, under GRDB's snapshot isolation.
public struct LedgerQueries: Sendable {
    private let store: BlockStore
    private let cache: StateCache
    private let mempool: Mempool

    init(store: BlockStore, cache: StateCache, mempool: Mempool) {
        self.store = store
        self.cache = cache
        self.mempool = mempool
    }

    /// Committed state, read-only (module records: groups, offers, settlements, stakes...).
    public var state: some StateReader { cache }

    /// Size of the database files on disk (main file plus WAL).
    public var storageBytes: Int64 { store.sizeOnDisk }
    /// The database file (`agora.sqlite`), for messages that name it.
    public var databasePath: String { store.path }
    /// The corruption a read or write met since start, if any: the node is not ready.
    public var storageCorruption: StorageError? { store.corruption }

    // MARK: State proofs

    /// A state key's value at `height` (nil: the head) with its proof, header and commit.
    /// Throws `StateProofUnavailable` for a height outside the proof window.
    public func proveState(key: StateKey, height: UInt64? = nil) throws -> BlockStore.ProvenState {
        // nil is resolved to the head inside the proof's own read: one snapshot, no second read.
        try store.proveState(key: key, height: height)
    }

    /// The oldest height whose proofs this node still serves.
    public func oldestProvableHeight() throws -> UInt64 { max(1, try store.oldestProvableHeight()) }

    // MARK: Blocks and transactions

    /// A block with its body; below the earliest height it is `StorageError.pruned`.
    public func block(height: UInt64) throws -> BlockStore.StoredBlock? { try store.block(height: height) }
    /// A header and its commit: kept at every height, pruned or not.
    public func sealedHeader(height: UInt64) throws -> (header: BlockHeader, seal: Commit)? { try store.sealedHeader(height: height) }
    /// The lowest height whose block body this node stores (1 unless it pruned or state-synced).
    public func earliestHeight() throws -> UInt64 { try store.earliestHeight() }
    public func block(hash: Hash) throws -> BlockStore.StoredBlock? { try store.block(hash: hash) }
    /// The hash of the committed block at `height`, without reading the block.
    public func blockHash(height: UInt64) throws -> Hash? { try store.blockHash(height: height) }
    /// Blocks below `before` (exclusive), newest first.
    public func blocks(before: UInt64?, limit: Int) throws -> [BlockStore.BlockSummary] { try store.blocks(before: before, limit: limit) }
    public func transaction(id: Hash) throws -> BlockStore.StoredTransaction? { try store.transaction(id: id) }
    /// Committed transactions before position `before`, newest first, optionally by `sender`.
    public func transactions(sender: Address?, before: Int64?, limit: Int) throws -> [(position: Int64, BlockStore.StoredTransaction)] {
        try store.transactions(sender: sender, before: before, limit: limit)
    }
    /// Accounts after `after` (exclusive) in address order.
    public func accounts(after: Address?, limit: Int) throws -> [(Address, Account)] { try store.accounts(after: after, limit: limit) }

    // MARK: Mempool

    public var pendingCount: Int { mempool.count }
    public var pendingBytes: Int { mempool.bytes }
    /// Pending transactions includable in the next block (what the consensus driver waits for).
    public var readyCount: Int { mempool.readyCount }
    /// Pending transactions waiting for an earlier nonce.
    public var queuedCount: Int { mempool.queuedCount }
    /// Ready transactions the mempool admits at most now, and the commit rate it assumes.
    public var readyBound: Int { mempool.readyBound() }
    public var assumedCommitRate: Double { mempool.assumedCommitRate() }
    /// Pending transactions after arrival sequence `after`, oldest first.
    public func pending(after: UInt64?, limit: Int) -> [(seq: UInt64, tx: Transaction)] { mempool.list(after: after, limit: limit) }
    public func pendingTransaction(_ id: Hash) -> Transaction? { mempool.transaction(id) }
    /// The nonce a new transaction of `sender` should carry, counting its pending ones.
    public func nextNonce(sender: Address, committed: UInt64) -> UInt64 { mempool.nextNonce(sender: sender, committed: committed) }
    /// The correlation ID a pending transaction was submitted with.
    public func correlationID(_ id: Hash) -> String? { mempool.correlationID(id) }

    // MARK: Groups and claims

    public func groups(after: Hash?, limit: Int) throws -> [(Hash, GroupRecord)] { try store.groups(after: after, limit: limit) }
    public func members(of group: Hash, after: Address?, limit: Int) throws -> [(Address, GroupMembership)] {
        try store.members(of: group, after: after, limit: limit)
    }
    public func claims(_ query: BlockStore.ClaimQuery) throws -> [IndexedClaim] { try store.claims(query) }
    public func claim(id: Hash) throws -> IndexedClaim? { try store.claim(id: id) }
    public func thread(root: Hash, after: Int64?, limit: Int, includeRetracted: Bool = false) throws -> [IndexedClaim] {
        try store.thread(root: root, after: after, limit: limit, includeRetracted: includeRetracted)
    }
    public func compileContext(_ query: BlockStore.ContextQuery) throws -> BlockStore.CompiledContext { try store.compileContext(query) }

    // MARK: Tasks

    public func tasks(_ query: BlockStore.TaskQuery) throws -> [IndexedTask] { try store.tasks(query) }
    public func task(id: Hash) throws -> IndexedTask? { try store.task(id: id) }

    // MARK: Intents and settlements

    public func intents(_ query: BlockStore.IntentQuery) throws -> [IndexedIntent] { try store.intents(query) }
    public func intent(id: Hash) throws -> IndexedIntent? { try store.intent(id: id) }
    public func settlements(_ query: BlockStore.SettlementQuery) throws -> [IndexedSettlement] { try store.settlements(query) }
    public func settlement(id: Hash) throws -> IndexedSettlement? { try store.settlement(id: id) }
    /// The intent sets `mediator` has proposed settlements for (the mediator's memory on start).
    public func proposedIntentSets(mediator: Address) throws -> [[Hash]] { try store.proposedIntentSets(mediator: mediator) }
    /// Complementary open intents sharing words with an intent (the mediator's retrieval).
    public func intentCandidates(group: Hash, kind: IntentKind, words: [String], excludingAuthor: Address?,
                                 limit: Int) throws -> IntentRetrieval {
        try store.intentCandidates(group: group, kind: kind, words: words, excludingAuthor: excludingAuthor, limit: limit)
    }

    // MARK: Market

    public func offers(after: Hash?, limit: Int) throws -> [(Hash, OfferRecord)] { try store.offers(after: after, limit: limit) }
    public func offers(seller: Address, after: Hash?, limit: Int) throws -> [(Hash, OfferRecord)] {
        try store.offers(seller: seller, after: after, limit: limit)
    }
    public func purchases(buyer: Address, after: Hash?, limit: Int) throws -> [(Hash, PurchaseRecord)] {
        try store.purchases(buyer: buyer, after: after, limit: limit)
    }
    public func purchases(seller: Address, after: Hash?, limit: Int) throws -> [(Hash, PurchaseRecord)] {
        try store.purchases(seller: seller, after: after, limit: limit)
    }
}
