// StateTree: the authenticated state — a sparse Merkle tree over SHA-256 of every state key
// (hashing rules and proofs: AgoraCore/StateProof), kept as 16-slot pages versioned by height.
// This folder owns the pages, the per-block update from a write set, versioned reads and proof
// building; it is deterministic and does no I/O (pages come through `StateTreeNodes`, which
// storage implements over SQLite). Design and formats: docs/state.md.

import AgoraCore

/// A position in the tree: the nibbles (4-bit steps) from the root. The root page is at [].
public typealias NibblePath = [UInt8]

/// One of a page's 16 slots: nothing, a single key's leaf (the key hash and its value), or a
/// child page holding two or more keys (by hash and the version it was written at).
public enum TreeSlot: Hashable, Sendable {
    case empty
    case leaf(keyHash: Hash, value: [UInt8])
    case page(hash: Hash, version: UInt64)
}

/// A stored node of the tree: four binary levels as 16 slots. The binary subtree inside the page
/// is hashed by `StateTreeHashing`'s rules, lifting a lone leaf, so the root does not depend on
/// how the tree is cut into pages. Only the root page may hold fewer than two keys.
public struct TreePage: Hashable, Sendable, CanonicalCodable {
    public var slots: [TreeSlot]

    public init(slots: [TreeSlot] = Array(repeating: .empty, count: 16)) { self.slots = slots }

    /// The page's binary subtree as a node of the abstract tree.
    public enum Node: Equatable, Sendable {
        case empty
        case leaf(keyHash: Hash, valueHash: Hash)
        case inner(Hash)

        public var hash: Hash {
            switch self {
            case .empty: return StateTreeHashing.empty
            case let .leaf(k, v): return StateTreeHashing.leaf(keyHash: k, valueHash: v)
            case let .inner(h): return h
            }
        }
    }

    public var hash: Hash { node(0, 16).hash }

    /// The node covering slots `lo..<hi` (a power-of-two aligned range): empty when all are,
    /// the leaf itself when it is the only slot in use, otherwise an inner node.
    public func node(_ lo: Int, _ hi: Int) -> Node {
        if hi - lo == 1 {
            switch slots[lo] {
            case .empty: return .empty
            case let .leaf(k, v): return .leaf(keyHash: k, valueHash: StateTreeHashing.valueHash(v))
            case let .page(h, _): return .inner(h)
            }
        }
        let mid = (lo + hi) / 2
        let left = node(lo, mid), right = node(mid, hi)
        switch (left, right) {
        case (.empty, .empty): return .empty
        case (.empty, .leaf): return right
        case (.leaf, .empty): return left
        default: return .inner(StateTreeHashing.inner(left.hash, right.hash))
        }
    }

    /// Slots in use.
    public var occupied: Int { slots.reduce(0) { $0 + ($1 == .empty ? 0 : 1) } }

    static let maxValueBytes = 1 << 24

    public func encode(to writer: inout CanonicalWriter) {
        var present: UInt16 = 0
        for (i, s) in slots.enumerated() where s != .empty { present |= 1 << UInt16(i) }
        writer.write(present)
        for s in slots {
            switch s {
            case .empty: continue
            case let .leaf(k, v):
                writer.write(UInt8(1))
                writer.write(k)
                writer.writeBytes(v)
            case let .page(h, version):
                writer.write(UInt8(2))
                writer.write(h)
                writer.write(version)
            }
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let present = try reader.readUInt16("treePage.present")
        var slots: [TreeSlot] = []
        slots.reserveCapacity(16)
        for i in 0..<16 {
            guard present & (1 << UInt16(i)) != 0 else { slots.append(.empty); continue }
            switch try reader.readUInt8("treePage.slot") {
            case 1: slots.append(.leaf(keyHash: try reader.read(Hash.self), value: try reader.readBytes("treePage.value", limit: TreePage.maxValueBytes)))
            case 2: slots.append(.page(hash: try reader.read(Hash.self), version: try reader.readUInt64("treePage.version")))
            case let tag: throw .unknownTag(type: "treePage.slot", tag: tag)
            }
        }
        self.slots = slots
    }
}

/// Where the tree's pages are read from: SQLite in a node (`BlockStore`), a dictionary in tests.
public protocol StateTreeNodes {
    /// The page written at `path` in `version`; nil if there is none (pruned, or never written).
    func page(at path: NibblePath, version: UInt64) throws -> TreePage?
    /// The root page in force at `version`: the one written at the highest version ≤ `version`.
    func rootPage(atOrBefore version: UInt64) throws -> (page: TreePage, version: UInt64)?
    /// `page(at:version:)` with its subtree hashed (proof building); a store that keeps pages in
    /// memory may keep them hashed. The default hashes the page it reads.
    func hashedPage(at path: NibblePath, version: UInt64) throws -> HashedTreePage?
    /// `rootPage(atOrBefore:)` hashed, as `hashedPage`.
    func hashedRootPage(atOrBefore version: UInt64) throws -> (page: HashedTreePage, version: UInt64)?
}

extension StateTreeNodes {
    public func hashedPage(at path: NibblePath, version: UInt64) throws -> HashedTreePage? {
        try page(at: path, version: version).map(HashedTreePage.init)
    }

    public func hashedRootPage(atOrBefore version: UInt64) throws -> (page: HashedTreePage, version: UInt64)? {
        try rootPage(atOrBefore: version).map { (HashedTreePage($0.page), $0.version) }
    }
}

/// Why the tree could not be read or updated.
public enum StateTreeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A page the tree refers to is not stored: pruned (a height older than the proof window) or damaged.
    case missingPage(path: NibblePath, version: UInt64)
    /// No root page at or before this version: the height is pruned or not yet written.
    case noRoot(version: UInt64)
    /// Two keys with the same 256-bit hash, or a page deeper than a key hash allows.
    case tooDeep(path: NibblePath)

    public var description: String {
        switch self {
        case let .missingPage(p, v): return "state tree page \(p.map { String($0, radix: 16) }.joined()) of version \(v) is not stored"
        case let .noRoot(v): return "no state tree root at or before version \(v)"
        case let .tooDeep(p): return "state tree path of \(p.count) nibbles is deeper than a key hash"
        }
    }
}
