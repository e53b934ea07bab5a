import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraConsensus

@Suite("Consensus message codecs")
struct MessageCodecTests {
    static func samples(seed: UInt64) throws -> [ConsensusMessage] {
        let keys = Fixtures.keys(3, seed: seed)
        let block = Fixtures.block(height: 3, proposer: keys[0].publicKey, variant: seed)
        let v1 = Fixtures.vote(keys[1], .prevote, height: 3, round: 2, block.hash)
        let commit = Commit(height: 3, round: 1, blockHash: block.hash,
                            signatures: keys.map { Fixtures.vote($0, .precommit, height: 3, round: 1, block.hash).commitSignature })
        return [
            .proposal(Fixtures.proposal(keys[0], height: 3, round: 2, polRound: 1, block)),
            .proposal(Fixtures.proposal(keys[0], height: 3, round: 0, block)),
            .vote(v1),
            .vote(Fixtures.vote(keys[2], .precommit, height: 3, round: 0, .zero)),
            .decision(block, commit),
            .status(height: seed, round: UInt32(seed % 5)),
        ]
    }

    @Test("proposals, votes, decisions and evidence round-trip through their canonical bytes", arguments: UInt64(0)..<20)
    func roundTrip(seed: UInt64) throws {
        for message in try Self.samples(seed: seed) {
            let decoded = try ConsensusMessage(canonicalBytes: message.canonicalBytes)
            #expect(decoded == message)
            #expect(decoded.canonicalBytes == message.canonicalBytes)
        }
        let keys = Fixtures.keys(1, seed: seed)
        let evidence = try DuplicateVoteEvidence(Fixtures.vote(keys[0], .prevote, round: 1, Hash.sha256([1])),
                                                 Fixtures.vote(keys[0], .prevote, round: 1, Hash.sha256([2])))
        let decoded = try DuplicateVoteEvidence(canonicalBytes: evidence.canonicalBytes)
        #expect(decoded == evidence)
    }

