/// Votes and commits: the signatures that make a block final.
///
/// A validator's precommit for block B at (height, round) is a signature over `Vote.signingBytes`.
/// +2/3 of the voting power of precommits for one block form its `Commit`, which the next block
/// carries as `lastCommit` (Tendermint's layout), so that any node can check finality from the
/// chain alone.
public struct Vote: Hashable, Sendable, CanonicalCodable {
    public enum Kind: UInt8, Sendable { case prevote = 1, precommit = 2 }

    public static let signingDomain = Array("agora/vote/v1\u{0}".utf8)

    public var chainID: String
    public var height: UInt64
    public var round: UInt32
    public var kind: Kind
    public var blockHash: Hash

    public init(chainID: String, height: UInt64, round: UInt32, kind: Kind, blockHash: Hash) {
        self.chainID = chainID
        self.height = height
        self.round = round
        self.kind = kind
        self.blockHash = blockHash
    }

    public var signingBytes: [UInt8] { Vote.signingDomain + canonicalBytes }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeString(chainID)
        writer.write(height)
        writer.write(round)
        writer.write(kind.rawValue)
        writer.write(blockHash)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        chainID = try ChainID.read(&reader, "vote.chainID")
        height = try reader.readUInt64("vote.height")
        round = try reader.readUInt32("vote.round")
        let raw = try reader.readUInt8("vote.kind")
        guard let kind = Kind(rawValue: raw) else { throw .unknownTag(type: "vote.kind", tag: raw) }
        self.kind = kind
        blockHash = try reader.read(Hash.self)
    }
}

public struct CommitSignature: Hashable, Sendable, CanonicalCodable {
    public var validator: PublicKey
    public var signature: Signature

    public init(validator: PublicKey, signature: Signature) {
        self.validator = validator
        self.signature = signature
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(validator)
        writer.write(signature)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        validator = try reader.read(PublicKey.self)
        signature = try reader.read(Signature.self)
    }
}

public struct Commit: Hashable, Sendable, CanonicalCodable {
    public var height: UInt64
    public var round: UInt32
    public var blockHash: Hash
    /// Sorted by validator key, no duplicates: one encoding per commit.
    public var signatures: [CommitSignature]

    public init(height: UInt64, round: UInt32, blockHash: Hash, signatures: [CommitSignature]) {
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.signatures = signatures.sorted { $0.validator < $1.validator }
    }

    public func vote(chainID: String) -> Vote {
        Vote(chainID: chainID, height: height, round: round, kind: .precommit, blockHash: blockHash)
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(height)
        writer.write(round)
        writer.write(blockHash)
        writer.writeArray(signatures)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        height = try reader.readUInt64("commit.height")
        round = try reader.readUInt32("commit.round")
        blockHash = try reader.read(Hash.self)
        signatures = try reader.readArray(CommitSignature.self, "commit.signatures", limit: Limits.maxCommitSignatures)
        for i in signatures.indices.dropFirst() where !(signatures[i - 1].validator < signatures[i].validator) {
            throw .nonCanonical(field: "commit.signatures", reason: "not strictly sorted by validator")
        }
    }
}
