import AgoraCore
import AgoraState
import GRDB

/// The seam between committing a block and the modules' secondary indexes: each module that
/// keeps an index in SQLite (claims and groups, tasks, intents) conforms in its own file and is
/// listed in `BlockStore.indexers`; `commit` writes them all inside the block's transaction, so
/// an index can never disagree with the chain and a crash leaves it exactly as complete as the
/// blocks. The market needs none: its lists are key ranges over state (`MarketIndex.swift`).
/// An index reads only the successful transactions `TransactionOrigin.isIndexed` names (and
/// intents, state's records): the same inputs the state keeps, so `rebuildIndexes` can build
/// it again from the state alone (IndexRebuild.swift).
protocol BlockIndexer: Sendable {
    /// Indexes one block, from the block, its receipts and its write set.
    func index(_ db: Database, _ batch: BlockStore.CommitBatch) throws
}

/// The successful indexed transactions of one height, each with its index in the block: what
/// every module index is built from, whether from a committed block or from state's origins.
struct IndexedTransactions {
    var height: UInt64
    /// The block's timestamp (ms).
    var time: Int64
    var items: [(index: Int, tx: Transaction)]

    init(height: UInt64, time: Int64, items: [(index: Int, tx: Transaction)]) {
        self.height = height
        self.time = time
        self.items = items
    }

    init(block: Block, receipts: [Receipt]) {
        height = block.header.height
        time = Int64(block.header.timestamp)
        items = []
        for (i, tx) in block.transactions.enumerated() where receipts[i].succeeded && TransactionOrigin.isIndexed(tx.body.payload) {
            items.append((i, tx))
        }
    }
}

extension BlockStore {
    /// Every module index, written in this order on each commit. A module with an index adds
    /// its file and one entry here.
    static let indexers: [any BlockIndexer] = [ClaimIndex(), TaskIndex(), IntentIndex()]
}
