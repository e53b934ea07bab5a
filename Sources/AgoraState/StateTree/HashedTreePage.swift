// HashedTreePage owns a tree page together with every node of its binary subtree, computed
// once: proof building walks four levels of a page and needs, at each, the node on the path
// and its sibling. `TreePage.node` recomputes a range's subtree from its slots on every call
// (the same hashes again at each level), which dominated serving proofs; a page read for proofs
// is hashed here once and, in a node, kept hashed in the proof cache (ProofReadCache).

import AgoraCore

/// A page and its 31 subtree nodes (16 slots, 8 pairs, 4 quads, 2 halves, the whole page),
/// equal by construction to `page.node(lo, hi)` for every aligned range.
public struct HashedTreePage: Sendable, Equatable {
    public let page: TreePage
    /// Node kinds and hashes in heap order: index 1 is the whole page (slots 0..<16), the
    /// children of index i are 2i and 2i+1, slot s is index 16 + s; index 0 is unused.
    private let kinds: [Kind]
    private let hashes: [Hash]

    enum Kind: UInt8, Sendable { case empty, leaf, inner }

    public init(_ page: TreePage) {
        precondition(page.slots.count == 16, "a tree page has 16 slots")
        var kinds = [Kind](repeating: .empty, count: 32)
        var hashes = [Hash](repeating: StateTreeHashing.empty, count: 32)
        for (s, slot) in page.slots.enumerated() {
            switch slot {
            case .empty: continue
            case let .leaf(k, v):
                kinds[16 + s] = .leaf
                hashes[16 + s] = StateTreeHashing.leaf(keyHash: k, valueHash: StateTreeHashing.valueHash(v))
            case let .page(h, _):
                kinds[16 + s] = .inner
                hashes[16 + s] = h
            }
        }
        // The same rules as `TreePage.node`: two empties are empty, a lone leaf rises, anything
        // else is an inner node over both children.
        for i in stride(from: 15, through: 1, by: -1) {
            switch (kinds[2 * i], kinds[2 * i + 1]) {
            case (.empty, .empty): continue
            case (.empty, .leaf): (kinds[i], hashes[i]) = (.leaf, hashes[2 * i + 1])
            case (.leaf, .empty): (kinds[i], hashes[i]) = (.leaf, hashes[2 * i])
            default: (kinds[i], hashes[i]) = (.inner, StateTreeHashing.inner(hashes[2 * i], hashes[2 * i + 1]))
            }
        }
        self.page = page
        self.kinds = kinds
        self.hashes = hashes
    }

    /// The hash of the page's subtree (what its parent's slot holds, or the tree's root).
    public var hash: Hash { hashes[1] }

    /// What `page.node(lo, hi)` says about the aligned range `lo..<hi`, without hashing: whether
    /// it is empty, a single leaf, or an inner node, and its hash.
    public func node(_ lo: Int, _ hi: Int) -> (kind: TreePage.NodeKind, hash: Hash) {
        let i = Self.index(lo, hi)
        switch kinds[i] {
        case .empty: return (.empty, hashes[i])
        case .leaf: return (.leaf, hashes[i])
        case .inner: return (.inner, hashes[i])
        }
    }

    /// Heap index of the aligned range `lo..<hi` (its width a power of two from 1 to 16).
    static func index(_ lo: Int, _ hi: Int) -> Int {
        let width = hi - lo
        precondition(width > 0 && width <= 16 && width & (width - 1) == 0 && lo % width == 0, "not an aligned range of a page: \(lo)..<\(hi)")
        return 16 / width + lo / width
    }
}

extension TreePage {
    /// A node's shape without its contents: what a proof walk branches on.
    public enum NodeKind: Sendable, Equatable { case empty, leaf, inner }
}

extension TreePage.Node {
    public var kind: TreePage.NodeKind {
        switch self {
        case .empty: return .empty
        case .leaf: return .leaf
        case .inner: return .inner
        }
    }
}
