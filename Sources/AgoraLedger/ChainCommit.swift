import AgoraCore
import AgoraCrypto
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Synchronization

/// Committing decided blocks (from this node's consensus, or verified from peers): the seal
/// check, the store, then the tip, state cache, mempool, metrics, events and feed move on, all
/// under `writer` so blocks are strictly sequential.
extension Chain {
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
            if stopped.withLock({ $0 }) { throw Stopping(height: block.header.height) }
            let t = snapshot
            let started = DispatchTime.now().uptimeNanoseconds
            let h = block.header
            guard h.height == t.head.height + 1 else { throw BlockError.notNext(expected: t.head.height + 1, got: h.height) }
            guard seal.height == h.height, seal.blockHash == block.hash,
                  Chain.sealIsValid(seal, chainID: identity.chainID, validators: t.validators)
            else { throw BlockError.invalid(height: h.height, reason: "seal does not verify") }
            let prepared = try verified(block, tip: t)
            return try commit(block, seal: seal, prepared: prepared, tip: t, started: started)
        }
    }

    /// Stores a verified block and moves the head, cache, mempool, metrics and events on.
    func commit(_ block: Block, seal: Commit, prepared: PreparedBlock, tip t: Tip, started: UInt64) throws -> ProducedBlock {
        let executed = prepared.executed
        let header = block.header
        let height = header.height
        let hash = header.hash
        var digest = t.head.digest
        digest.apply(executed.writes)
        let executedAt = DispatchTime.now().uptimeNanoseconds
        let pruneThrough = config.proofHeights.flatMap { height > $0 ? height - $0 : nil }
        try store.commit(.init(block: block, seal: seal, receipts: executed.receipts, writes: executed.writes, digest: digest,
                               tree: prepared.tree, pruneThrough: pruneThrough))
        cache.apply(executed.writes)
        let committedAt = DispatchTime.now().uptimeNanoseconds

        let overlay = StateOverlay(base: cache)
        let params = try Bank.params(overlay)
        let supply = try Bank.supply(overlay)
        // The set for the next height was fixed two blocks ago (or by this block's end-of-block
        // step for a change made at height - 1).
        let nextValidators = try Staking.validators(forHeight: height + 1, state: cache)
        let afterNextValidators = try Staking.validators(forHeight: height + 2, state: cache)
        let consensus = try ConsensusParams.load(state: cache)
        tip.withLock {
            $0 = Tip(head: .init(height: height, hash: hash, stateRoot: header.stateRoot, digest: digest, timestamp: header.timestamp),
                     lastSeal: seal, params: params, supply: supply,
                     validators: nextValidators, headValidators: t.validators, afterNextValidators: afterNextValidators,
                     consensus: consensus)
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
        metrics.stateTreePagesWritten.record(prepared.tree.written.count)
        metrics.transactionsCommitted.increment(by: executed.included.count)
        metrics.transactionsFailed.increment(by: executed.receipts.filter { !$0.succeeded }.count)
        metrics.mempoolTransactions.record(mempool.count)
        metrics.mempoolBytes.record(mempool.bytes)
        // The rate the mempool's ready bound follows (`CommitRate`).
        mempool.commitRate.record(transactions: executed.included.count, atMs: mempool.now())
        metrics.mempoolReady.record(mempool.readyCount)
        metrics.mempoolQueued.record(mempool.queuedCount)
        metrics.mempoolReadyBound.record(mempool.readyBound())
        metrics.commitRate.record(mempool.assumedCommitRate())
        publishEvents(hash: hash, header: header, executed: executed, params: params, feeRoundsUp: try Bank.feeRoundsUp(state: cache))
        feed.committed(block, seal)
        return ProducedBlock(height: height, hash: hash, transactions: executed.included.count, refused: executed.rejected.count,
                             executeSeconds: Double(executedAt - started) / 1e9, commitSeconds: Double(committedAt - executedAt) / 1e9,
                             treeSeconds: prepared.treeSeconds, treePages: prepared.tree.written.count)
    }

    // MARK: Events

    /// Publishes a committed block's events (`BlockEvents`; each module's come from its own
    /// events file through `ModuleEventRegistry`).
    func publishEvents(hash: Hash, header: BlockHeader, executed: ExecutedBlock, params: BankParams, feeRoundsUp: Bool) {
        let context = BlockEventContext(height: header.height, timestamp: header.timestamp, params: params, feeRoundsUp: feeRoundsUp,
                                        writes: executed.writes, royalties: executed.royalties, state: cache,
                                        metrics: metrics, logger: logger)
        let drafts = BlockEvents.drafts(hash: hash, proposer: header.proposer.address, executed: executed, block: context)
        events.publish(drafts)
        metrics.eventsPublished.increment(by: drafts.count)
    }
}
