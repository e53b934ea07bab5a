import AgoraCore

/// The consensus messages peers exchange, one tag byte per case, in canonical form: a signed
/// proposal, a signed vote, a decided block with its commit (catch-up for a peer that is behind)
/// and a status announcing the height and round a peer is working on (so that peers can send
/// it what it lacks). The network layer carries these
/// bytes; anything that does not decode strictly is dropped by the receiver.
public enum ConsensusMessage: Hashable, Sendable, CanonicalCodable {
    case proposal(SignedProposal)
    case vote(SignedVote)
    case decision(Block, Commit)
    case status(height: UInt64, round: UInt32)

    public var height: UInt64 {
        switch self {
        case let .proposal(p): return p.proposal.height
        case let .vote(v): return v.vote.height
        case let .decision(_, c): return c.height
        case let .status(h, _): return h
        }
    }

    public func encode(to writer: inout CanonicalWriter) {
        switch self {
        case let .proposal(p): writer.write(UInt8(1)); writer.write(p)
        case let .vote(v): writer.write(UInt8(2)); writer.write(v)
        case let .decision(b, c): writer.write(UInt8(3)); writer.write(b); writer.write(c)
        case let .status(h, r): writer.write(UInt8(4)); writer.write(h); writer.write(r)
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let tag = try reader.readUInt8("consensusMessage.tag")
        switch tag {
        case 1: self = .proposal(try reader.read(SignedProposal.self))
        case 2: self = .vote(try reader.read(SignedVote.self))
        case 3:
            let block = try reader.read(Block.self)
            let commit = try reader.read(Commit.self)
            guard commit.height == block.header.height, commit.blockHash == block.hash else {
                throw .nonCanonical(field: "decision", reason: "commit is not for the block")
            }
            self = .decision(block, commit)
        case 4: self = .status(height: try reader.readUInt64("status.height"), round: try reader.readUInt32("status.round"))
        default: throw .unknownTag(type: "consensusMessage", tag: tag)
        }
    }
}
