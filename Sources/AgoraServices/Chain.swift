import AgoraCore
import AgoraCrypto
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Synchronization

/// The committed chain: opens and checks the stored chain, admits transactions to the mempool
/// against the committed head, builds and verifies proposals for consensus, and commits decided
/// blocks (from this node's consensus or, verified, from peers).
///
/// Everything that changes the head holds `writer`, so blocks are strictly sequential whether
/// consensus or sync commits them; reads (status, accounts) take a snapshot under a short lock
/// or go to SQLite directly.
public final class Chain: Sendable {
    /// The ledger's own parts: readers go through `queries`, writers through this type.
    let store: BlockStore
    let cache: StateCache
    let mempool: Mempool
    /// Every read-only question about the committed chain and the mempool.
    public let queries: LedgerQueries
    public let identity: BlockStore.Identity
    public let config: Config
    public let events: EventBus
    public let metrics: NodeMetrics
    let executor: BlockExecutor
    /// The node's key: signs blocks when it is a validator.
    let nodeKey: SigningKey
    /// Whether this node's key may vote on the next height.
    public var isValidator: Bool { isValidator(nodeKey.publicKey) }
    /// Hooks are boxed in a struct: a bare closure inside `Mutex` is reabstracted on every
    /// `withLock` through its inout value, growing a chain of thunks per call (found by
    /// `agora simulate network`: quadratic cost per admitted transaction).
    struct Hook<Argument>: Sendable {
        let call: @Sendable (Argument) -> Void
    }
    /// Where admissions and commits are announced (the composition root wires the listeners).
    public let feed: LedgerFeed
    let logger: Logger
    private let tip: Mutex<Tip>
    /// Held by every path that moves the head.
    private let writer = Mutex(())
    /// Executions of candidate blocks on top of the current head (proposals built or verified),
    /// so that committing a decided block does not execute it again. Cleared on every commit.
    private let executions = Mutex<[Hash: ExecutedBlock]>([:])
    static let maxCachedExecutions = 8
    /// How far a proposal's timestamp may run ahead of this node's clock (milliseconds).
    public static let maxClockDriftMs: UInt64 = 10_000

    public struct Config: Sendable {
        public var maxBlockTransactions: Int
        public var maxBlockBytes: Int
        public init(maxBlockTransactions: Int = 10_000, maxBlockBytes: Int = Limits.defaultMaxBlockBytes) {
            self.maxBlockTransactions = min(maxBlockTransactions, Limits.maxTransactionsPerBlock)
            self.maxBlockBytes = maxBlockBytes
        }
    }

    /// The committed head and what admission needs from it.
    public struct Tip: Sendable {
        public var head: BlockStore.Head
        public var lastSeal: Commit?
        public var params: BankParams
        public var supply: Amount
        /// The validators that decide height `head.height + 1`.
        public var validators: ValidatorSet
        /// The validators that signed the head (its seal and the next block's `lastCommit`).
        public var headValidators: ValidatorSet
    }

    public enum OpenError: Error, CustomStringConvertible {
        case notInitialized(String)
        case chainMismatch(stored: String, expected: String)
        case notAValidator(Address)
        case integrity(String)

        public var description: String {
            switch self {
            case let .notInitialized(p): return "data directory \(p) holds no chain: run `agora init` first"
            case let .chainMismatch(s, e): return "data directory belongs to chain \(s), not \(e)"
            case let .notAValidator(a): return "validator key \(a) is not in this chain's validator set"
            case let .integrity(why): return "stored chain failed its start-up check: \(why)"
            }
        }
    }

