// SignStateVerification owns the proof a loaded signing journal must give before a validator
// signs on it: the stored signature verifies under the validator's key, and the signed bytes say
// the same position and block as the record's own fields. A journal damaged on disk (a flipped
// byte in `height` still parses) would otherwise move the guard backwards and let the validator
// sign a second, different message at a position it has already signed (SignStateVerificationTests
// show the trusting guard doing it; docs/chaos.md).
import AgoraCore
import AgoraCrypto

extension SignState.Parsed {
    /// Throws `.corrupt` naming the first thing the record cannot prove.
    public func verify(owner: PublicKey) throws(SignStateError) {
        guard SignatureVerifier.isValid(signature, of: signBytes, by: owner) else {
            throw .corrupt(reason: "the stored signature does not verify for the stored sign bytes at \(position)")
        }
        let signed = try SignState.Parsed.signedPosition(of: signBytes)
        guard signed.position == position, signed.blockHash == blockHash else {
            throw .corrupt(reason: "the record says \(position) for \(blockHash.hex.prefix(12)), its signed bytes say "
                           + "\(signed.position) for \(signed.blockHash.hex.prefix(12))")
        }
    }

    /// The (height, round, step) and block a vote's or a proposal's sign bytes commit to.
    static func signedPosition(of bytes: [UInt8]) throws(SignStateError) -> (position: SignPosition, blockHash: Hash) {
        if bytes.starts(with: Vote.signingDomain) {
            guard let vote = try? Vote(canonicalBytes: Array(bytes.dropFirst(Vote.signingDomain.count))) else {
                throw .corrupt(reason: "the stored sign bytes are not a vote")
            }
            let step: ConsensusStep = vote.kind == .prevote ? .prevote : .precommit
            return (SignPosition(height: vote.height, round: vote.round, step: step), vote.blockHash)
        }
        guard bytes.starts(with: Proposal.signingDomain) else { throw .corrupt(reason: "the stored sign bytes are neither a vote nor a proposal") }
        do throws(CodecError) {
            var reader = CanonicalReader(Array(bytes.dropFirst(Proposal.signingDomain.count)))
            _ = try reader.readString("chainID", limit: 256)
            let height = try reader.readUInt64("height")
            let round = try reader.readUInt32("round")
            _ = try reader.readUInt32("polRound")
            let hash = try reader.read(Hash.self)
            try reader.finish("proposal sign bytes")
            return (SignPosition(height: height, round: round, step: .propose), hash)
        } catch {
            throw .corrupt(reason: "the stored sign bytes are not a proposal: \(error)")
        }
    }
}
