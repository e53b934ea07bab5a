import AgoraCore

/// The per-block update of the state tree: a block's write set applied to the tree of the
/// previous version gives the new root, the pages to store at the new version, and the pages
/// the new version no longer uses (stale since it: pruned once the version leaves the proof
/// window). Only the paths of changed keys are read and rewritten.
public enum StateTree {
    /// One key's change: its hash and new value (nil deletes it).
    public struct Change: Sendable, Equatable {
        public var keyHash: Hash
        public var value: [UInt8]?
        public init(keyHash: Hash, value: [UInt8]?) { self.keyHash = keyHash; self.value = value }
    }

    public struct PageRef: Hashable, Sendable {
        public var path: NibblePath
        public var version: UInt64
        public init(path: NibblePath, version: UInt64) { self.path = path; self.version = version }
    }

    /// What storage commits with the block.
    public struct Update: Sendable {
        /// The version (height) the pages are written at.
        public var version: UInt64
        /// The tree's root after the update: the header's `stateRoot`.
        public var root: Hash
        /// Pages to store at `version`, each with its path (empty when the write set was).
        public var written: [(path: NibblePath, page: TreePage)]
        /// Pages of earlier versions that `version` no longer uses.
        public var stale: [PageRef]
    }

    /// Changes in key-hash order; a key written twice keeps its last value.
    public static func changes(_ writes: WriteSet) -> [Change] {
        var byHash: [Hash: [UInt8]?] = [:]
        for e in writes.entries { byHash[StateTreeHashing.keyHash(e.key.bytes)] = .some(e.value) }
        return byHash.map { Change(keyHash: $0.key, value: $0.value) }.sorted { $0.keyHash < $1.keyHash }
    }

    /// Applies `writes` to the tree in force at `base` (nil: an empty tree) as `version`.
    public static func update(_ nodes: some StateTreeNodes, base: UInt64?, version: UInt64, writes: WriteSet) throws -> Update {
        try update(nodes, base: base, version: version, changes: changes(writes))
    }

    public static func update(_ nodes: some StateTreeNodes, base: UInt64?, version: UInt64, changes: [Change]) throws -> Update {
        var updater = Updater(nodes: nodes, version: version)
        var root = TreePage()
        if let base {
            guard let stored = try nodes.rootPage(atOrBefore: base) else { throw StateTreeError.noRoot(version: base) }
            root = stored.page
            if changes.isEmpty { return Update(version: version, root: root.hash, written: [], stale: []) }
            updater.stale.append(PageRef(path: [], version: stored.version))
        }
        let newRoot = try updater.updatePage([], root, changes[...])
        updater.written.append((path: [], page: newRoot))
        return Update(version: version, root: newRoot.hash, written: updater.written, stale: updater.stale)
    }

    struct Updater<Nodes: StateTreeNodes> {
        let nodes: Nodes
        let version: UInt64
        var written: [(path: NibblePath, page: TreePage)] = []
        var stale: [PageRef] = []

        typealias Entry = (keyHash: Hash, value: [UInt8])

        /// Applies the changes under `path` (sorted, all sharing its prefix) slot by slot.
        mutating func updatePage(_ path: NibblePath, _ page: TreePage, _ changes: ArraySlice<Change>) throws -> TreePage {
            var page = page
            let depth = path.count
            var i = changes.startIndex
            while i < changes.endIndex {
                let n = StateTreeHashing.nibble(changes[i].keyHash, depth)
                var j = i + 1
                while j < changes.endIndex && StateTreeHashing.nibble(changes[j].keyHash, depth) == n { j += 1 }
                page.slots[n] = try updateSlot(path + [UInt8(n)], page.slots[n], changes[i..<j])
                i = j
            }
            return page
        }

        mutating func updateSlot(_ path: NibblePath, _ slot: TreeSlot, _ changes: ArraySlice<Change>) throws -> TreeSlot {
            switch slot {
            case .empty:
                return try build(path, merged(nil, changes)[...])
            case let .leaf(k, v):
                return try build(path, merged((k, v), changes)[...])
            case let .page(_, version):
                guard let page = try nodes.page(at: path, version: version) else {
                    throw StateTreeError.missingPage(path: path, version: version)
                }
                stale.append(PageRef(path: path, version: version))
                return settle(path, try updatePage(path, page, changes))
            }
        }

        /// The subtree of `entries` (sorted, distinct) at `path`: empty, one leaf, or a new page.
        mutating func build(_ path: NibblePath, _ entries: ArraySlice<Entry>) throws -> TreeSlot {
            if entries.isEmpty { return .empty }
            if entries.count == 1, let only = entries.first { return .leaf(keyHash: only.keyHash, value: only.value) }
            guard path.count < 64 else { throw StateTreeError.tooDeep(path: path) }
            var page = TreePage()
            var i = entries.startIndex
            while i < entries.endIndex {
                let n = StateTreeHashing.nibble(entries[i].keyHash, path.count)
                var j = i + 1
                while j < entries.endIndex && StateTreeHashing.nibble(entries[j].keyHash, path.count) == n { j += 1 }
                page.slots[n] = try build(path + [UInt8(n)], entries[i..<j])
                i = j
            }
            return store(path, page)
        }

        /// A rewritten child page: gone when empty, its leaf lifted when only one key is left.
        mutating func settle(_ path: NibblePath, _ page: TreePage) -> TreeSlot {
            let used = page.slots.filter { $0 != .empty }
            if used.isEmpty { return .empty }
            if used.count == 1, case .leaf = used[0] { return used[0] }
            return store(path, page)
        }

        mutating func store(_ path: NibblePath, _ page: TreePage) -> TreeSlot {
            written.append((path: path, page: page))
            return .page(hash: page.hash, version: version)
        }

        /// A leaf's key merged with the changes under its slot, in key-hash order.
        func merged(_ existing: Entry?, _ changes: ArraySlice<Change>) -> [Entry] {
            var out: [Entry] = []
            out.reserveCapacity(changes.count + 1)
            var pending = existing
            for c in changes {
                if let p = pending, p.keyHash < c.keyHash { out.append(p); pending = nil }
                if let p = pending, p.keyHash == c.keyHash { pending = nil }
                if let v = c.value { out.append((c.keyHash, v)) }
            }
            if let p = pending { out.append(p) }
            return out
        }
    }
}
