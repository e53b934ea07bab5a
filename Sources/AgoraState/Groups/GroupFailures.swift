import AgoraCore

/// The `groups` module's execution failures (codes 16–18 and 20–23: missing groups, admin and
/// membership checks, the last admin, roles and policies): each case's stable code, message and
/// canonical encoding. The cases themselves are declared in `ExecutionFailure`
/// (Execution/Outcomes.swift), which routes here by `module`; a code number is never reused.
extension ExecutionFailure {
    /// The stable code of a groups failure (`code` routes here by `module`).
    var groupCode: String {
        switch self {
        case .groupNotFound: return "group_not_found"
        case .notGroupAdmin: return "not_group_admin"
        case .notGroupMember: return "not_group_member"
        case .alreadyGroupMember: return "already_group_member"
        case .lastGroupAdmin: return "last_group_admin"
        case .roleUnchanged: return "role_unchanged"
        case .invalidGroupPolicy: return "invalid_group_policy"
        default: misrouted(.groups)
        }
    }

    var groupDescription: String {
        switch self {
        case let .groupNotFound(g): return "group \(g) does not exist"
        case let .notGroupAdmin(g, a): return "\(a) is not an admin of group \(g)"
        case let .notGroupMember(g, a): return "\(a) is not a member of group \(g)"
        case let .alreadyGroupMember(g, a): return "\(a) is already a member of group \(g)"
        case let .lastGroupAdmin(g, a): return "\(a) is the last admin of group \(g); add another admin first"
        case let .roleUnchanged(g, a, r): return "\(a) already has role \(r) in group \(g)"
        case let .invalidGroupPolicy(v): return "invalid group policy: \(v)"
        default: misrouted(.groups)
        }
    }

    func encodeGroupFailure(to writer: inout CanonicalWriter) {
        switch self {
        case let .groupNotFound(g): writer.write(UInt8(16)); writer.write(g)
        case let .notGroupAdmin(g, a): writer.write(UInt8(17)); writer.write(g); writer.write(a)
        case let .notGroupMember(g, a): writer.write(UInt8(18)); writer.write(g); writer.write(a)
        case let .alreadyGroupMember(g, a): writer.write(UInt8(20)); writer.write(g); writer.write(a)
        case let .lastGroupAdmin(g, a): writer.write(UInt8(21)); writer.write(g); writer.write(a)
        case let .roleUnchanged(g, a, r): writer.write(UInt8(22)); writer.write(g); writer.write(a); writer.write(r)
        case let .invalidGroupPolicy(v): writer.write(UInt8(23)); writer.write(v.rawValue)
        default: misrouted(.groups)
        }
    }

    static func decodeGroupFailure(_ tag: UInt8, from reader: inout CanonicalReader) throws(CodecError) -> ExecutionFailure {
        switch tag {
        case 16: return .groupNotFound(try reader.read(Hash.self))
        case 17: return .notGroupAdmin(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 18: return .notGroupMember(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 20: return .alreadyGroupMember(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 21: return .lastGroupAdmin(group: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 22: return .roleUnchanged(group: try reader.read(Hash.self), address: try reader.read(Address.self),
                                     role: try reader.read(GroupRole.self))
        case 23:
            let raw = try reader.readUInt8("failure.violation")
            guard let v = GroupPolicyViolation(rawValue: raw) else { throw .unknownTag(type: "failure.violation", tag: raw) }
            return .invalidGroupPolicy(v)
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }
}
