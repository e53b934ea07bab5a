import AgoraCore
import Synchronization

/// What the ledger announces to the rest of the node: each transaction newly admitted to the
/// mempool (the network gossips it) and each committed block (the network announces its own,
/// consensus moves to the next height, the artifact fetcher and the mediator wake).
///
/// The composition root creates the feed before the chain and passes it to the chain, which
/// announces, and to each listener's constructor, which says there what it does with the news:
/// the wiring reads top to bottom in `Node.run`, and nobody reaches into `Chain` to hook itself
/// on at run time. Listeners run on the committing or admitting task and must not commit blocks.
public final class LedgerFeed: Sendable {
    private let commitListeners = Mutex<[Chain.Hook<(Block, Commit)>]>([])
    private let admitListeners = Mutex<[Chain.Hook<Transaction>]>([])

    public init() {}

    /// Calls `f` after every committed block.
    public func onCommit(_ f: @escaping @Sendable (Block, Commit) -> Void) {
        commitListeners.withLock { $0.append(Chain.Hook { f($0.0, $0.1) }) }
    }

    /// Calls `f` for every transaction newly admitted to the mempool (not for blocks' own).
    public func onAdmit(_ f: @escaping @Sendable (Transaction) -> Void) {
        admitListeners.withLock { $0.append(Chain.Hook(call: f)) }
    }

    func committed(_ block: Block, _ seal: Commit) {
        for listener in commitListeners.withLock({ $0 }) { listener.call((block, seal)) }
    }

    func admitted(_ tx: Transaction) {
        for listener in admitListeners.withLock({ $0 }) { listener.call(tx) }
    }
}
