/// A proof that a state key holds a value, or holds none, under a state root.
///
/// It is the path from the root to where the key's hash leads: the sibling of every node on
/// the way (`siblings[i]` is the sibling at depth i+1; nil is an empty subtree) and what the
/// path ends in (`terminal`). The verifier recomputes the root from the key, the claimed value
/// and these hashes (`StateProofVerification.swift`).
///
/// Canonical encoding (docs/state.md): u8 format version (1), u16 depth (≤ 256), a bitmap of
/// ⌈depth/8⌉ bytes (bit i, least significant first in each byte, set when sibling i is present;
/// unused high bits zero), the present siblings (32 bytes each, never all-zero), then the
/// terminal: tag 0 empty, 1 the key's own leaf, 2 another key's leaf followed by its key hash
/// and value hash. Decoding refuses every other form, so one proof has one encoding.
public struct StateProof: Hashable, Sendable, CanonicalCodable {
    public static let formatVersion: UInt8 = 1

    public enum Terminal: Hashable, Sendable {
        /// The path ends in an empty subtree: the key is absent.
        case empty
        /// The path ends in the key's own leaf: the key is present (its value is the claim).
        case leaf
        /// The path ends in the leaf of another key sharing the path's prefix: the key is absent.
        case otherLeaf(keyHash: Hash, valueHash: Hash)
    }

    public var siblings: [Hash?]
    public var terminal: Terminal

    public init(siblings: [Hash?], terminal: Terminal) {
        self.siblings = siblings
        self.terminal = terminal
    }

    /// Whether the proof says the key is present.
    public var provesMembership: Bool { terminal == .leaf }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(StateProof.formatVersion)
        writer.write(UInt16(siblings.count))
        var bitmap = [UInt8](repeating: 0, count: (siblings.count + 7) / 8)
        for (i, s) in siblings.enumerated() where s != nil { bitmap[i / 8] |= 1 << UInt8(i % 8) }
        writer.writeFixed(bitmap)
        for s in siblings { if let s { writer.write(s) } }
        switch terminal {
        case .empty: writer.write(UInt8(0))
        case .leaf: writer.write(UInt8(1))
        case let .otherLeaf(k, v):
            writer.write(UInt8(2))
            writer.write(k)
            writer.write(v)
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let version = try reader.readUInt8("stateProof.version")
        guard version == StateProof.formatVersion else {
            throw .unsupportedVersion(type: "stateProof", version: version, supported: StateProof.formatVersion)
        }
        let depth = Int(try reader.readUInt16("stateProof.depth"))
        guard depth <= StateTreeHashing.maxDepth else {
            throw .lengthOverLimit(field: "stateProof.depth", length: depth, limit: StateTreeHashing.maxDepth)
        }
        let bitmap = Array(try reader.readFixed((depth + 7) / 8, "stateProof.bitmap"))
        if depth % 8 != 0, let last = bitmap.last, last >> UInt8(depth % 8) != 0 {
            throw .nonCanonical(field: "stateProof.bitmap", reason: "bits set past depth \(depth)")
        }
        var siblings: [Hash?] = []
        siblings.reserveCapacity(depth)
        for i in 0..<depth {
            guard bitmap[i / 8] & (1 << UInt8(i % 8)) != 0 else { siblings.append(nil); continue }
            let h = try reader.read(Hash.self)
            guard h != StateTreeHashing.empty else {
                throw .nonCanonical(field: "stateProof.siblings[\(i)]", reason: "an empty sibling is marked present")
            }
            siblings.append(h)
        }
        self.siblings = siblings
        switch try reader.readUInt8("stateProof.terminal") {
        case 0: terminal = .empty
        case 1: terminal = .leaf
        case 2: terminal = .otherLeaf(keyHash: try reader.read(Hash.self), valueHash: try reader.read(Hash.self))
        case let tag: throw .unknownTag(type: "stateProof.terminal", tag: tag)
        }
    }
}
