import AgoraCore

/// A proposer's offer of a block for one (height, round), and its signed form as carried by the
/// network. The signature covers `agora/proposal/v1\0` followed by the canonical bytes of
/// (chainID, height, round, polRound, block hash): the block hash commits to the whole block, so
/// signing the hash is signing the block, and the domain tag keeps a proposal signature from ever
/// being replayed as a vote or a transaction.
public struct Proposal: Hashable, Sendable, CanonicalCodable {
    public static let signingDomain = Array("agora/proposal/v1\u{0}".utf8)
    /// `polRound` when the proposer has no proof-of-lock round to cite.
    public static let noPOLRound: Int32 = -1

    public var chainID: String
    public var height: UInt64
    public var round: UInt32
    /// The round of the polka (+2/3 prevotes) that justifies re-proposing `block`, or -1.
    public var polRound: Int32
    public var block: Block

    public init(chainID: String, height: UInt64, round: UInt32, polRound: Int32, block: Block) {
        self.chainID = chainID
        self.height = height
        self.round = round
        self.polRound = polRound
        self.block = block
    }

    /// The bytes a proposer signs: domain tag, then the fields with the block replaced by its hash.
    public var signingBytes: [UInt8] { signingBytes(blockHash: block.hash) }

    /// Same as `signingBytes` when the caller already holds the block hash (hashing is not free).
    public func signingBytes(blockHash: Hash) -> [UInt8] {
        var writer = CanonicalWriter(capacity: 128)
        writer.writeFixed(Proposal.signingDomain)
        writer.writeString(chainID)
        writer.write(height)
        writer.write(round)
        writer.write(UInt32(bitPattern: polRound))
        writer.write(blockHash)
        return writer.bytes
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeString(chainID)
        writer.write(height)
        writer.write(round)
        writer.write(UInt32(bitPattern: polRound))
        writer.write(block)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        chainID = try ConsensusCodec.readChainID(&reader, "proposal.chainID")
        height = try reader.readUInt64("proposal.height")
        round = try reader.readUInt32("proposal.round")
        polRound = Int32(bitPattern: try reader.readUInt32("proposal.polRound"))
        guard polRound == Proposal.noPOLRound || (polRound >= 0 && UInt32(polRound) < round) else {
            throw .nonCanonical(field: "proposal.polRound", reason: "polRound \(polRound) must be -1 or below round \(round)")
        }
        block = try reader.read(Block.self)
        guard block.header.height == height, block.header.chainID == chainID else {
            throw .nonCanonical(field: "proposal.block", reason: "block height/chain differ from the proposal's")
        }
    }
}

/// A proposal with the proposer's key and Ed25519 signature over `proposal.signingBytes`.
public struct SignedProposal: Hashable, Sendable, CanonicalCodable {
    public var proposal: Proposal
    public var proposer: PublicKey
    public var signature: Signature

    public init(proposal: Proposal, proposer: PublicKey, signature: Signature) {
        self.proposal = proposal
        self.proposer = proposer
        self.signature = signature
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(proposal)
        writer.write(proposer)
        writer.write(signature)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        proposal = try reader.read(Proposal.self)
        proposer = try reader.read(PublicKey.self)
        signature = try reader.read(Signature.self)
    }
}

/// Decoding helpers shared by the consensus messages.
enum ConsensusCodec {
    /// AgoraCore's chain ID rule, applied on the way in.
    static func readChainID(_ reader: inout CanonicalReader, _ field: String) throws(CodecError) -> String {
        let id = try reader.readString(field, limit: Limits.maxChainIDBytes)
        guard ChainID.isValid(id) else { throw .nonCanonical(field: field, reason: "chain ID must be 1-64 of a-z 0-9 . _ -") }
        return id
    }
}
