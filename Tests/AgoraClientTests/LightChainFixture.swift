import AgoraClient
import AgoraCore
import AgoraCrypto

/// A chain for the light client's tests, generated from a seed: a random validator-set history
/// (power changes, additions, removals, key rotations, and now and then the whole set replaced
/// at once), each header naming its set and the next, each commit signed by a random subset of
/// its set holding just over 2/3 of the power. Built the way the node builds them (the same
/// header, vote and commit types), so "every honest chain verifies" is a claim about real data.
struct LightChain {
    static let chainID = "light-test"
    let keys: [PublicKey: SigningKey]
    /// `sets[h]` signs height h; index 0 unused; `sets[height + 1]` is announced by the head.
    var sets: [ValidatorSet]
    var blocks: [UInt64: LightBlock]
    let genesisTime: UInt64 = 1_000
    var head: UInt64 { UInt64(sets.count - 2) }

    var genesisRoot: LightClient.TrustRoot { .genesis(chainID: Self.chainID, validators: sets[1], genesisTime: genesisTime) }
    var source: MemorySource { MemorySource(blocks: blocks) }

    init(seed: UInt64, heights: Int, pool: Int = 14) {
        var rng = SplitMix64(seed: seed)
        var keys: [PublicKey: SigningKey] = [:]
        var fresh: [SigningKey] = (0..<pool).map { i in
            var r = SplitMix64(seed: seed &* 1_000 &+ UInt64(i))
            return try! SigningKey(seed: r.bytes(32))
        }
        for k in fresh { keys[k.publicKey] = k }
        var members = (0..<4).map { _ in Validator(publicKey: fresh.removeLast().publicKey, power: 1 + rng.next() % 10) }
        var sets = [try! ValidatorSet(members)]  // placeholder at index 0
        for _ in 0...heights {
            sets.append(try! ValidatorSet(members))
            members = LightChain.change(members, &fresh, &rng)
        }
        self.keys = keys
        self.sets = sets
        blocks = [:]
        var previous = Hash.zero
        var lastCommit: Commit?
        for h in 1...UInt64(heights) {
            let header = BlockHeader(chainID: Self.chainID, height: h, previousHash: previous, timestamp: genesisTime + h * 10,
                                     proposer: sets[Int(h)].validators[0].publicKey, txRoot: .zero,
                                     stateRoot: Hash.sha256(Array("state \(h)".utf8)), validatorSetHash: sets[Int(h)].hash,
                                     nextValidatorSetHash: sets[Int(h) + 1].hash, lastCommit: lastCommit)
            let commit = sign(header, by: LightChain.quorum(sets[Int(h)], &rng))
            blocks[h] = LightBlock(header: header, commit: commit, validators: sets[Int(h)])
            previous = header.hash
            lastCommit = commit
        }
    }

    /// One step of history: usually nothing, else one kind of change.
    static func change(_ members: [Validator], _ fresh: inout [SigningKey], _ rng: inout SplitMix64) -> [Validator] {
        var next = members
        switch rng.next() % 10 {
        case 0: next[Int(rng.next() % UInt64(next.count))].power = 1 + rng.next() % 50
        case 1 where !fresh.isEmpty && next.count < 8: next.append(Validator(publicKey: fresh.removeLast().publicKey, power: 1 + rng.next() % 10))
        case 2 where next.count > 1: next.remove(at: Int(rng.next() % UInt64(next.count)))
        case 3 where !fresh.isEmpty:  // key rotation: same power, new key
            let i = Int(rng.next() % UInt64(next.count))
            next[i] = Validator(publicKey: fresh.removeLast().publicKey, power: next[i].power)
        case 4 where fresh.count >= 3 && rng.next() % 4 == 0:  // the whole set replaced at once
            next = (0..<3).map { _ in Validator(publicKey: fresh.removeLast().publicKey, power: 1 + rng.next() % 10) }
        default: break
        }
        return next
    }

    /// Members in random order until they hold more than 2/3 of the power.
    static func quorum(_ set: ValidatorSet, _ rng: inout SplitMix64) -> [PublicKey] {
        var order = set.validators
        order.shuffle(using: &rng)
        var power: UInt64 = 0
        var signers: [PublicKey] = []
        for v in order where power * 3 <= set.totalPower * 2 {
            signers.append(v.publicKey)
            power += v.power
        }
        return signers
    }

