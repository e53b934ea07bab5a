import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraCrypto
import Testing

/// The light client against seeded chains: every honest history verifies in both modes, from
/// genesis and from a trusted header; each kind of bad answer is refused with its own reason.
@Suite("Light client")
struct LightClientTests {
    static let seeds: [UInt64] = Array(1...24)

    @Test("every honest chain verifies from genesis, sequentially and by skipping", arguments: seeds)
    func honestChainsVerify(seed: UInt64) async throws {
        let chain = LightChain(seed: seed, heights: 40)
        for mode in LightClient.Mode.allCases {
            var client = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: mode)
            var rng = SplitMix64(seed: seed)
            // A few targets in increasing and decreasing order, then the head.
            for target in [1 + rng.next() % 40, 1 + rng.next() % 40, chain.head] {
                let block = try await client.verify(height: target, source: chain.source)
                #expect(block == chain.blocks[target])
            }
        }
    }

    @Test("a trusted header root verifies later heights and refuses earlier ones", arguments: seeds.prefix(8))
    func headerRoot(seed: UInt64) async throws {
        let chain = LightChain(seed: seed, heights: 30)
        let rootHeight = 5 + seed % 10
        let root = LightClient.TrustRoot.header(chainID: LightChain.chainID, height: rootHeight, hash: chain.blocks[rootHeight]!.hash)
        var client = try await LightClient(root: root, source: chain.source)
        #expect(try await client.verify(height: 30, source: chain.source) == chain.blocks[30])
        await #expect(throws: LightClientError.heightNotAvailable(height: rootHeight - 1, reason: "below the trust root at height \(rootHeight)")) {
            try await client.verify(height: rootHeight - 1, source: chain.source)
        }
    }

    @Test("a trusted header that is not the one the user named is refused")
    func wrongTrustedHash() async throws {
        let chain = LightChain(seed: 7, heights: 10)
        let wrong = chain.blocks[4]!.hash
        await #expect(throws: LightClientError.hashMismatch(height: 3, what: "the trusted header's hash", expected: wrong, got: chain.blocks[3]!.hash)) {
            _ = try await LightClient(root: .header(chainID: LightChain.chainID, height: 3, hash: wrong), source: chain.source)
        }
    }

    @Test("skipping a chain whose set never changes fetches the target alone")
    func skippingIsCheap() async throws {
        let chain = LightChain.steady(heights: 200)
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: .skipping)
        _ = try await client.verify(height: 200, source: chain.source)
        #expect(client.fetched == 1)
    }

    @Test("a commit with at most 2/3 of the power is refused", arguments: LightClient.Mode.allCases)
    func tooFewSignatures(mode: LightClient.Mode) async throws {
        var chain = LightChain.steady(heights: 12)
        let target = chain.blocks[12]!
        // Three of four equal validators sign: 3/4 > 2/3. Two: exactly 1/2.
        let two = Array(target.validators.validators.prefix(2).map(\.publicKey))
        chain.blocks[12] = LightBlock(header: target.header, commit: chain.sign(target.header, by: two), validators: target.validators)
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: mode)
        await #expect(throws: LightClientError.insufficientSignatures(height: 12, signedPower: 2, totalPower: 4)) {
            try await client.verify(height: 12, source: chain.source)
        }
    }

    @Test("a duplicated signature is refused, even when the rest reaches +2/3")
    func duplicatedSignature() async throws {
        var chain = LightChain.steady(heights: 6)
        let target = chain.blocks[6]!
        var signatures = target.commit.signatures
        signatures.append(signatures[0])
        let commit = Commit(height: 6, round: 0, blockHash: target.hash, signatures: signatures)
        chain.blocks[6] = LightBlock(header: target.header, commit: commit, validators: target.validators)
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source)
        await #expect(throws: LightClientError.duplicateSignature(height: 6, validator: signatures[0].validator)) {
            try await client.verify(height: 6, source: chain.source)
        }
    }

    @Test("a valid signature by a key outside the set is refused")
    func foreignSignature() async throws {
        var chain = LightChain.steady(heights: 6)
        let target = chain.blocks[6]!
        let stranger = try SigningKey(seed: [UInt8](repeating: 9, count: 32))
        let vote = target.commit.vote(chainID: LightChain.chainID)
        let commit = Commit(height: 6, round: 0, blockHash: target.hash, signatures: target.commit.signatures + [stranger.sign(vote)])
        chain.blocks[6] = LightBlock(header: target.header, commit: commit, validators: target.validators)
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source)
        await #expect(throws: LightClientError.foreignSignature(height: 6, validator: stranger.publicKey)) {
            try await client.verify(height: 6, source: chain.source)
        }
    }

    @Test("a signature over other bytes is refused")
    func badSignature() async throws {
        var chain = LightChain.steady(heights: 6)
        let target = chain.blocks[6]!
        var signatures = target.commit.signatures
        // The right validator, signing the precommit of another round.
        let other = Vote(chainID: LightChain.chainID, height: 6, round: 1, kind: .precommit, blockHash: target.hash)
        signatures[0] = chain.keys[signatures[0].validator]!.sign(other)
        chain.blocks[6] = LightBlock(header: target.header, commit: Commit(height: 6, round: 0, blockHash: target.hash, signatures: signatures),
                                     validators: target.validators)
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source)
        await #expect(throws: LightClientError.badSignature(height: 6, validator: signatures[0].validator)) {
            try await client.verify(height: 6, source: chain.source)
        }
    }

    @Test("a header of another chain, signed by the same validators, is refused", arguments: LightClient.Mode.allCases)
    func otherChain(mode: LightClient.Mode) async throws {
        var chain = LightChain.steady(heights: 6)
        let target = chain.blocks[6]!
        var header = target.header
        header.chainID = "another-chain"
        chain.blocks[6] = LightBlock(header: header, commit: chain.sign(header, by: target.validators.validators.map(\.publicKey)),
                                     validators: target.validators)
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: mode)
        await #expect(throws: LightClientError.wrongChain(expected: LightChain.chainID, got: "another-chain", height: 6)) {
            try await client.verify(height: 6, source: chain.source)
        }
    }

    @Test("a fork signed by a set the chain never announced cannot be bridged", arguments: seeds.prefix(8))
    func unbridgeableFork(seed: UInt64) async throws {
        let honest = LightChain(seed: seed, heights: 30)
        let fork = honest.forked(at: 10 + seed % 10, seed: seed)
        for mode in LightClient.Mode.allCases {
            var client = try await LightClient(root: honest.genesisRoot, source: fork.source, mode: mode)
            do {
                _ = try await client.verify(height: 30, source: fork.source)
                Issue.record("the forged chain was accepted (\(mode))")
            } catch {
                #expect(error.code == "unknown_validator_set", "\(mode): \(error)")
            }
        }
    }

    @Test("any one-byte change of a header, commit or set is refused", arguments: seeds.prefix(6))
    func mutations(seed: UInt64) async throws {
        let chain = LightChain(seed: seed, heights: 12)
        var rng = SplitMix64(seed: seed ^ 0xabcd)
        let target = chain.blocks[12]!
        var tried = 0
        for _ in 0..<60 {
            guard let mutated = target.mutated(&rng) else { continue }
            tried += 1
            var source = chain.source
            source.blocks[12] = mutated
            for mode in LightClient.Mode.allCases {
                var client = try await LightClient(root: chain.genesisRoot, source: source, mode: mode)
                await #expect(throws: LightClientError.self, "\(mode)") { try await client.verify(height: 12, source: source) }
            }
        }
        #expect(tried > 20)
    }

    @Test("a height the source does not have is height_not_available")
    func missingHeight() async throws {
        var chain = LightChain.steady(heights: 8)
        chain.blocks[8] = nil
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source)
        await #expect(throws: LightClientError.heightNotAvailable(height: 8, reason: "not in this source")) {
            try await client.verify(height: 8, source: chain.source)
        }
    }

    @Test("trust levels below 1/3 are not accepted")
    func trustLevels() {
        #expect(LightVerifier.TrustLevel(numerator: 1, denominator: 4) == nil)
        #expect(LightVerifier.TrustLevel(numerator: 2, denominator: 1) == nil)
        #expect(LightVerifier.TrustLevel(numerator: 1, denominator: 3) == .oneThird)
    }
}