    /// Opens the stored chain and checks it: the head block exists and hashes to the recorded
    /// head, its state root and seal match, and the state table hashes to the recorded digest.
    /// Opens the chain. A `validatorKey` outside the validator set makes a follower: it applies
    /// blocks from peers (`applyBlock`) and never produces any.
    public init(store: BlockStore, validatorKey: SigningKey, expectedChainID: String? = nil,
                mempool: Mempool = Mempool(), config: Config = Config(), events: EventBus = EventBus(),
                feed: LedgerFeed = LedgerFeed(), metrics: NodeMetrics = .disabled, logger: Logger) throws {
        guard let identity = try store.identity() else { throw OpenError.notInitialized(store.path) }
        if let expected = expectedChainID, expected != identity.chainID {
            throw OpenError.chainMismatch(stored: identity.chainID, expected: expected)
        }
        let head = try store.head()
        let cache = StateCache(store: store)
        let headValidators: ValidatorSet
        let nextValidators: ValidatorSet
        do {
            headValidators = try Staking.validators(forHeight: max(head.height, 1), state: cache)
            nextValidators = try Staking.validators(forHeight: head.height + 1, state: cache)
        } catch {
            throw OpenError.integrity("validator sets are not readable from state: \(error)")
        }
        var lastSeal: Commit?
        if head.height > 0 {
            guard let stored = try store.block(height: head.height) else { throw OpenError.integrity("head block \(head.height) is missing") }
            let h = stored.block.header
            guard h.hash == head.hash else { throw OpenError.integrity("head block \(head.height) hashes to \(h.hash), recorded \(head.hash)") }
            guard h.stateRoot == head.stateRoot else { throw OpenError.integrity("head state root differs from block \(head.height)") }
            guard h.chainID == identity.chainID else { throw OpenError.integrity("head block is for chain \(h.chainID)") }
            guard stored.seal.blockHash == head.hash, stored.seal.height == head.height,
                  Chain.sealIsValid(stored.seal, chainID: identity.chainID, validators: headValidators)
            else { throw OpenError.integrity("head block \(head.height) seal does not verify") }
            lastSeal = stored.seal
        }
        let digest = try store.computeStateDigest()
        guard digest == head.digest else {
            throw OpenError.integrity("state table digest \(digest) does not match the committed digest \(head.digest)")
        }
        self.store = store
        self.identity = identity
        nodeKey = validatorKey
        self.mempool = mempool
        self.config = config
        self.events = events
        self.feed = feed
        self.metrics = metrics
        self.logger = logger
        self.cache = cache
        queries = LedgerQueries(store: store, cache: cache, mempool: mempool)
        executor = BlockExecutor(chainID: identity.chainID)
        let overlay = StateOverlay(base: cache)
        tip = Mutex(Tip(head: head, lastSeal: lastSeal, params: try Bank.params(overlay), supply: try Bank.supply(overlay),
                        validators: nextValidators, headValidators: headValidators))
    }

    /// Whether `key` may vote on the next height.
    public func isValidator(_ key: PublicKey) -> Bool { snapshot.validators.contains(key) }

    /// The address of this node's key (its P2P identity, and its validator key if it is one).
    public var nodeAddress: Address { nodeKey.address }

    /// +2/3 of the voting power signed precommits for the sealed block.
    public static func sealIsValid(_ seal: Commit, chainID: String, validators: ValidatorSet) -> Bool {
        let vote = seal.vote(chainID: chainID)
        var power: UInt64 = 0
        for sig in seal.signatures {
            let p = validators.power(of: sig.validator)
            guard p > 0, SignatureVerifier.isValid(sig, for: vote) else { return false }
            power += p
        }
        return power * 3 > validators.totalPower * 2
    }

    public var snapshot: Tip { tip.withLock { $0 } }

    /// A committed account, read through the in-memory state cache (never ahead of SQLite: the
    /// cache is updated after each commit).
    public func account(_ address: Address) throws -> Account {
        guard let raw = try cache.value(for: BankKeys.account(address)) else { return .empty }
        return try Account(canonicalBytes: raw)
    }

    // MARK: Transactions

    public func view() -> Mempool.ChainView {
        let t = snapshot
        let cache = self.cache
        return Mempool.ChainView(chainID: identity.chainID, nextHeight: t.head.height + 1, params: t.params, supply: t.supply,
                                 account: { address in
                                     let raw = try cache.value(for: BankKeys.account(address))
                                     return try raw.map { try Account(canonicalBytes: $0) } ?? .empty
                                 }, state: cache)
    }

    /// Admits a transaction to the mempool. A transaction already committed is `alreadyKnown`.
    @discardableResult
    public func submit(_ tx: Transaction, correlationID: String? = nil) throws(Mempool.AdmissionError) -> Mempool.Admitted {
        let result: Mempool.Admitted
        do {
            result = try mempool.insert(tx, view: view(), correlationID: correlationID)
        } catch {
            // A committed transaction's nonce is consumed, so it lands here: name it as known.
            // (Looking it up only on this path keeps SQLite off the admission of new ones.)
            if case .rejected(.nonceTooLow) = error, (try? store.transaction(id: tx.id)) != nil {
                throw .alreadyKnown(tx.id)
            }
            metrics.rejected(error.code)
            logger.debug("refused transaction", metadata: ["tx": .string(tx.id.hex), "reason": .string(error.code),
                                                          "correlation_id": .string(correlationID ?? "-")])
            throw error
        }
        metrics.mempoolTransactions.record(mempool.count)
        metrics.mempoolBytes.record(mempool.bytes)
        feed.admitted(tx)
        events.publish([BlockEvents.pending(tx)])
        logger.debug("admitted transaction", metadata: [
            "tx": .string(tx.id.hex), "sender": .string(tx.sender.description), "nonce": .stringConvertible(tx.body.nonce),
            "correlation_id": .string(correlationID ?? "-"),
        ])
        return result
    }

