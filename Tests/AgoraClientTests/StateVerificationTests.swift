import AgoraClient
import AgoraCore
import AgoraState
import Testing

/// State answers checked end to end: a real state tree (AgoraState's, as the node builds it)
/// whose root is one header's `stateRoot`, proofs from it, and the light client verifying the
/// header and the proof. Each kind of wrong answer is a typed refusal.
@Suite("Light client: state proofs")
struct StateVerificationTests {
    static func key(_ i: Int) -> [UInt8] { Array("bank/acct/\(i)".utf8) }
    static func value(_ i: Int) -> [UInt8] { Array("balance \(i * 7)".utf8) }

    /// 60 keys in a tree at version 8, a chain whose header 8 carries its root.
    struct Fixture {
        let nodes: MemoryTreeNodes
        let chain: LightChain

        init() throws {
            var nodes = MemoryTreeNodes()
            // `update` takes changes in key-hash order, as `StateTree.changes(_:)` gives them.
            let changes = (0..<60).map { StateTree.Change(keyHash: StateTreeHashing.keyHash(StateVerificationTests.key($0)), value: StateVerificationTests.value($0)) }
                .sorted { $0.keyHash.bytes.lexicographicallyPrecedes($1.keyHash.bytes) }
            let update = try StateTree.update(nodes, base: nil, version: 0, changes: changes)
            nodes.apply(update)
            self.nodes = nodes
            let root = update.root
            chain = LightChain.steady(heights: 10) { h in h == 8 ? root : Hash.sha256(Array("other \(h)".utf8)) }
        }

        func answer(_ key: [UInt8], height: UInt64 = 8) throws -> StateAnswer {
            let proven = try StateTree.prove(nodes, key: key, version: 0)
            return StateAnswer(key: key, value: proven.value, height: height, proof: proven.proof.canonicalBytes)
        }

        func client() async throws -> LightClient { try await LightClient(root: chain.genesisRoot, source: chain.source) }
    }

    @Test("a present key and an absent key verify against the verified header's state root")
    func presentAndAbsent() async throws {
        let f = try Fixture()
        var client = try await f.client()
        let present = try await client.verify(try f.answer(Self.key(17)), askedKey: Self.key(17), source: f.chain.source)
        #expect(present.value == Self.value(17) && present.height == 8 && present.headerHash == f.chain.blocks[8]!.hash)
        let absent = try await client.verify(try f.answer(Self.key(999)), askedKey: Self.key(999), source: f.chain.source)
        #expect(absent.value == nil)
    }

    @Test("a value from another key, an answer about another key and a claimed absence are refused as bad_proof")
    func wrongValueOrKey() async throws {
        let f = try Fixture()
        var client = try await f.client()
        var swapped = try f.answer(Self.key(3))
        swapped.value = Self.value(4)
        for answer in [swapped] {
            await #expect { try await client.verify(answer, askedKey: Self.key(3), source: f.chain.source) } throws: { ($0 as? LightClientError)?.code == "bad_proof" }
        }
        // The node answers truthfully, but about key 4 when key 3 was asked.
        let other = try f.answer(Self.key(4))
        await #expect { try await client.verify(other, askedKey: Self.key(3), source: f.chain.source) } throws: { ($0 as? LightClientError)?.code == "bad_proof" }
        var hidden = try f.answer(Self.key(5))
        hidden.value = nil
        await #expect { try await client.verify(hidden, askedKey: Self.key(5), source: f.chain.source) } throws: { ($0 as? LightClientError)?.code == "bad_proof" }
    }

    @Test("a proof offered for another height does not check against that height's header")
    func wrongHeight() async throws {
        let f = try Fixture()
        var client = try await f.client()
        let answer = try f.answer(Self.key(9), height: 9)
        await #expect { try await client.verify(answer, askedKey: Self.key(9), source: f.chain.source) } throws: { ($0 as? LightClientError)?.code == "bad_proof" }
    }

    @Test("any one-byte change of a proof is refused", arguments: [UInt64(1), 2, 3])
    func flippedProofBytes(seed: UInt64) async throws {
        let f = try Fixture()
        var client = try await f.client()
        var rng = SplitMix64(seed: seed)
        for i in 0..<40 {
            var answer = try f.answer(Self.key(i % 60 + (i % 3 == 0 ? 100 : 0)))
            let at = Int(rng.next() % UInt64(answer.proof.count))
            answer.proof[at] ^= UInt8(1 + rng.next() % 255)
            await #expect { try await client.verify(answer, askedKey: answer.key, source: f.chain.source) } throws: { ($0 as? LightClientError)?.code == "bad_proof" }
        }
    }

    @Test("a header the answer carries must be the verified one; a lying source's header is refused before the proof")
    func carriedHeader() async throws {
        let f = try Fixture()
        var client = try await f.client()
        var answer = try f.answer(Self.key(1))
        answer.header = f.chain.blocks[7]!.header
        await #expect(throws: LightClientError.hashMismatch(height: 8, what: "the header the answer carries", expected: f.chain.blocks[8]!.hash,
                                                            got: f.chain.blocks[7]!.hash)) {
            try await client.verify(answer, askedKey: Self.key(1), source: f.chain.source)
        }
        // The source serves header 8 with a commit of two of the four validators.
        var lying = f.chain.source
        let b = f.chain.blocks[8]!
        lying.blocks[8] = LightBlock(header: b.header, commit: f.chain.sign(b.header, by: b.validators.validators.prefix(2).map(\.publicKey)),
                                     validators: b.validators)
        var fresh = try await f.client()
        await #expect { try await fresh.verify(try f.answer(Self.key(1)), askedKey: Self.key(1), source: lying) } throws: {
            ($0 as? LightClientError)?.code == "insufficient_signatures"
        }
    }
}
