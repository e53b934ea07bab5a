import AgoraCore

/// The `claims` module's execution failures (codes 19, 24 and 25: observers who may not publish,
/// and a reply's parent claim; 26–28: retractions; 29: sources): each case's stable code, message and canonical encoding. The cases
/// themselves are declared in `ExecutionFailure` (Execution/Outcomes.swift), which routes here by
/// `module`; a code number is never reused.
extension ExecutionFailure {
    /// The stable code of a claims failure (`code` routes here by `module`).
    var claimCode: String {
        switch self {
        case .observerCannotPublish: return "observer_cannot_publish"
        case .parentClaimNotFound: return "parent_claim_not_found"
        case .parentClaimInOtherGroup: return "parent_claim_in_other_group"
        case .claimNotFound: return "claim_not_found"
        case .notClaimAuthor: return "not_claim_author"
        case .claimAlreadyRetracted: return "claim_already_retracted"
        case .sourceClaimNotFound: return "source_claim_not_found"
        default: misrouted(.claims)
        }
    }

    var claimDescription: String {
        switch self {
        case let .observerCannotPublish(g, a): return "\(a) is an observer of group \(g) and cannot publish"
        case let .parentClaimNotFound(c): return "parent claim \(c) does not exist"
        case let .parentClaimInOtherGroup(c, g): return "parent claim \(c) belongs to another group (\(g))"
        case let .claimNotFound(c): return "claim \(c) does not exist"
        case let .notClaimAuthor(c, a): return "\(a) is not the author of claim \(c); only the author retracts it"
        case let .claimAlreadyRetracted(c, h): return "claim \(c) was already retracted at height \(h)"
        case let .sourceClaimNotFound(c): return "source claim \(c) does not exist"
        default: misrouted(.claims)
        }
    }

    func encodeClaimFailure(to writer: inout CanonicalWriter) {
        switch self {
        case let .observerCannotPublish(g, a): writer.write(UInt8(19)); writer.write(g); writer.write(a)
        case let .parentClaimNotFound(c): writer.write(UInt8(24)); writer.write(c)
        case let .parentClaimInOtherGroup(c, g): writer.write(UInt8(25)); writer.write(c); writer.write(g)
        case let .claimNotFound(c): writer.write(UInt8(26)); writer.write(c)
        case let .notClaimAuthor(c, a): writer.write(UInt8(27)); writer.write(c); writer.write(a)
        case let .claimAlreadyRetracted(c, h): writer.write(UInt8(28)); writer.write(c); writer.write(h)
        case let .sourceClaimNotFound(c): writer.write(UInt8(29)); writer.write(c)
        default: misrouted(.claims)
        }
    }

    static func decodeClaimFailure(_ tag: UInt8, from reader: inout CanonicalReader) throws(CodecError) -> ExecutionFailure {
        switch tag {
        case 19: return .observerCannotPublish(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 24: return .parentClaimNotFound(try reader.read(Hash.self))
        case 25: return .parentClaimInOtherGroup(parent: try reader.read(Hash.self), group: try reader.read(Hash.self))
        case 26: return .claimNotFound(try reader.read(Hash.self))
        case 27: return .notClaimAuthor(claim: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 28: return .claimAlreadyRetracted(claim: try reader.read(Hash.self), height: try reader.readUInt64("failure.height"))
        case 29: return .sourceClaimNotFound(try reader.read(Hash.self))
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }
}
