import Testing
@testable import AgoraCore
@testable import AgoraState

@Suite("State tree")
struct StateTreeTests {
    /// The root from the definition (recursive over the key set), to check the paged tree against.
    static func referenceRoot(_ entries: [Hash: [UInt8]], depth: Int = 0) -> Hash {
        if entries.isEmpty { return StateTreeHashing.empty }
        if entries.count == 1, let (k, v) = entries.first { return StateTreeHashing.leaf(keyHash: k, valueHash: StateTreeHashing.valueHash(v)) }
        let left = entries.filter { StateTreeHashing.bit($0.key, depth) == 0 }
        let right = entries.filter { StateTreeHashing.bit($0.key, depth) == 1 }
        return StateTreeHashing.inner(referenceRoot(left, depth: depth + 1), referenceRoot(right, depth: depth + 1))
    }

    static func key(_ i: Int) -> StateKey { StateKey("test/", Array("\(i)".utf8)) }

    /// Applies write sets as successive versions, keeping every version (no pruning).
    struct VersionedTree {
        var nodes = MemoryTreeNodes()
        var version: UInt64?
        var state: [StateKey: [UInt8]] = [:]
        var roots: [UInt64: Hash] = [:]

        mutating func apply(_ entries: [WriteSet.Entry]) throws {
            let next = (version ?? 0) + (version == nil ? 0 : 1)
            let update = try StateTree.update(nodes, base: version, version: next, writes: WriteSet(entries: entries))
            nodes.apply(update)
            version = next
            for e in entries { state[e.key] = e.value }
            roots[next] = update.root
        }

        var reference: Hash {
            var byHash: [Hash: [UInt8]] = [:]
            for (k, v) in state { byHash[StateTreeHashing.keyHash(k.bytes)] = v }
            return StateTreeTests.referenceRoot(byHash)
        }
    }

    static func write(_ key: StateKey, _ value: [UInt8]?) -> WriteSet.Entry { .init(key: key, value: value, previous: nil) }

    @Test("inserts, updates and deletes in any order and any batching give the definition's root", arguments: 0..<12)
    func orderIndependence(seed: Int) throws {
        var r = SplitMix64(seed: UInt64(seed))
        let n = 1 + Int(r.next() % 300)
        var final: [StateKey: [UInt8]] = [:]
        var ops: [WriteSet.Entry] = []
        for _ in 0..<(n * 3) {
            let k = Self.key(Int(r.next() % UInt64(n)))
            let v: [UInt8]? = r.next() % 4 == 0 ? nil : Array("v\(r.next() % 1000)".utf8)
            ops.append(Self.write(k, v))
            final[k] = v
        }
        var a = VersionedTree()
        try a.apply([])
        var i = 0
        while i < ops.count {
            let size = 1 + Int(r.next() % 40)
            // One write per key per block, as a write set holds.
            var batch: [StateKey: WriteSet.Entry] = [:]
            for op in ops[i..<min(ops.count, i + size)] { batch[op.key] = op }
            try a.apply(Array(batch.values))
            #expect(a.roots[a.version!] == a.reference)
            i += size
        }
        var b = VersionedTree()
        try b.apply(final.map { Self.write($0.key, $0.value) }.shuffled(using: &r))
        #expect(a.roots[a.version!] == b.roots[b.version!])
        #expect(b.roots[b.version!] == b.reference)
    }

    @Test("deleting every key gives the empty root")
    func deleteAll() throws {
        var t = VersionedTree()
        try t.apply((0..<100).map { Self.write(Self.key($0), [UInt8($0)]) })
        try t.apply((0..<100).map { Self.write(Self.key($0), nil) })
        #expect(t.roots[1] == StateTreeHashing.empty)
        #expect(t.nodes.pages.count >= 1)
    }

    @Test("every version reads and proves its own values", arguments: 0..<6)
    func versionedReads(seed: Int) throws {
        var r = SplitMix64(seed: UInt64(seed) + 50)
        var t = VersionedTree()
        var history: [UInt64: [StateKey: [UInt8]]] = [:]
        try t.apply([])
        for _ in 0..<10 {
            var batch: [StateKey: WriteSet.Entry] = [:]
            for _ in 0..<30 {
                let k = Self.key(Int(r.next() % 60))
                batch[k] = Self.write(k, r.next() % 5 == 0 ? nil : r.bytes(8))
            }
            try t.apply(Array(batch.values))
            history[t.version!] = t.state
        }
        for (version, state) in history {
            for i in 0..<70 {
                let k = Self.key(i)
                let proven = try StateTree.prove(t.nodes, key: k.bytes, version: version)
                #expect(proven.value == state[k] ?? nil, "key \(i) at \(version)")
                #expect(proven.root == t.roots[version])
                try proven.proof.verify(key: k.bytes, value: proven.value, root: t.roots[version]!)
                let decoded = try StateProof.decode(proven.proof.canonicalBytes)
                #expect(decoded == proven.proof)
            }
        }
    }

    @Test("one-byte mutations of served proofs are refused", arguments: 0..<4)
    func servedProofMutations(seed: Int) throws {
        var r = SplitMix64(seed: UInt64(seed) + 90)
        var t = VersionedTree()
        try t.apply((0..<500).map { Self.write(Self.key($0), r.bytes(12)) })
        for i in [0, 499, 1000, 1001] {
            let k = Self.key(i)
            let proven = try StateTree.prove(t.nodes, key: k.bytes, version: 0)
            let bytes = proven.proof.canonicalBytes
            for j in bytes.indices {
                var m = bytes
                m[j] ^= 0x01 << UInt8(r.next() % 8)
                #expect(throws: StateProofError.self) { try StateProof.verify(m, key: k.bytes, value: proven.value, root: t.roots[0]!) }
            }
        }
    }

    @Test("an update writes only the changed paths and marks what it replaced stale")
    func incrementalWrites() throws {
        var t = VersionedTree()
        try t.apply((0..<4096).map { Self.write(Self.key($0), [1]) })
        let update = try StateTree.update(t.nodes, base: 0, version: 1, writes: WriteSet(entries: [Self.write(Self.key(5), [2])]))
        #expect(update.written.count <= 5)
        #expect(update.stale.count == update.written.count)
        #expect(update.written.first?.path.count == update.written.count - 1)
        let empty = try StateTree.update(t.nodes, base: 0, version: 1, writes: WriteSet(entries: []))
        #expect(empty.written.isEmpty && empty.root == t.roots[0])
    }

    @Test("a pruned version fails with a typed error, never a wrong answer")
    func prunedVersion() throws {
        var nodes = MemoryTreeNodes()
        let u0 = try StateTree.update(nodes, base: nil, version: 0, writes: WriteSet(entries: (0..<300).map { Self.write(Self.key($0), [1]) }))
        nodes.apply(u0)
        let u1 = try StateTree.update(nodes, base: 0, version: 1, writes: WriteSet(entries: (0..<300).map { Self.write(Self.key($0), [2]) }))
        nodes.apply(u1, prune: true)
        #expect(throws: StateTreeError.noRoot(version: 0)) { try StateTree.prove(nodes, key: Self.key(1).bytes, version: 0) }
        #expect(try StateTree.prove(nodes, key: Self.key(1).bytes, version: 1).value == [2])
    }
}
