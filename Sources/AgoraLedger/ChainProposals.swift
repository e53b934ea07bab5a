import AgoraCore
import AgoraCrypto
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Synchronization

/// Blocks before they are decided: building this node's proposal from the mempool, checking a
/// peer's (everything but the seal), and keeping each execution so the commit does not run the
/// block again. `produceBlock` is the single-validator shortcut that builds, seals and commits.
extension Chain {
    public struct ProducedBlock: Sendable {
        public var height: UInt64
        public var hash: Hash
        public var transactions: Int
        public var refused: Int
        public var executeSeconds: Double
        public var commitSeconds: Double
        /// Updating the state tree for this block when it was built or verified (reading its
        /// pages, hashing the new ones).
        public var treeSeconds: Double
        /// State tree pages this block wrote.
        public var treePages: Int
    }

    /// A block executed on top of the head, with the state tree update it makes.
    struct PreparedBlock: Sendable {
        var executed: ExecutedBlock
        var tree: StateTree.Update
        var treeSeconds: Double
    }

    /// Builds a candidate for the next height from the mempool, proposed by `proposer`: its
    /// transactions executed on top of the head (the execution is kept for the commit) and the
    /// head's seal as `lastCommit`. `now` is the wall clock in milliseconds. With a
    /// `proposeTimeout` (consensus passes its round's), the block also holds no more than the
    /// validators can verify and execute in `block.roundBudgetPercent` of it (`BlockBudget`).
    public func buildProposal(proposer: PublicKey, now: UInt64, proposeTimeout: Duration? = nil) throws -> Block {
        let t = snapshot
        let height = t.head.height + 1
        let limits = proposalLimits(proposeTimeout: proposeTimeout, tip: t)
        let candidates = mempool.reap(maxCount: limits.maxTransactions, maxBytes: limits.maxBytes)
        let context = BlockContext(height: height, timestamp: max(now, t.head.timestamp + 1), proposer: proposer.address)
        let started = ContinuousClock.now
        let executed = try execute(candidates, context: context, mode: .propose)
        proposalBudget.executed(count: candidates.count, seconds: (ContinuousClock.now - started).inSeconds)
        let prepared = try prepare(executed, height: height, base: t.head.height)
        let header = BlockHeader(chainID: identity.chainID, height: height, previousHash: t.head.hash,
                                 timestamp: context.timestamp, proposer: proposer,
                                 txRoot: Block.txRoot(executed.included),
                                 stateRoot: prepared.tree.root,
                                 validatorSetHash: t.validators.hash, nextValidatorSetHash: t.afterNextValidators.hash,
                                 lastCommit: t.lastSeal)
        let block = Block(header: header, transactions: executed.included)
        proposalBudget.built(transactions: executed.included.count, bytes: executed.included.reduce(0) { $0 + $1.size })
        remember(block.hash, prepared)
        return block
    }

    /// What a proposal built now may hold: `block.maxTransactions`, the block's bytes and, with a
    /// `proposeTimeout`, what the measured cost affords in `block.roundBudgetPercent` of it —
    /// never more than the chain's block limits for the next height (`ConsensusParams`), which
    /// every validator checks it against.
    public func proposalLimits(proposeTimeout: Duration?) -> BlockBudget.Limits {
        proposalLimits(proposeTimeout: proposeTimeout, tip: snapshot)
    }

    func proposalLimits(proposeTimeout: Duration?, tip t: Tip) -> BlockBudget.Limits {
        let own = proposalBudget.limits(proposeTimeout: proposeTimeout)
        return BlockBudget.Limits(maxTransactions: min(own.maxTransactions, t.consensus.maxTransactions),
                                  maxBytes: min(own.maxBytes, t.consensus.maxTransactionBytes))
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
        guard Chain.withinDrift(h.timestamp, now: now) else {
            throw .invalid(height: h.height, reason: "timestamp \(h.timestamp) is more than \(Chain.maxClockDriftMs) ms ahead of this node's clock")
        }
        _ = try verified(block, tip: snapshot)
    }

    /// The drift rule alone: `timestamp` is at most `maxClockDriftMs` ahead of `now`, this
    /// validator's clock. Judged against the node's own clock, never the chain's time, so a
    /// Byzantine proposer cannot ratchet the chain forward (the clock-skew model uses it too).
    public static func withinDrift(_ timestamp: UInt64, now: UInt64) -> Bool {
        timestamp <= now &+ maxClockDriftMs
    }

