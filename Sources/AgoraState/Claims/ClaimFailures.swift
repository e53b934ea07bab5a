import AgoraCore

/// The `claims` module's execution failures (codes 19, 24 and 25: observers who may not publish,
/// and a reply's parent claim): each case's stable code, message and canonical encoding. The cases
/// themselves are declared in `ExecutionFailure` (Execution/Outcomes.swift), which routes here by
/// `module`; a code number is never reused.
extension ExecutionFailure {
    /// The stable code of a claims failure (`code` routes here by `module`).
    var claimCode: String {
        switch self {
        case .observerCannotPublish: return "observer_cannot_publish"
        case .parentClaimNotFound: return "parent_claim_not_found"
        case .parentClaimInOtherGroup: return "parent_claim_in_other_group"
        default: misrouted(.claims)
        }
    }

    var claimDescription: String {
        switch self {
        case let .observerCannotPublish(g, a): return "\(a) is an observer of group \(g) and cannot publish"
        case let .parentClaimNotFound(c): return "parent claim \(c) does not exist"
        case let .parentClaimInOtherGroup(c, g): return "parent claim \(c) belongs to another group (\(g))"
        default: misrouted(.claims)
        }
    }

    func encodeClaimFailure(to writer: inout CanonicalWriter) {
        switch self {
        case let .observerCannotPublish(g, a): writer.write(UInt8(19)); writer.write(g); writer.write(a)
        case let .parentClaimNotFound(c): writer.write(UInt8(24)); writer.write(c)
        case let .parentClaimInOtherGroup(c, g): writer.write(UInt8(25)); writer.write(c); writer.write(g)
        default: misrouted(.claims)
        }
    }

    static func decodeClaimFailure(_ tag: UInt8, from reader: inout CanonicalReader) throws(CodecError) -> ExecutionFailure {
        switch tag {
        case 19: return .observerCannotPublish(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 24: return .parentClaimNotFound(try reader.read(Hash.self))
        case 25: return .parentClaimInOtherGroup(parent: try reader.read(Hash.self), group: try reader.read(Hash.self))
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }
}