    @Test("every truncation and any trailing byte is rejected with a typed error")
    func truncatedAndTrailing() throws {
        let keys = Fixtures.keys(1)
        let evidence = try DuplicateVoteEvidence(Fixtures.vote(keys[0], .precommit, round: 0, Hash.sha256([1])),
                                                 Fixtures.vote(keys[0], .precommit, round: 0, .zero))
        var encodings = try Self.samples(seed: 1).map(\.canonicalBytes)
        encodings.append(evidence.canonicalBytes)
        for (index, bytes) in encodings.enumerated() {
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
                let prefix = Array(bytes[..<cut])
                let error = decodeError(prefix, asEvidence: index == encodings.count - 1)
                guard case .truncated = error else {
                    Issue.record("cut at \(cut) of message \(index): \(String(describing: error))")
                    continue
                }
            }
            let extended = bytes + [0]
            let error = decodeError(extended, asEvidence: index == encodings.count - 1)
            #expect(error == .trailingBytes(type: index == encodings.count - 1 ? "DuplicateVoteEvidence" : "ConsensusMessage", count: 1))
        }
        #expect(throws: CodecError.unknownTag(type: "consensusMessage", tag: 9)) { try ConsensusMessage(canonicalBytes: [9]) }
    }

    @Test("non-canonical evidence (wrong order, no conflict) and bad POL rounds are refused")
    func nonCanonical() throws {
        let keys = Fixtures.keys(2)
        let low = Fixtures.vote(keys[0], .prevote, round: 1, .zero)
        let high = Fixtures.vote(keys[0], .prevote, round: 1, Hash.sha256([5]))
        var w = CanonicalWriter()
        w.write(high); w.write(low)
        let swapped = w.bytes
        #expect(throws: CodecError.self) { try DuplicateVoteEvidence(canonicalBytes: swapped) }
        var same = CanonicalWriter()
        same.write(low); same.write(low)
        let sameBytes = same.bytes
        #expect(throws: CodecError.self) { try DuplicateVoteEvidence(canonicalBytes: sameBytes) }
        #expect(throws: DuplicateVoteEvidence.Invalid.sameBlock(.zero)) { try DuplicateVoteEvidence(low, low) }
        #expect(throws: DuplicateVoteEvidence.Invalid.self) {
            try DuplicateVoteEvidence(low, Fixtures.vote(keys[1], .prevote, round: 1, Hash.sha256([5])))
        }
        #expect(throws: DuplicateVoteEvidence.Invalid.self) {
            try DuplicateVoteEvidence(low, Fixtures.vote(keys[0], .precommit, round: 1, Hash.sha256([5])))
        }
        let block = Fixtures.block(height: 1, proposer: keys[0].publicKey)
        let bad = Proposal(chainID: Fixtures.chainID, height: 1, round: 2, polRound: 2, block: block)
        #expect(throws: CodecError.self) { try Proposal(canonicalBytes: bad.canonicalBytes) }
        let wrongHeight = Proposal(chainID: Fixtures.chainID, height: 2, round: 0, polRound: -1, block: block)
        #expect(throws: CodecError.self) { try Proposal(canonicalBytes: wrongHeight.canonicalBytes) }
    }

    @Test("evidence verifies real signatures against the set and chain; a forged one is refused")
    func evidenceVerification() throws {
        let keys = Fixtures.keys(4)
        let set = Fixtures.set(keys)
        let a = Fixtures.vote(keys[0], .precommit, round: 3, Hash.sha256([1]))
        let b = Fixtures.vote(keys[0], .precommit, round: 3, Hash.sha256([2]))
        let evidence = try DuplicateVoteEvidence(a, b)
        try evidence.verify(validators: set, chainID: Fixtures.chainID)
        #expect(throws: DuplicateVoteEvidence.Invalid.wrongChain(expected: "other", found: Fixtures.chainID)) {
            try evidence.verify(validators: set, chainID: "other")
        }
        let outsider = Fixtures.keys(1, seed: 42)[0]
        let foreign = try DuplicateVoteEvidence(Fixtures.vote(outsider, .prevote, round: 0, .zero),
                                                Fixtures.vote(outsider, .prevote, round: 0, Hash.sha256([1])))
        #expect(throws: DuplicateVoteEvidence.Invalid.unknownValidator(outsider.publicKey)) {
            try foreign.verify(validators: set, chainID: Fixtures.chainID)
        }
        var forged = b
        forged.signature = a.signature
        let bad = try DuplicateVoteEvidence(a, forged)
        #expect(throws: DuplicateVoteEvidence.Invalid.badSignature(validator: keys[0].publicKey, blockHash: b.vote.blockHash)) {
            try bad.verify(validators: set, chainID: Fixtures.chainID)
        }
    }

    @Test("proposal signing bytes start with the proposal domain and differ from vote signing bytes")
    func domains() {
        let keys = Fixtures.keys(1)
        let block = Fixtures.block(proposer: keys[0].publicKey)
        let p = Proposal(chainID: Fixtures.chainID, height: 1, round: 0, polRound: -1, block: block)
        #expect(Array(p.signingBytes.prefix(Proposal.signingDomain.count)) == Array("agora/proposal/v1\u{0}".utf8))
        let v = Vote(chainID: Fixtures.chainID, height: 1, round: 0, kind: .prevote, blockHash: block.hash)
        #expect(p.signingBytes != v.signingBytes)
        let signed = Fixtures.proposal(keys[0], round: 0, block)
        #expect(SignatureVerifier.isValid(signed.signature, of: p.signingBytes, by: keys[0].publicKey))
        #expect(!SignatureVerifier.isValid(signed.signature, of: v.signingBytes, by: keys[0].publicKey))
    }
}

func decodeError(_ bytes: [UInt8], asEvidence: Bool) -> CodecError? {
    do {
        if asEvidence { _ = try DuplicateVoteEvidence(canonicalBytes: bytes) } else { _ = try ConsensusMessage(canonicalBytes: bytes) }
        return nil
    } catch {
        return error
    }
}