    /// Admits a batch with its signatures checked on every core (bulk loads and benchmarks):
    /// no per-transaction event, gossip or log line, unlike `submit`.
    public func admit(batch: [Transaction]) -> [Result<Mempool.Admitted, Mempool.AdmissionError>] {
        mempool.insert(batch: batch, view: view())
    }

    /// Yields to `continuation` after every admission to the mempool (see `AdmissionSignal`).
    public func wakeOnAdmission(_ continuation: AsyncStream<Void>.Continuation) { mempool.admissions.wake(continuation) }

    /// Drops every pending transaction (operator action); returns how many were dropped.
    public func flushMempool() -> Int { mempool.flush() }

    /// A minimal write transaction, fsynced like a block commit: proves the database is writable.
    public func probeStorageWrite() throws { try store.probeWrite() }

    public enum TransactionStatus: Sendable {
        case pending(Transaction)
        case committed(BlockStore.StoredTransaction)
        case rejected(Rejection)
        case unknown
    }

    /// Looks in the mempool first: a transaction leaves it only after its block is committed or
    /// its refusal is recorded, so in this order a concurrent block can never make it vanish.
    public func status(of id: Hash) throws -> TransactionStatus {
        if let tx = mempool.transaction(id) { return .pending(tx) }
        if let stored = try store.transaction(id: id) { return .committed(stored) }
        if let reason = mempool.rejections.reason(id) { return .rejected(reason) }
        return .unknown
    }

    // MARK: Events

    /// Publishes a committed block's events (`BlockEvents`; each module's come from its own
    /// events file through `ModuleEventRegistry`).
    func publishEvents(hash: Hash, header: BlockHeader, executed: ExecutedBlock, params: BankParams) {
        let context = BlockEventContext(height: header.height, timestamp: header.timestamp, params: params, writes: executed.writes,
                                        metrics: metrics, logger: logger)
        let drafts = BlockEvents.drafts(hash: hash, proposer: header.proposer.address, executed: executed, block: context)
        events.publish(drafts)
        metrics.eventsPublished.increment(by: drafts.count)
    }

    // MARK: Blocks

    public struct ProducedBlock: Sendable {
        public var height: UInt64
        public var hash: Hash
        public var transactions: Int
        public var refused: Int
        public var executeSeconds: Double
        public var commitSeconds: Double
    }

    /// Builds a candidate for the next height from the mempool, proposed by `proposer`: its
    /// transactions executed on top of the head (the execution is kept for the commit) and the
    /// head's seal as `lastCommit`. `now` is the wall clock in milliseconds.
    public func buildProposal(proposer: PublicKey, now: UInt64) throws -> Block {
        let t = snapshot
        let height = t.head.height + 1
        let candidates = mempool.reap(maxCount: config.maxBlockTransactions, maxBytes: config.maxBlockBytes - 4096)
        let context = BlockContext(height: height, timestamp: max(now, t.head.timestamp + 1), proposer: proposer.address)
        let executed = try executor.execute(candidates, context: context, base: cache, mode: .propose)
        let header = BlockHeader(chainID: identity.chainID, height: height, previousHash: t.head.hash,
                                 timestamp: context.timestamp, proposer: proposer,
                                 txRoot: Block.txRoot(executed.included),
                                 stateRoot: StateRoot.next(previous: t.head.stateRoot, writes: executed.writes),
                                 validatorSetHash: t.validators.hash, lastCommit: t.lastSeal)
        let block = Block(header: header, transactions: executed.included)
        remember(block.hash, executed)
        return block
    }

    /// Single-validator shortcut (development chains, benchmarks, tests): builds the next block,
    /// seals it with this node's own precommit and commits it. The seal must still carry more
    /// than 2/3 of the power, so this works only when the node's key holds that alone.
    @discardableResult
    public func produceBlock(now: UInt64) throws -> ProducedBlock {
        guard isValidator else { throw BlockError.notAValidator }
        let block = try buildProposal(proposer: nodeKey.publicKey, now: now)
        let hash = block.hash
        let seal = Commit(height: block.header.height, round: 0, blockHash: hash,
                          signatures: [nodeKey.sign(Vote(chainID: identity.chainID, height: block.header.height, round: 0,
                                                         kind: .precommit, blockHash: hash))])
        return try commitDecided(block, commit: seal)
    }

