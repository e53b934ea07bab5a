// AgoraLedger: the node's write path and what it stands on — `Chain` (admission, proposals,
// commits, `LedgerQueries`, `LedgerFeed`), the mempool, module events and the event bus, the
// consensus driver, presence, artifact uploads and fetching, health and metrics. The P2P, mediator
// and API targets reach the ledger through these types; the ledger imports none of them.

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
///
/// This file owns opening and checking the stored chain and the committed tip. Its other jobs
/// live in named files: admission (`ChainAdmission.swift`), building and verifying proposals
/// (`ChainProposals.swift`), committing decided blocks (`ChainCommit.swift`); reads for
/// everyone else go through `LedgerQueries`, announcements through `LedgerFeed`, and each
/// module's events come from its own events file (`ModuleEvents.swift`).
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
    /// Set when a block could not execute because a scheduled upgrade is unknown to this binary
    /// (ChainUpgrades.swift); from then on this node executes nothing.
    let upgradeHalt = Mutex<UpgradeHalt?>(nil)
    let upgradeHaltHandler = Mutex<(@Sendable (UpgradeHalt) -> Void)?>(nil)
    /// The node's key: signs blocks when it is a validator.
    package let nodeKey: SigningKey
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
    let tip: Mutex<Tip>
    /// Held by every path that moves the head.
    let writer = Mutex(())
    /// Set once at shutdown (under `writer`): no commit starts after it (see `stopCommitting`).
    let stopped = Mutex(false)
    /// Executions of candidate blocks on top of the current head (proposals built or verified),
    /// so that committing a decided block does not execute it again. Cleared on every commit.
    let executions = Mutex<[Hash: PreparedBlock]>([:])
    static let maxCachedExecutions = 8
    /// What a proposal may hold: counts, bytes and the measured cost (`BlockBudget`).
    let proposalBudget: ProposalBudget
    /// How far a proposal's timestamp may run ahead of this node's clock (milliseconds).
    public static let maxClockDriftMs: UInt64 = 10_000
    /// Bytes of a block kept free of transactions for its header and `lastCommit`.
    static let headerAllowance = 4096

    public struct Config: Sendable {
        public var maxBlockTransactions: Int
        public var maxBlockBytes: Int
        /// Share (percent) of the propose timeout that verifying and executing a proposal may
        /// take on a validator, by this node's measured cost (`block.roundBudgetPercent`).
        public var roundBudgetPercent: Int
        /// Heights below the head whose state proofs stay servable (`state.proofHeights`);
        /// older tree pages are pruned. nil keeps every version.
        public var proofHeights: UInt64?
        public static let defaultProofHeights: UInt64 = 10_000
        public init(maxBlockTransactions: Int = 10_000, maxBlockBytes: Int = Limits.defaultMaxBlockBytes, roundBudgetPercent: Int = 50,
                    proofHeights: UInt64? = Config.defaultProofHeights) {
            self.maxBlockTransactions = min(maxBlockTransactions, Limits.maxTransactionsPerBlock)
            self.maxBlockBytes = maxBlockBytes
            self.roundBudgetPercent = min(100, max(1, roundBudgetPercent))
            self.proofHeights = proofHeights
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
        /// The validators that decide height `head.height + 2`: exact once the head executed
        /// (a change takes effect two blocks after it), named by the next block's header as
        /// `nextValidatorSetHash`.
        public var afterNextValidators: ValidatorSet
        /// The consensus timeouts and block limits governance set, as the head left them: they
        /// govern height `head.height + 1` (its timeouts, what its proposer puts in and what every
        /// validator accepts), the same on every node.
        public var consensus: ConsensusParams
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
                feed: LedgerFeed = LedgerFeed(), metrics: NodeMetrics = .disabled, upgrades: UpgradeRegistry = .builtIn,
                logger: Logger) throws {
        guard let identity = try store.identity() else { throw OpenError.notInitialized(store.path) }
        if let expected = expectedChainID, expected != identity.chainID {
            throw OpenError.chainMismatch(stored: identity.chainID, expected: expected)
        }
        let head = try store.head()
        let cache = StateCache(store: store)
        let headValidators: ValidatorSet
        let nextValidators: ValidatorSet
        let afterNextValidators: ValidatorSet
        do {
            headValidators = try Staking.validators(forHeight: max(head.height, 1), state: cache)
            nextValidators = try Staking.validators(forHeight: head.height + 1, state: cache)
            afterNextValidators = try Staking.validators(forHeight: head.height + 2, state: cache)
        } catch {
            throw OpenError.integrity("validator sets are not readable from state: \(error)")
        }
        var lastSeal: Commit?
        if head.height > 0 {
            // The header and seal only: a state-synced node holds no body at its snapshot height.
            guard let stored = try store.sealedHeader(height: head.height) else { throw OpenError.integrity("head block \(head.height) is missing") }
            let h = stored.header
            guard h.hash == head.hash else { throw OpenError.integrity("head block \(head.height) hashes to \(h.hash), recorded \(head.hash)") }
            guard h.stateRoot == head.stateRoot else { throw OpenError.integrity("head state root differs from block \(head.height)") }
            guard h.chainID == identity.chainID else { throw OpenError.integrity("head block is for chain \(h.chainID)") }
            guard stored.seal.blockHash == head.hash, stored.seal.height == head.height,
                  Chain.sealIsValid(stored.seal, chainID: identity.chainID, validators: headValidators)
            else { throw OpenError.integrity("head block \(head.height) seal does not verify") }
            lastSeal = stored.seal
        }
        guard try store.stateTreeRoot(height: head.height) == head.stateRoot else {
            throw OpenError.integrity("the state tree's root at height \(head.height) is not the head's state root (a data directory from before the state tree must be initialised again)")
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
        executor = BlockExecutor(chainID: identity.chainID, upgrades: upgrades)
        proposalBudget = ProposalBudget(
            params: BlockBudget.Params(maxTransactions: config.maxBlockTransactions, maxBytes: config.maxBlockBytes - Chain.headerAllowance,
                                       roundFraction: Double(config.roundBudgetPercent) / 100, cores: System.coreCount),
            signatures: mempool.verified, factory: metrics.factory)
        let overlay = StateOverlay(base: cache)
        tip = Mutex(Tip(head: head, lastSeal: lastSeal, params: try Bank.params(overlay), supply: try Bank.supply(overlay),
                        validators: nextValidators, headValidators: headValidators, afterNextValidators: afterNextValidators,
                        consensus: try ConsensusParams.load(state: cache)))
    }

    /// Whether `key` may vote on the next height.
    public func isValidator(_ key: PublicKey) -> Bool { snapshot.validators.contains(key) }

    /// The address of this node's key (its P2P identity, and its validator key if it is one).
    public var nodeAddress: Address { nodeKey.address }

    /// +2/3 of the voting power signed precommits for the sealed block: every signer a distinct
    /// member with a valid signature. The power is summed with overflow reported and compared
    /// with full-width products (`VotingPower`): `power * 3` in UInt64 traps once a set's power
    /// passes 2^64 / 3, and a set may hold up to 2^63 - 1.
    public static func sealIsValid(_ seal: Commit, chainID: String, validators: ValidatorSet) -> Bool {
        let vote = seal.vote(chainID: chainID)
        var signers = Set<PublicKey>()
        var powers: [UInt64] = []
        for sig in seal.signatures {
            let p = validators.power(of: sig.validator)
            guard p > 0, signers.insert(sig.validator).inserted, SignatureVerifier.isValid(sig, for: vote) else { return false }
            powers.append(p)
        }
        guard let power = VotingPower.sum(powers), let total = VotingPower.sum(validators.validators.map(\.power)) else { return false }
        return VotingPower.exceedsTwoThirds(power, of: total)
    }

    public var snapshot: Tip { tip.withLock { $0 } }

    /// A committed account, read through the in-memory state cache (never ahead of SQLite: the
    /// cache is updated after each commit).
    public func account(_ address: Address) throws -> Account {
        guard let raw = try cache.value(for: BankKeys.account(address)) else { return .empty }
        return try Account(canonicalBytes: raw)
    }
}
