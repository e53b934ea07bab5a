import AgoraCore
import AgoraCrypto
import AgoraLedger
import Testing

/// `Chain.sealIsValid` at extreme voting powers: a set whose total is near the 2^63 - 1 limit is
/// judged by its signers' share, without trapping on `power * 3`.
@Suite("Seal quorum at extreme powers")
struct SealQuorumTests {
    let chainID = "seal-power"
    let keys = (0..<4).map { _ in SigningKey() }

    func seal(_ signers: [SigningKey]) -> Commit {
        let vote = Vote(chainID: chainID, height: 7, round: 0, kind: .precommit, blockHash: Hash.sha256([7]))
        return Commit(height: 7, round: 0, blockHash: vote.blockHash, signatures: signers.map { $0.sign(vote) })
    }

    func set(_ powers: [UInt64]) throws -> ValidatorSet {
        try ValidatorSet(zip(keys, powers).map { Validator(publicKey: $0.publicKey, power: $1) })
    }

    @Test("three of four validators of 2^61 - 1 each hold +2/3; two do not; no trap")
    func hugeEqualPowers() throws {
        let p = (UInt64(1) << 61) - 1
        let validators = try set([p, p, p, p])
        #expect(Chain.sealIsValid(seal(Array(keys.prefix(3))), chainID: chainID, validators: validators))
        #expect(!Chain.sealIsValid(seal(Array(keys.prefix(2))), chainID: chainID, validators: validators))
    }

    @Test("one validator holding nearly all of a 2^63 - 1 total decides alone; the others cannot")
    func oneDominantValidator() throws {
        let total = UInt64(Int64.max)
        let validators = try set([total - 3, 1, 1, 1])
        #expect(Chain.sealIsValid(seal([keys[0]]), chainID: chainID, validators: validators))
        #expect(!Chain.sealIsValid(seal(Array(keys.dropFirst())), chainID: chainID, validators: validators))
    }

    @Test("a signature counted twice does not make a quorum")
    func duplicateSignerRefused() throws {
        let validators = try set([10, 10, 10, 10])
        var commit = seal(Array(keys.prefix(2)))
        commit.signatures.append(commit.signatures[0])
        #expect(!Chain.sealIsValid(commit, chainID: chainID, validators: validators))
    }

    @Test("random powers near the limit: the verdict is signed * 3 > total * 2 computed in 128 bits")
    func randomExtremePowers() throws {
        var rng = SplitMix64(seed: 0x5ea1)
        for _ in 0..<40 {
            let cap = UInt64(Int64.max) / 4
            let powers = (0..<4).map { _ in cap - rng.next() % (cap / 2) }
            let validators = try set(powers)
            let count = Int(rng.next() % 5)
            let signed = powers.prefix(count).reduce(UInt128(0)) { $0 + UInt128($1) }
            let expected = signed * 3 > UInt128(powers.reduce(UInt128(0)) { $0 + UInt128($1) }) * 2
            #expect(Chain.sealIsValid(seal(Array(keys.prefix(count))), chainID: chainID, validators: validators) == expected)
        }
    }
}
