import GRDB

/// The seam between committing a block and the modules' secondary indexes: each module that
/// keeps an index in SQLite (claims and groups, tasks, intents) conforms in its own file and is
/// listed in `BlockStore.indexers`; `commit` writes them all inside the block's transaction, so
/// an index can never disagree with the chain and a crash leaves it exactly as complete as the
/// blocks. The market needs none: its lists are key ranges over state (`MarketIndex.swift`).
protocol BlockIndexer: Sendable {
    /// Indexes one block, from the block, its receipts and its write set.
    func index(_ db: Database, _ batch: BlockStore.CommitBatch) throws
}

extension BlockStore {
    /// Every module index, written in this order on each commit. A module with an index adds
    /// its file and one entry here.
    static let indexers: [any BlockIndexer] = [ClaimIndex(), TaskIndex(), IntentIndex()]
}