    /// The checks every block must pass before its seal matters: it extends the head, carries the
    /// height's validator set, a strictly later timestamp, a valid commit of the parent as
    /// `lastCommit`, valid transaction signatures (checked in parallel) and a transaction root
    /// and state root that re-execution reproduces.
    func verified(_ block: Block, tip t: Tip) throws(BlockError) -> PreparedBlock {
        let h = block.header
        guard h.height == t.head.height + 1 else { throw BlockError.notNext(expected: t.head.height + 1, got: h.height) }
        let hash = block.hash
        if let known = executions.withLock({ $0[hash] }) { return known }
        func invalid(_ why: String) -> BlockError { .invalid(height: h.height, reason: why) }
        guard h.chainID == identity.chainID else { throw invalid("chain \(h.chainID)") }
        guard h.previousHash == t.head.hash else { throw invalid("previous hash \(h.previousHash) is not the head \(t.head.hash)") }
        guard h.validatorSetHash == t.validators.hash else { throw invalid("validator set hash differs") }
        guard h.nextValidatorSetHash == t.afterNextValidators.hash else { throw invalid("next validator set hash differs") }
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
        // What a validator accepts is bounded by the protocol and the chain's block limits as the
        // parent left them, the same on every node: the proposer's budget is this node's
        // measurement and only decides what it puts in.
        let maxCount = t.consensus.maxTransactions, maxBytes = t.consensus.maxTransactionBytes
        guard block.transactions.count <= maxCount else {
            throw invalid("\(block.transactions.count) transactions, over the limit of \(maxCount)")
        }
        let bytes = block.transactions.reduce(0) { $0 + $1.size }
        guard bytes <= maxBytes else {
            throw invalid("\(bytes) bytes of transactions, over the block limit of \(maxBytes)")
        }
        guard Block.txRoot(block.transactions) == h.txRoot else { throw invalid("transaction root differs") }
        // A transaction this node admitted had its signature checked then, and its ID is the
        // hash of those exact bytes: only the others are checked (on every core). Every validator
        // receives most of a proposal's transactions by gossip first, so this halves the work.
        let signatures = mempool.verified.check(block.transactions)
        proposalBudget.signaturesOfBlock(reused: signatures.reused, checked: signatures.checked)
        if let bad = signatures.valid.firstIndex(of: false) { throw invalid("transaction \(bad) has a bad signature") }
        let context = BlockContext(height: h.height, timestamp: h.timestamp, proposer: h.proposer.address)
        let executed: ExecutedBlock
        let started = ContinuousClock.now
        do { executed = try execute(block.transactions, context: context, mode: .verify) } catch let e as BlockRejection {
            throw invalid("\(e)")
        } catch {
            // Including an UpgradeHalt: `execute` already told the node, which is stopping.
            throw invalid("state unavailable: \(error)")
        }
        proposalBudget.executed(count: block.transactions.count, seconds: (ContinuousClock.now - started).inSeconds)
        let prepared: PreparedBlock
        do { prepared = try prepare(executed, height: h.height, base: t.head.height) } catch {
            throw invalid("state tree unavailable: \(error)")
        }
        guard prepared.tree.root == h.stateRoot else { throw invalid("state root differs") }
        remember(hash, prepared)
        return prepared
    }

    /// An executed block with its state tree update on top of the head's tree (`base`): the
    /// update's root is the block's state root, and its pages commit with the block.
    func prepare(_ executed: ExecutedBlock, height: UInt64, base: UInt64) throws -> PreparedBlock {
        let started = ContinuousClock.now
        let tree = try store.stateTreeUpdate(base: base, version: height, writes: executed.writes)
        let seconds = (ContinuousClock.now - started).inSeconds
        metrics.stateTreeUpdate.recordNanoseconds(Int64(seconds * 1e9))
        return PreparedBlock(executed: executed, tree: tree, treeSeconds: seconds)
    }

    /// Keyed by block hash alone: the hash commits to the parent, and commits clear the cache.
    func remember(_ hash: Hash, _ prepared: PreparedBlock) {
        executions.withLock { cache in
            if cache.count >= Chain.maxCachedExecutions { cache.removeAll() }
            cache[hash] = prepared
        }
    }

    /// Verifies a block from another node and commits it: `verified`'s checks and a seal of
}