/// The generator is only as good as the histories it makes: this checks they do change sets in
/// every way, and that skipping really bisects through a set replaced all at once.
@Suite("Light client histories")
struct LightClientHistoryTests {
    @Test("histories hold additions, removals, rotations and whole-set replacements; skipping bisects through them")
    func historiesCoverChanges() async throws {
        var added = 0, removed = 0, replaced = 0, bisected = 0
        for seed in LightClientTests.seeds {
            let chain = LightChain(seed: seed, heights: 40)
            for h in 1..<(chain.sets.count - 1) {
                let a = Set(chain.sets[h].validators.map(\.publicKey)), b = Set(chain.sets[h + 1].validators.map(\.publicKey))
                if !b.subtracting(a).isEmpty { added += 1 }
                if !a.subtracting(b).isEmpty { removed += 1 }
                if a.isDisjoint(with: b) { replaced += 1 }
            }
            var client = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: .skipping)
            _ = try await client.verify(height: chain.head, source: chain.source)
            if client.fetched > 1 { bisected += 1 }
        }
        #expect(added > 10 && removed > 10 && replaced > 0 && bisected > 0, "added \(added) removed \(removed) replaced \(replaced) bisected \(bisected)")
    }

    @Test("a node's light-block answer decodes only when its stated height and hash are its bytes'")
    func viewDecoding() throws {
        let chain = LightChain.steady(heights: 3)
        let block = chain.blocks[3]!
        let view = API.LightBlockView(header: block.header, commit: block.commit, validators: block.validators)
        #expect(try LightBlock(view: view) == block)
        var lying = view
        lying.hash = chain.blocks[2]!.hash.hex
        #expect(throws: LightClientError.hashMismatch(height: 3, what: "the stated header hash", expected: block.hash, got: chain.blocks[2]!.hash)) {
            try LightBlock(view: lying)
        }
        var garbled = view
        garbled.commit = "zz"
        #expect(throws: LightClientError.self) { try LightBlock(view: garbled) }
        var setLie = view.validatorSet
        setLie.hash = Hash.zero.hex
        #expect(throws: LightClientError.hashMismatch(height: 3, what: "the stated validator set hash", expected: block.validators.hash, got: .zero)) {
            try LightBlock.validatorSet(view: setLie)
        }
    }
}
