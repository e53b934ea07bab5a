import AgoraCore

/// Reads of one version of the tree: a key's value with its proof. The walk follows the key
/// hash bit by bit inside each page (collecting the sibling of every step) and from page to
/// child page, until it meets an empty subtree or a leaf.
extension StateTree {
    public struct ProvenValue: Sendable, Equatable {
        /// The key's value at the version; nil when the key is absent.
        public var value: [UInt8]?
        public var proof: StateProof
        /// The root of the version read (what the proof verifies against).
        public var root: Hash
    }

    /// The value of `key` in the tree in force at `version`, with its proof. Each page on the
    /// path is hashed once (`HashedTreePage`), or not at all when `nodes` keeps it hashed.
    public static func prove(_ nodes: some StateTreeNodes, key: [UInt8], version: UInt64) throws -> ProvenValue {
        guard let (rootPage, _) = try nodes.hashedRootPage(atOrBefore: version) else { throw StateTreeError.noRoot(version: version) }
        let keyHash = StateTreeHashing.keyHash(key)
        let root = rootPage.hash
        var siblings: [Hash?] = []
        var page = rootPage
        var path: NibblePath = []
        while true {
            var (lo, hi) = (0, 16)
            for level in 0..<4 {
                switch page.node(lo, hi).kind {
                case .empty:
                    return ProvenValue(value: nil, proof: StateProof(siblings: siblings, terminal: .empty), root: root)
                case .leaf:
                    return terminal(page.page, lo, hi, keyHash, siblings, root)
                case .inner:
                    let mid = (lo + hi) / 2
                    let right = StateTreeHashing.bit(keyHash, path.count * 4 + level) == 1
                    let sibling = right ? page.node(lo, mid) : page.node(mid, hi)
                    siblings.append(sibling.kind == .empty ? nil : sibling.hash)
                    (lo, hi) = right ? (mid, hi) : (lo, mid)
                }
            }
            switch page.page.slots[lo] {
            case .empty:
                return ProvenValue(value: nil, proof: StateProof(siblings: siblings, terminal: .empty), root: root)
            case .leaf:
                return terminal(page.page, lo, hi, keyHash, siblings, root)
            case let .page(_, childVersion):
                path.append(UInt8(lo))
                guard let child = try nodes.hashedPage(at: path, version: childVersion) else {
                    throw StateTreeError.missingPage(path: path, version: childVersion)
                }
                page = child
            }
        }
    }

    /// The proof's end at the single leaf in slots `lo..<hi`: the key's own, or another's.
    static func terminal(_ page: TreePage, _ lo: Int, _ hi: Int, _ keyHash: Hash, _ siblings: [Hash?], _ root: Hash) -> ProvenValue {
        for slot in page.slots[lo..<hi] {
            guard case let .leaf(k, v) = slot else { continue }
            if k == keyHash { return ProvenValue(value: v, proof: StateProof(siblings: siblings, terminal: .leaf), root: root) }
            return ProvenValue(value: nil, proof: StateProof(siblings: siblings, terminal: .otherLeaf(keyHash: k, valueHash: StateTreeHashing.valueHash(v))),
                               root: root)
        }
        return ProvenValue(value: nil, proof: StateProof(siblings: siblings, terminal: .empty), root: root)
    }
}

/// Pages in memory: genesis, tests and benchmarks. Keeps every version it is given.
public struct MemoryTreeNodes: StateTreeNodes, Sendable {
    public var pages: [StateTree.PageRef: TreePage] = [:]
    public var roots: [UInt64: TreePage] = [:]

    public init() {}

    public func page(at path: NibblePath, version: UInt64) throws -> TreePage? {
        pages[StateTree.PageRef(path: path, version: version)]
    }

    public func rootPage(atOrBefore version: UInt64) throws -> (page: TreePage, version: UInt64)? {
        guard let v = roots.keys.filter({ $0 <= version }).max(), let page = roots[v] else { return nil }
        return (page, v)
    }

    /// Stores an update's pages; `prune` drops the stale ones at once (a tree with no history).
    public mutating func apply(_ update: StateTree.Update, prune: Bool = false) {
        for (path, page) in update.written {
            pages[StateTree.PageRef(path: path, version: update.version)] = page
            if path.isEmpty { roots[update.version] = page }
        }
        guard prune else { return }
        for ref in update.stale {
            pages[ref] = nil
            if ref.path.isEmpty { roots[ref.version] = nil }
        }
    }
}
