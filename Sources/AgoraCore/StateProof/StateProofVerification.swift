/// Why a state proof was refused. A verifier accepts only when the root recomputed from the
/// key, the claimed value and the proof is the trusted root.
public enum StateProofError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The proof's bytes do not decode (see `CodecError`).
    case malformed(CodecError)
    /// A value was claimed, but the proof ends in an empty subtree or another key's leaf.
    case provesAbsence
    /// Absence was claimed, but the proof ends in the key's own leaf.
    case provesPresence
    /// The proof ends in another key's leaf that is not on this key's path (or is this key).
    case leafOffPath(depth: Int)
    /// The recomputed root is not the trusted one: the value, the key or the proof is wrong.
    case rootMismatch(expected: Hash, computed: Hash)

    public var code: String {
        switch self {
        case .malformed: return "bad_proof_encoding"
        case .provesAbsence: return "proof_shows_absent"
        case .provesPresence: return "proof_shows_present"
        case .leafOffPath: return "proof_leaf_off_path"
        case .rootMismatch: return "proof_root_mismatch"
        }
    }

    public var description: String {
        switch self {
        case let .malformed(e): return "state proof does not decode: \(e)"
        case .provesAbsence: return "a value was claimed but the proof shows the key absent"
        case .provesPresence: return "absence was claimed but the proof shows the key present"
        case let .leafOffPath(d): return "the proof's terminal leaf at depth \(d) is not on the key's path"
        case let .rootMismatch(e, c): return "the proof leads to root \(c), not the trusted \(e)"
        }
    }
}

extension StateProof {
    /// Decodes a proof from its canonical bytes, as `StateProofError.malformed` on failure.
    public static func decode(_ bytes: [UInt8]) throws(StateProofError) -> StateProof {
        do { return try StateProof(canonicalBytes: bytes) } catch { throw .malformed(error) }
    }

    /// The root this proof leads to if `key` holds `value` (nil: the key is absent).
    public func root(key: [UInt8], value: [UInt8]?) throws(StateProofError) -> Hash {
        let keyHash = StateTreeHashing.keyHash(key)
        var node: Hash
        switch (terminal, value) {
        case let (.leaf, value?):
            node = StateTreeHashing.leaf(keyHash: keyHash, valueHash: StateTreeHashing.valueHash(value))
        case (.leaf, nil):
            throw .provesPresence
        case (.empty, nil):
            node = StateTreeHashing.empty
        case let (.otherLeaf(other, valueHash), nil):
            guard other != keyHash, StateTreeHashing.sharePrefix(other, keyHash, bits: siblings.count) else {
                throw .leafOffPath(depth: siblings.count)
            }
            node = StateTreeHashing.leaf(keyHash: other, valueHash: valueHash)
        case (.empty, _?), (.otherLeaf, _?):
            throw .provesAbsence
        }
        for depth in stride(from: siblings.count - 1, through: 0, by: -1) {
            let sibling = siblings[depth] ?? StateTreeHashing.empty
            node = StateTreeHashing.bit(keyHash, depth) == 0
                ? StateTreeHashing.inner(node, sibling) : StateTreeHashing.inner(sibling, node)
        }
        return node
    }

    /// Accepts only if `key` holds `value` (nil: is absent) in the state whose root is `root`.
    public func verify(key: [UInt8], value: [UInt8]?, root expected: Hash) throws(StateProofError) {
        let computed = try root(key: key, value: value)
        guard computed == expected else { throw .rootMismatch(expected: expected, computed: computed) }
    }

    /// Decodes `bytes` and verifies them in one step (the light client's entry point).
    public static func verify(_ bytes: [UInt8], key: [UInt8], value: [UInt8]?, root: Hash) throws(StateProofError) {
        try decode(bytes).verify(key: key, value: value, root: root)
    }
}
