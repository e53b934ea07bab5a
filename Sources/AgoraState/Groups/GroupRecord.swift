import AgoraCore

/// A group as state holds it: its name and creator, its policy, its treasury and how much of
/// its `maxSupply` it has paid out, and the counts the rules need (the last-admin rule reads
/// `admins` instead of scanning the members).
public struct GroupRecord: Hashable, Sendable, CanonicalCodable {
    public var name: String
    public var creator: Address
    public var createdAt: UInt64
    public var policy: GroupPolicy
    /// Funds the group pays faucet grants and claim rewards from; part of `bank/supply`.
    public var treasury: Amount
    /// Paid out so far (grants plus rewards, fees excluded); never above `policy.maxSupply`.
    public var issued: Amount
    public var admins: UInt32
    /// Current members of every role, admins included.
    public var members: UInt32
    public var claims: UInt64

    public init(name: String, creator: Address, createdAt: UInt64, policy: GroupPolicy, treasury: Amount, issued: Amount,
                admins: UInt32, members: UInt32, claims: UInt64) {
        self.name = name
        self.creator = creator
        self.createdAt = createdAt
        self.policy = policy
        self.treasury = treasury
        self.issued = issued
        self.admins = admins
        self.members = members
        self.claims = claims
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeString(name)
        writer.write(creator)
        writer.write(createdAt)
        writer.write(policy)
        writer.write(treasury)
        writer.write(issued)
        writer.write(admins)
        writer.write(members)
        writer.write(claims)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        name = try reader.readString("group.name", limit: Limits.maxGroupNameBytes)
        creator = try reader.read(Address.self)
        createdAt = try reader.readUInt64("group.createdAt")
        policy = try reader.read(GroupPolicy.self)
        treasury = try reader.read(Amount.self)
        issued = try reader.read(Amount.self)
        admins = try reader.readUInt32("group.admins")
        members = try reader.readUInt32("group.members")
        claims = try reader.readUInt64("group.claims")
    }
}

/// One address's standing in one group. The record outlives removal (`role` nil) so that the
/// faucet grant is paid once per address and group, however often it is removed and re-added.
public struct GroupMembership: Hashable, Sendable, CanonicalCodable {
    /// nil: a former member.
    public var role: GroupRole?
    /// Height of the last change of role (joining included).
    public var since: UInt64
    /// The group faucet was paid (or had nothing to pay) when the address first joined.
    public var granted: Bool

    public init(role: GroupRole?, since: UInt64, granted: Bool) {
        self.role = role
        self.since = since
        self.granted = granted
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(role?.rawValue ?? 0)
        writer.write(since)
        writer.write(granted)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("membership.role")
        if raw == 0 { role = nil } else {
            guard let r = GroupRole(rawValue: raw) else { throw .unknownTag(type: "membership.role", tag: raw) }
            role = r
        }
        since = try reader.readUInt64("membership.since")
        granted = try reader.readBool("membership.granted")
    }
}

/// What state keeps of a claim: just enough for the rules (a reply's parent must exist and be
/// in the same group). The text, tags and artifacts stay in the transaction (kept whole in the
/// state as its `TransactionOrigin`, for index rebuilds); the node's SQLite
/// index serves the queries.
public struct ClaimRecord: Hashable, Sendable, CanonicalCodable {
    public var group: Hash
    public var author: Address
    public var height: UInt64

    public init(group: Hash, author: Address, height: UInt64) {
        self.group = group
        self.author = author
        self.height = height
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(group)
        writer.write(author)
        writer.write(height)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        group = try reader.read(Hash.self)
        author = try reader.read(Address.self)
        height = try reader.readUInt64("claim.height")
    }
}

/// Where groups and claims keep things in the state store. A group's members share the prefix
/// `groups/m/` + group ID, so they list as one key range.
public enum GroupKeys {
    public static let groupPrefix = Array("groups/g/".utf8)
    public static let memberPrefix = Array("groups/m/".utf8)
    static let claimPrefix = Array("claims/c/".utf8)
    /// A retracted claim's key holds the height it was retracted at (the reason stays in the
    /// transaction): kept apart from `claims/c/` so that records written before retraction
    /// existed keep their encoding.
    static let retractionPrefix = Array("claims/r/".utf8)
    /// A claim with sources: `ClaimSources` (Claims/ClaimSources.swift).
    static let sourcesPrefix = Array("claims/s/".utf8)
    public static func group(_ id: Hash) -> StateKey { StateKey(groupPrefix + id.bytes) }
    public static func members(of group: Hash) -> [UInt8] { memberPrefix + group.bytes }
    public static func member(_ group: Hash, _ address: Address) -> StateKey { StateKey(memberPrefix + group.bytes + address.bytes) }
    public static func claim(_ id: Hash) -> StateKey { StateKey(claimPrefix + id.bytes) }
    public static func retraction(_ id: Hash) -> StateKey { StateKey(retractionPrefix + id.bytes) }
    public static func sources(_ id: Hash) -> StateKey { StateKey(sourcesPrefix + id.bytes) }
}
