import Testing
@testable import AgoraCore

/// A reference state tree straight from the definition in `StateTreeHashing` (recursive over a
/// set of keys, no pages): the proofs it builds are what a node must serve.
enum ReferenceTree {
    typealias Entry = (keyHash: Hash, value: [UInt8])

    static func root(_ entries: [Entry], depth: Int = 0) -> Hash {
        if entries.isEmpty { return StateTreeHashing.empty }
        if entries.count == 1 { return StateTreeHashing.leaf(keyHash: entries[0].keyHash, valueHash: StateTreeHashing.valueHash(entries[0].value)) }
        let left = entries.filter { StateTreeHashing.bit($0.keyHash, depth) == 0 }
        let right = entries.filter { StateTreeHashing.bit($0.keyHash, depth) == 1 }
        return StateTreeHashing.inner(root(left, depth: depth + 1), root(right, depth: depth + 1))
    }

    static func proof(_ entries: [Entry], key: [UInt8]) -> StateProof {
        let kh = StateTreeHashing.keyHash(key)
        var here = entries
        var siblings: [Hash?] = []
        var depth = 0
        while here.count > 1 {
            let mine = here.filter { StateTreeHashing.bit($0.keyHash, depth) == StateTreeHashing.bit(kh, depth) }
            let other = here.filter { StateTreeHashing.bit($0.keyHash, depth) != StateTreeHashing.bit(kh, depth) }
            siblings.append(other.isEmpty ? nil : root(other, depth: depth + 1))
            here = mine
            depth += 1
        }
        guard let only = here.first else { return StateProof(siblings: siblings, terminal: .empty) }
        if only.keyHash == kh { return StateProof(siblings: siblings, terminal: .leaf) }
        return StateProof(siblings: siblings, terminal: .otherLeaf(keyHash: only.keyHash, valueHash: StateTreeHashing.valueHash(only.value)))
    }

    static func entries(_ pairs: [([UInt8], [UInt8])]) -> [Entry] {
        pairs.map { (StateTreeHashing.keyHash($0.0), $0.1) }
    }
}

@Suite("State proofs")
struct StateProofTests {
    static func state(_ r: inout SeededRandom, count: Int) -> [([UInt8], [UInt8])] {
        (0..<count).map { i in (Array("bank/acct/\(i)".utf8) + r.bytes(4), r.bytes(1 + Int(r.next() % 40))) }
    }

    @Test("every member proves its value, and only its value", arguments: 0..<20)
    func membersProve(seed: Int) throws {
        var r = SeededRandom(seed: UInt64(seed))
        let pairs = Self.state(&r, count: 1 + seed * 7)
        let entries = ReferenceTree.entries(pairs)
        let root = ReferenceTree.root(entries)
        for (key, value) in pairs {
            let proof = ReferenceTree.proof(entries, key: key)
            let decoded = try StateProof.decode(proof.canonicalBytes)
            #expect(decoded == proof)
            try decoded.verify(key: key, value: value, root: root)
            #expect(throws: StateProofError.self) { try decoded.verify(key: key, value: value + [0], root: root) }
            #expect(throws: StateProofError.provesPresence) { try decoded.verify(key: key, value: nil, root: root) }
        }
    }

    @Test("absent keys prove absent and cannot be claimed present", arguments: 0..<20)
    func absentKeysProveAbsent(seed: Int) throws {
        var r = SeededRandom(seed: UInt64(seed) + 1000)
        let pairs = Self.state(&r, count: seed * 5)
        let entries = ReferenceTree.entries(pairs)
        let root = ReferenceTree.root(entries)
        for i in 0..<20 {
            let key = Array("absent/\(i)".utf8)
            let proof = ReferenceTree.proof(entries, key: key)
            try StateProof.verify(proof.canonicalBytes, key: key, value: nil, root: root)
            #expect(throws: StateProofError.provesAbsence) { try proof.verify(key: key, value: [1], root: root) }
        }
    }

    @Test("any one-byte change to a proof is refused", arguments: 0..<10)
    func mutationsFail(seed: Int) throws {
        var r = SeededRandom(seed: UInt64(seed) + 2000)
        let pairs = Self.state(&r, count: 50 + seed * 30)
        let entries = ReferenceTree.entries(pairs)
        let root = ReferenceTree.root(entries)
        let cases: [([UInt8], [UInt8]?)] = [(pairs[0].0, pairs[0].1), (Array("absent".utf8), nil), (pairs[7].0, pairs[7].1)]
        for (key, value) in cases {
            let bytes = ReferenceTree.proof(entries, key: key).canonicalBytes
            for i in bytes.indices {
                var mutated = bytes
                mutated[i] ^= UInt8(1 + r.next() % 255)
                #expect(throws: StateProofError.self, "byte \(i) of \(bytes.count)") {
                    try StateProof.verify(mutated, key: key, value: value, root: root)
                }
            }
        }
    }

    @Test("a proof for one key does not prove another key, nor under another root")
    func wrongKeyOrRoot() throws {
        var r = SeededRandom(seed: 7)
        let pairs = Self.state(&r, count: 200)
        let entries = ReferenceTree.entries(pairs)
        let root = ReferenceTree.root(entries)
        let proof = ReferenceTree.proof(entries, key: pairs[3].0)
        #expect(throws: StateProofError.self) { try proof.verify(key: pairs[4].0, value: pairs[3].1, root: root) }
        #expect(throws: StateProofError.self) { try proof.verify(key: pairs[3].0, value: pairs[3].1, root: Hash.sha256([1])) }
    }

    @Test("non-canonical encodings are refused: unknown version, stray bitmap bits, an empty sibling marked present, trailing bytes")
    func nonCanonical() throws {
        let proof = StateProof(siblings: [Hash.sha256([1]), nil, nil], terminal: .empty)
        var bytes = proof.canonicalBytes
        #expect(try StateProof.decode(bytes) == proof)
        var v = bytes; v[0] = 2
        #expect(throws: StateProofError.malformed(.unsupportedVersion(type: "stateProof", version: 2, supported: 1))) { try StateProof.decode(v) }
        var b = bytes; b[3] |= 0x80
        #expect(throws: StateProofError.self) { try StateProof.decode(b) }
        let zeroSibling = [1, 1, 0, 1] + [UInt8](repeating: 0, count: 32) + [0]
        #expect(throws: StateProofError.self) { try StateProof.decode(zeroSibling) }
        bytes.append(0)
        #expect(throws: StateProofError.malformed(.trailingBytes(type: "StateProof", count: 1))) { try StateProof.decode(bytes) }
    }

    @Test("a header of the previous format version is refused with a typed error")
    func oldHeaderVersion() throws {
        var r = SeededRandom(seed: 3)
        var bytes = Fixtures.block(&r).header.canonicalBytes
        bytes[0] = 2
        #expect(throws: CodecError.unsupportedVersion(type: "header", version: 2, supported: 3)) { try BlockHeader(canonicalBytes: bytes) }
    }
}