    public enum BlockError: Error, Equatable, CustomStringConvertible {
        case notAValidator
        case notNext(expected: UInt64, got: UInt64)
        case invalid(height: UInt64, reason: String)

        public var description: String {
            switch self {
            case .notAValidator: return "this node's key is not in the validator set; it follows and does not produce blocks"
            case let .notNext(e, g): return "block \(g) does not follow the head (expected \(e))"
            case let .invalid(h, why): return "block \(h) is invalid: \(why)"
            }
        }
    }

    /// Checks a proposed block for the next height without its seal: everything `applyBlock`
    /// checks except finality, plus a timestamp not more than `maxClockDriftMs` ahead of `now`
    /// (a proposer cannot push the chain's clock into the future). Consensus prevotes nil on a
    /// block that fails. The execution is kept for the commit.
    public func verifyProposal(_ block: Block, now: UInt64) throws(BlockError) {
        let h = block.header
        guard h.timestamp <= now + Chain.maxClockDriftMs else {
            throw .invalid(height: h.height, reason: "timestamp \(h.timestamp) is more than \(Chain.maxClockDriftMs) ms ahead of this node's clock")
        }
        _ = try verified(block, tip: snapshot)
    }

    /// The checks every block must pass before its seal matters: it extends the head, carries the
    /// height's validator set, a strictly later timestamp, a valid commit of the parent as
    /// `lastCommit`, valid transaction signatures (checked in parallel) and a transaction root
    /// and state root that re-execution reproduces.
    func verified(_ block: Block, tip t: Tip) throws(BlockError) -> ExecutedBlock {
        let h = block.header
        guard h.height == t.head.height + 1 else { throw BlockError.notNext(expected: t.head.height + 1, got: h.height) }
        let hash = block.hash
        if let known = executions.withLock({ $0[hash] }) { return known }
        func invalid(_ why: String) -> BlockError { .invalid(height: h.height, reason: why) }
        guard h.chainID == identity.chainID else { throw invalid("chain \(h.chainID)") }
        guard h.previousHash == t.head.hash else { throw invalid("previous hash \(h.previousHash) is not the head \(t.head.hash)") }
        guard h.validatorSetHash == t.validators.hash else { throw invalid("validator set hash differs") }
        guard t.validators.contains(h.proposer) else { throw invalid("proposer is not a validator") }
        guard h.timestamp > t.head.timestamp else { throw invalid("timestamp \(h.timestamp) is not after the parent's") }
        if t.head.height == 0 {
            guard h.lastCommit == nil else { throw invalid("block 1 carries a lastCommit") }
        } else {
            // Any +2/3 commit of the parent will do: validators may hold different subsets of
            // the same precommits, and the proposer's becomes the canonical one.
            guard let last = h.lastCommit, last.height == t.head.height, last.blockHash == t.head.hash,
                  Chain.sealIsValid(last, chainID: identity.chainID, validators: t.headValidators)
            else { throw invalid("lastCommit is not a valid commit of the parent") }
        }
        guard Block.txRoot(block.transactions) == h.txRoot else { throw invalid("transaction root differs") }
        // A transaction in the mempool had its signature checked on admission, and its ID is the
        // hash of those exact bytes: only the others are checked (in parallel). Every validator
        // receives most of a proposal's transactions by gossip first, so this halves the work.
        let unchecked = block.transactions.indices.filter { mempool.transaction(block.transactions[$0].id) == nil }
        let valid = SignatureVerifier.verify(unchecked.map { block.transactions[$0] })
        if let bad = valid.firstIndex(of: false) { throw invalid("transaction \(unchecked[bad]) has a bad signature") }
        let context = BlockContext(height: h.height, timestamp: h.timestamp, proposer: h.proposer.address)
        let executed: ExecutedBlock
        do { executed = try executor.execute(block.transactions, context: context, base: cache, mode: .verify) } catch let e as BlockRejection {
            throw invalid("\(e)")
        } catch {
            throw invalid("state unavailable: \(error)")
        }
        guard StateRoot.next(previous: t.head.stateRoot, writes: executed.writes) == h.stateRoot else { throw invalid("state root differs") }
        remember(hash, executed)
        return executed
    }

