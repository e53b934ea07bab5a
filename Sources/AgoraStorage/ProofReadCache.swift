import AgoraCore
import AgoraState
import Synchronization

/// What serving a state proof reads from SQLite again and again and what never changes once a
/// height is committed, kept in bounded memory (docs/state.md, "Serving proofs"): a height's
/// header and commit, the root page in force at a height, and tree pages by (path, version).
/// A page is written once under its path and version and only ever deleted (pruning), and a
/// proof for a pruned height is refused before any page is read, so nothing here is ever
/// invalidated; each map forgets what was not used lately (`BoundedCache`).
///
/// Used only by `proveState` (heights at or below the head): block building and verification
/// read the tree from SQLite as before, so consensus does not depend on this memory.
final class ProofReadCache: Sendable {
    struct PageID: Hashable, Sendable {
        var path: NibblePath
        var version: UInt64
    }

    struct SealedHeader: Sendable {
        var header: BlockHeader
        var seal: Commit
    }

    struct Root: Sendable {
        var page: TreePage
        var version: UInt64
    }

    /// Pages are at most a few hundred bytes (16 slots); 16,384 of them hold the top levels of
    /// a tree of millions of keys, which every proof walks through.
    static let defaultPages = 16_384
    static let defaultHeights = 256

    private let pages: Mutex<BoundedCache<PageID, TreePage>>
    private let roots: Mutex<BoundedCache<UInt64, Root>>
    private let headers: Mutex<BoundedCache<UInt64, SealedHeader>>

    init(pages: Int = ProofReadCache.defaultPages, heights: Int = ProofReadCache.defaultHeights) {
        self.pages = Mutex(BoundedCache(capacity: pages))
        roots = Mutex(BoundedCache(capacity: heights))
        headers = Mutex(BoundedCache(capacity: heights))
    }

    func header(_ height: UInt64, read: () throws -> SealedHeader) rethrows -> SealedHeader {
        if let kept = headers.withLock({ $0.value(height) }) { return kept }
        let fresh = try read()
        headers.withLock { $0.insert(height, fresh) }
        return fresh
    }

    /// `StateTreeNodes` for proofs at committed heights: through this cache, then `base`.
    struct Nodes: StateTreeNodes {
        let base: BlockStore.DatabaseTreeNodes
        let cache: ProofReadCache

        func page(at path: NibblePath, version: UInt64) throws -> TreePage? {
            let id = PageID(path: path, version: version)
            if let kept = cache.pages.withLock({ $0.value(id) }) { return kept }
            guard let page = try base.page(at: path, version: version) else { return nil }
            cache.pages.withLock { $0.insert(id, page) }
            return page
        }

        /// The root in force at a committed height stays so: later blocks write higher versions.
        func rootPage(atOrBefore version: UInt64) throws -> (page: TreePage, version: UInt64)? {
            if let kept = cache.roots.withLock({ $0.value(version) }) { return (kept.page, kept.version) }
            guard let found = try base.rootPage(atOrBefore: version) else { return nil }
            cache.roots.withLock { $0.insert(version, Root(page: found.page, version: found.version)) }
            return found
        }
    }

    /// Entries held now (tests and metrics).
    var counts: (pages: Int, roots: Int, headers: Int) {
        (pages.withLock { $0.count }, roots.withLock { $0.count }, headers.withLock { $0.count })
    }
}
