// StateProof: the state tree's hashing rules and its proofs — what a header's `stateRoot`
// commits to and how anyone holding only that root checks one key's value or absence. Pure
// value code (no storage, no server) so that the light client in AgoraClient verifies proofs
// with exactly the code the node uses to build the tree. The tree itself (pages, updates,
// versions) lives in AgoraState/StateTree; the format is documented in docs/state.md.

import Crypto

/// The hashing rules of the state tree: a binary sparse Merkle tree over SHA-256(key) whose
/// subtrees holding a single key are compressed into that key's leaf.
///
/// - an empty subtree hashes to 32 zero bytes;
/// - a leaf is SHA-256(0x00 ‖ keyHash ‖ SHA-256(value));
/// - an inner node is SHA-256(0x01 ‖ left ‖ right), the left child taking bit 0.
///
/// A subtree with one key is that key's leaf (lifted to the top of the subtree), with two or
/// more it is an inner node: so the root is a function of the set of (key, value) pairs alone,
/// whatever the order of inserts, updates and deletes. The prefix bytes keep a leaf from ever
/// passing for an inner node (RFC 6962's rule, as in `Merkle`).
public enum StateTreeHashing {
    /// The root of a state with no keys, and the hash of any empty subtree.
    public static let empty = Hash.zero
    /// Bits in a key hash: the deepest a leaf can sit.
    public static let maxDepth = 256

    public static func keyHash(_ key: [UInt8]) -> Hash { Hash.sha256(key) }
    public static func valueHash(_ value: [UInt8]) -> Hash { Hash.sha256(value) }

    public static func leaf(keyHash: Hash, valueHash: Hash) -> Hash {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: keyHash.bytes)
        hasher.update(data: valueHash.bytes)
        return Hash(storage: Bytes32(Array(hasher.finalize())))
    }

    public static func inner(_ left: Hash, _ right: Hash) -> Hash {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left.bytes)
        hasher.update(data: right.bytes)
        return Hash(storage: Bytes32(Array(hasher.finalize())))
    }

    /// Bit `index` (0 = most significant bit of the first byte) of a key hash: the branch the
    /// key takes at depth `index` (0 left, 1 right).
    @inline(__always)
    public static func bit(_ hash: Hash, _ index: Int) -> UInt8 {
        let s = hash.storage
        let word: UInt64
        switch index >> 6 {
        case 0: word = s.w0
        case 1: word = s.w1
        case 2: word = s.w2
        default: word = s.w3
        }
        return UInt8((word >> UInt64(63 - (index & 63))) & 1)
    }

    /// Nibble `index` (0…63, high nibble of the first byte first): the slot a key takes in the
    /// tree page at nibble depth `index`.
    @inline(__always)
    public static func nibble(_ hash: Hash, _ index: Int) -> Int {
        Int(bit(hash, index * 4)) << 3 | Int(bit(hash, index * 4 + 1)) << 2 | Int(bit(hash, index * 4 + 2)) << 1 | Int(bit(hash, index * 4 + 3))
    }

    /// Whether two key hashes agree on their first `bits` bits.
    public static func sharePrefix(_ a: Hash, _ b: Hash, bits: Int) -> Bool {
        for i in 0..<bits where bit(a, i) != bit(b, i) { return false }
        return true
    }
}