    func sign(_ header: BlockHeader, by signers: [PublicKey], round: UInt32 = 0) -> Commit {
        let vote = Vote(chainID: header.chainID, height: header.height, round: round, kind: .precommit, blockHash: header.hash)
        return Commit(height: header.height, round: round, blockHash: header.hash, signatures: signers.map { keys[$0]!.sign(vote) })
    }
}

/// A source that answers from memory and counts nothing: the client counts what it fetched.
struct MemorySource: LightBlockSource {
    var blocks: [UInt64: LightBlock]

    func lightBlock(height: UInt64) async throws(LightClientError) -> LightBlock {
        guard let block = blocks[height] else { throw .heightNotAvailable(height: height, reason: "not in this source") }
        return block
    }
}

extension LightChain {
    /// Four validators of power 1 that never change.
    static func steady(heights: Int, stateRoot: (UInt64) -> Hash = { _ in .zero }) -> LightChain {
        var chain = LightChain(seed: 99, heights: heights, pool: 4)
        let set = try! ValidatorSet(chain.keys.keys.map { Validator(publicKey: $0, power: 1) })
        chain.sets = Array(repeating: set, count: heights + 2)
        var previous = Hash.zero
        for h in 1...UInt64(heights) {
            let header = BlockHeader(chainID: chainID, height: h, previousHash: previous, timestamp: chain.genesisTime + h, proposer: set.validators[0].publicKey,
                                     txRoot: .zero, stateRoot: stateRoot(h), validatorSetHash: set.hash, lastCommit: nil)
            chain.blocks[h] = LightBlock(header: header, commit: chain.sign(header, by: set.validators.prefix(3).map(\.publicKey)), validators: set)
            previous = header.hash
        }
        return chain
    }

    /// The same history up to `height - 1`, then a chain of its own from `height` on, signed
    /// with +2/3 by a set of fresh keys that no honest header announced.
    func forked(at height: UInt64, seed: UInt64) -> LightChain {
        var fork = self
        var keys = self.keys
        let attackers = (0..<4).map { i in try! SigningKey(seed: [UInt8](repeating: UInt8(200 + i), count: 32)) }
        for k in attackers { keys[k.publicKey] = k }
        let evil = try! ValidatorSet(attackers.map { Validator(publicKey: $0.publicKey, power: 10) })
        var previous = blocks[height - 1]!.hash
        for h in height...head {
            let header = BlockHeader(chainID: Self.chainID, height: h, previousHash: previous, timestamp: genesisTime + h * 10 + 1,
                                     proposer: evil.validators[0].publicKey, txRoot: .zero, stateRoot: Hash.sha256(Array("forged \(seed) \(h)".utf8)),
                                     validatorSetHash: evil.hash, lastCommit: nil)
            let vote = Vote(chainID: Self.chainID, height: h, round: 0, kind: .precommit, blockHash: header.hash)
            let commit = Commit(height: h, round: 0, blockHash: header.hash, signatures: attackers.map { $0.sign(vote) })
            fork.blocks[h] = LightBlock(header: header, commit: commit, validators: evil)
            previous = header.hash
        }
        return fork
    }
}

extension LightBlock {
    /// One byte of the header's, the commit's or the set's encoding changed, if the result still
    /// decodes (a change the decoder refuses never reaches the verifier).
    func mutated(_ rng: inout SplitMix64) -> LightBlock? {
        func flip(_ bytes: [UInt8]) -> [UInt8] {
            var b = bytes
            let i = Int(rng.next() % UInt64(b.count))
            b[i] ^= UInt8(1 + rng.next() % 255)
            return b
        }
        switch rng.next() % 3 {
        case 0: return (try? BlockHeader(canonicalBytes: flip(header.canonicalBytes))).map { LightBlock(header: $0, commit: commit, validators: validators) }
        case 1: return (try? Commit(canonicalBytes: flip(commit.canonicalBytes))).map { LightBlock(header: header, commit: $0, validators: validators) }
        default: return (try? ValidatorSet(canonicalBytes: flip(validators.canonicalBytes))).map { LightBlock(header: header, commit: commit, validators: $0) }
        }
    }
}
