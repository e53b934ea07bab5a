import AgoraCore
import AgoraState
import Synchronization

/// What serving a state proof reads from SQLite again and again and what never changes once a
/// height is committed, kept in bounded memory (docs/state.md, "Serving proofs"): a height's
/// header and commit, the root page in force at a height, and tree pages by (path, version).
/// Pages are kept hashed (`HashedTreePage`: the page's 31 subtree nodes computed once), so a
/// proof through cached pages does no hashing but the key's. A page is written once under its
/// path and version and only ever deleted (pruning), and a
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
        var page: HashedTreePage
        var version: UInt64
    }

    /// A page is at most a few hundred bytes (16 slots) plus its 31 node hashes (about 1 KiB);
    /// 16,384 of them hold the top levels of a tree of millions of keys, which every proof walks
    /// through.
    static let defaultPages = 16_384
    static let defaultHeights = 256

    private let pages: Mutex<BoundedCache<PageID, HashedTreePage>>
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
            try hashedPage(at: path, version: version)?.page
        }

        func rootPage(atOrBefore version: UInt64) throws -> (page: TreePage, version: UInt64)? {
            try hashedRootPage(atOrBefore: version).map { ($0.page.page, $0.version) }
        }

        /// Hashed once when first read from SQLite, then served hashed from memory.
        func hashedPage(at path: NibblePath, version: UInt64) throws -> HashedTreePage? {
            let id = PageID(path: path, version: version)
            if let kept = cache.pages.withLock({ $0.value(id) }) { return kept }
            guard let page = try base.page(at: path, version: version) else { return nil }
            let hashed = HashedTreePage(page)
            cache.pages.withLock { $0.insert(id, hashed) }
            return hashed
        }

        /// The root in force at a committed height stays so: later blocks write higher versions.
        func hashedRootPage(atOrBefore version: UInt64) throws -> (page: HashedTreePage, version: UInt64)? {
            if let kept = cache.roots.withLock({ $0.value(version) }) { return (kept.page, kept.version) }
            guard let found = try base.rootPage(atOrBefore: version) else { return nil }
            let root = Root(page: HashedTreePage(found.page), version: found.version)
            cache.roots.withLock { $0.insert(version, root) }
            return (root.page, root.version)
        }
    }

    /// The heights a proof may be served at without asking SQLite: the head and the oldest
    /// provable height, published by commits and by proofs read from SQLite.
    struct Window: Sendable, Equatable {
        var head: UInt64
        var oldest: UInt64
    }

    private let window = Mutex<Window?>(nil)

    /// Records a window read in one snapshot (or written by a commit); an older head never
    /// replaces a newer one, so a slow reader cannot move the window back.
    func publish(_ w: Window) {
        window.withLock { current in
            if let c = current, c.head > w.head { return }
            current = w
        }
    }

    /// A proof from memory alone: the window, the height's header, its root and every page on
    /// the key's path held here. nil when anything is not held, or the height is outside the
    /// window (the caller then reads SQLite, which decides refusals). What is held never
    /// changes, and the window only lags the database by a commit in progress, so the answer is
    /// one a read an instant earlier would have given.
    func proveFromMemory(key: StateKey, height asked: UInt64?) -> BlockStore.ProvenState? {
        guard let w = window.withLock({ $0 }) else { return nil }
        let height = asked ?? w.head
        guard height >= max(w.oldest, 1), height <= w.head, let sealed = headers.withLock({ $0.value(height) }) else { return nil }
        guard let proven = try? StateTree.prove(Held(cache: self), key: key.bytes, version: height),
              proven.root == sealed.header.stateRoot else { return nil }
        return BlockStore.ProvenState(key: key, height: height, value: proven.value, proof: proven.proof, header: sealed.header, seal: sealed.seal)
    }

    /// Why a proof from memory stopped: something on its path is not held.
    enum NotHeld: Error, Equatable {
        case page(path: NibblePath, version: UInt64)
        case root(version: UInt64)
    }

    /// `StateTreeNodes` over what this cache holds, reading nothing else.
    struct Held: StateTreeNodes {
        let cache: ProofReadCache

        func page(at path: NibblePath, version: UInt64) throws -> TreePage? { try hashedPage(at: path, version: version)?.page }

        func rootPage(atOrBefore version: UInt64) throws -> (page: TreePage, version: UInt64)? {
            try hashedRootPage(atOrBefore: version).map { ($0.page.page, $0.version) }
        }

        func hashedPage(at path: NibblePath, version: UInt64) throws -> HashedTreePage? {
            guard let kept = cache.pages.withLock({ $0.value(PageID(path: path, version: version)) }) else {
                throw NotHeld.page(path: path, version: version)
            }
            return kept
        }

        func hashedRootPage(atOrBefore version: UInt64) throws -> (page: HashedTreePage, version: UInt64)? {
            guard let kept = cache.roots.withLock({ $0.value(version) }) else { throw NotHeld.root(version: version) }
            return (kept.page, kept.version)
        }
    }

    /// Entries held now (tests and metrics).
    var counts: (pages: Int, roots: Int, headers: Int) {
        (pages.withLock { $0.count }, roots.withLock { $0.count }, headers.withLock { $0.count })
    }
}
