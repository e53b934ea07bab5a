/// A prevote or precommit as it travels: `Vote`, the validator's key and its Ed25519 signature
/// over `vote.signingBytes` (domain `agora/vote/v1\0`). It lives in AgoraCore, not with the
/// engine, because evidence of double-signing carries two of them inside a transaction. A vote
/// for "nil" — no block — is a `Vote` whose `blockHash` is `Hash.zero`. Checking the signature
/// needs Ed25519 and lives in AgoraCrypto (`hasValidSignature`).
public struct SignedVote: Hashable, Sendable, CanonicalCodable {
    public var vote: Vote
    public var validator: PublicKey
    public var signature: Signature

    public init(vote: Vote, validator: PublicKey, signature: Signature) {
        self.vote = vote
        self.validator = validator
        self.signature = signature
    }

    public var isNil: Bool { vote.blockHash == .zero }

    /// The commit signature this vote contributes when it is a precommit for a block.
    public var commitSignature: CommitSignature { CommitSignature(validator: validator, signature: signature) }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(vote)
        writer.write(validator)
        writer.write(signature)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        vote = try reader.read(Vote.self)
        validator = try reader.read(PublicKey.self)
        signature = try reader.read(Signature.self)
    }
}

extension Vote {
    /// A nil vote: the all-zero block hash.
    public static func nilVote(chainID: String, height: UInt64, round: UInt32, kind: Kind) -> Vote {
        Vote(chainID: chainID, height: height, round: round, kind: kind, blockHash: .zero)
    }
}