    /// Keyed by block hash alone: the hash commits to the parent, and commits clear the cache.
    private func remember(_ hash: Hash, _ executed: ExecutedBlock) {
        executions.withLock { cache in
            if cache.count >= Chain.maxCachedExecutions { cache.removeAll() }
            cache[hash] = executed
        }
    }

    /// Verifies a block from another node and commits it: `verified`'s checks and a seal of
    /// more than 2/3 of the height's voting power.
    @discardableResult
    public func applyBlock(_ block: Block, seal: Commit) throws -> ProducedBlock {
        try commitDecided(block, commit: seal)
    }

    /// Commits a decided block: the commit must be +2/3 of the height's power for exactly this
    /// block; the block is verified unless this node already executed it as a proposal.
    @discardableResult
    public func commitDecided(_ block: Block, commit seal: Commit) throws -> ProducedBlock {
        try writer.withLock { _ in
            let t = snapshot
            let started = DispatchTime.now().uptimeNanoseconds
            let h = block.header
            guard h.height == t.head.height + 1 else { throw BlockError.notNext(expected: t.head.height + 1, got: h.height) }
            guard seal.height == h.height, seal.blockHash == block.hash,
                  Chain.sealIsValid(seal, chainID: identity.chainID, validators: t.validators)
            else { throw BlockError.invalid(height: h.height, reason: "seal does not verify") }
            let executed = try verified(block, tip: t)
            return try commit(block, seal: seal, executed: executed, tip: t, started: started)
        }
    }

    /// Stores a verified block and moves the head, cache, mempool, metrics and events on.
    func commit(_ block: Block, seal: Commit, executed: ExecutedBlock, tip t: Tip, started: UInt64) throws -> ProducedBlock {
        let header = block.header
        let height = header.height
        let hash = header.hash
        var digest = t.head.digest
        digest.apply(executed.writes)
        let executedAt = DispatchTime.now().uptimeNanoseconds
        try store.commit(.init(block: block, seal: seal, receipts: executed.receipts, writes: executed.writes, digest: digest))
        cache.apply(executed.writes)
        let committedAt = DispatchTime.now().uptimeNanoseconds

        let overlay = StateOverlay(base: cache)
        let params = try Bank.params(overlay)
        let supply = try Bank.supply(overlay)
        // The set for the next height was fixed two blocks ago (or by this block's end-of-block
        // step for a change made at height - 1).
        let nextValidators = try Staking.validators(forHeight: height + 1, state: cache)
        tip.withLock {
            $0 = Tip(head: .init(height: height, hash: hash, stateRoot: header.stateRoot, digest: digest, timestamp: header.timestamp),
                     lastSeal: seal, params: params, supply: supply,
                     validators: nextValidators, headValidators: t.validators)
        }
        executions.withLock { $0.removeAll() }
        let correlated = executed.included.compactMap { tx in mempool.correlationID(tx.id).map { (tx.id, $0) } }
        let cache = self.cache
        mempool.update(committed: executed.included, refused: executed.rejected) { address in
            (try? cache.value(for: BankKeys.account(address))).flatMap { $0 }.flatMap { try? Account(canonicalBytes: $0) }?.nonce ?? 0
        }
        for (id, cid) in correlated {
            logger.info("transaction included", metadata: ["tx": .string(id.hex), "height": .stringConvertible(height),
                                                           "correlation_id": .string(cid)])
        }
        for (tx, reason) in executed.rejected {
            logger.info("transaction refused at block building", metadata: ["tx": .string(tx.id.hex), "reason": .string(reason.code)])
            metrics.rejected(reason.code)
        }
        metrics.height.record(Int64(height))
        metrics.blockCommit.recordNanoseconds(Int64(committedAt - executedAt))
        metrics.blockInterval.recordMilliseconds(Int64(header.timestamp - t.head.timestamp))
        metrics.blockTransactions.record(executed.included.count)
        metrics.transactionsCommitted.increment(by: executed.included.count)
        metrics.transactionsFailed.increment(by: executed.receipts.filter { !$0.succeeded }.count)
        metrics.mempoolTransactions.record(mempool.count)
        metrics.mempoolBytes.record(mempool.bytes)
        publishEvents(hash: hash, header: header, executed: executed, params: params)
        feed.committed(block, seal)
        return ProducedBlock(height: height, hash: hash, transactions: executed.included.count, refused: executed.rejected.count,
                             executeSeconds: Double(executedAt - started) / 1e9, commitSeconds: Double(committedAt - executedAt) / 1e9)
    }
}
