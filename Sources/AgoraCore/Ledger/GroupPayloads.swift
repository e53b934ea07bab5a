/// The values that the `groups` and `claims` payloads carry: roles, a group's policy, a claim's
/// content with its tags and artifact references, and the deterministic IDs of groups and claims.
/// Everything here decodes strictly: a tag list that is not already normalised, an artifact list
/// that is not sorted, or a text over its limit is refused by the decoder, so every claim has one
/// encoding and the index never has to guess what a client meant.

/// What a member may do in a group. Stored as its raw byte; 0 is never a role.
public enum GroupRole: UInt8, Sendable, Hashable, CaseIterable, CanonicalCodable, CustomStringConvertible {
    /// Changes membership and policy; publishes.
    case admin = 1
    /// Publishes claims.
    case member = 2
    /// Reads only; counted as a member for access to the group's artifacts.
    case observer = 3

    public var name: String {
        switch self {
        case .admin: return "admin"
        case .member: return "member"
        case .observer: return "observer"
        }
    }

    public init?(name: String) {
        guard let role = GroupRole.allCases.first(where: { $0.name == name }) else { return nil }
        self = role
    }

    public var description: String { name }
    public var canPublish: Bool { self != .observer }

    public func encode(to writer: inout CanonicalWriter) { writer.write(rawValue) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("group.role")
        guard let role = GroupRole(rawValue: raw) else { throw .unknownTag(type: "group.role", tag: raw) }
        self = role
    }
}

/// A group's economic rules. The group pays them from its own treasury (funded by `fundGroup`),
/// never by minting, and only within the chain-wide bank params: see docs/groups-claims.md.
public struct GroupPolicy: Hashable, Sendable, CanonicalCodable {
    /// Paid once per address from the treasury when it first joins the group.
    public var faucetAmount: Amount
    /// Paid from the treasury to the block proposer for every claim published in the group.
    public var claimReward: Amount
    /// Fee on every payout of the group, in basis points, to the chain treasury. The chain's own
    /// transfer fee is the floor: the group pays max(this, bank transferFeeBps).
    public var transferFeeBps: UInt16
    /// Most the group may ever pay out (faucet grants plus rewards), over its whole life.
    public var maxSupply: Amount
    /// No payout of the group takes a recipient's balance above this (nor above the chain's cap).
    public var maxBalance: Amount

    /// Pays nothing: what a group without economic rules uses.
    public static let none = GroupPolicy(faucetAmount: .zero, claimReward: .zero, transferFeeBps: 0, maxSupply: .zero, maxBalance: .zero)

    public init(faucetAmount: Amount, claimReward: Amount, transferFeeBps: UInt16, maxSupply: Amount, maxBalance: Amount) {
        self.faucetAmount = faucetAmount
        self.claimReward = claimReward
        self.transferFeeBps = transferFeeBps
        self.maxSupply = maxSupply
        self.maxBalance = maxBalance
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(faucetAmount)
        writer.write(claimReward)
        writer.write(transferFeeBps)
        writer.write(maxSupply)
        writer.write(maxBalance)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        faucetAmount = try reader.read(Amount.self)
        claimReward = try reader.read(Amount.self)
        transferFeeBps = try reader.readUInt16("policy.transferFeeBps")
        guard transferFeeBps <= 10_000 else {
            throw .nonCanonical(field: "policy.transferFeeBps", reason: "\(transferFeeBps) is above 10000")
        }
        maxSupply = try reader.read(Amount.self)
        maxBalance = try reader.read(Amount.self)
    }
}

/// A reference to an off-chain artifact: its SHA-256 and size. The bytes live in the artifact
/// store; the chain only commits to what they must hash to.
public struct ArtifactRef: Hashable, Sendable, Comparable, CanonicalCodable {
    public var sha256: Hash
    public var size: UInt64

    public init(sha256: Hash, size: UInt64) {
        self.sha256 = sha256
        self.size = size
    }

    public static func < (a: ArtifactRef, b: ArtifactRef) -> Bool { a.sha256 < b.sha256 }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(sha256)
        writer.write(size)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        sha256 = try reader.read(Hash.self)
        size = try reader.readUInt64("artifact.size")
        guard size >= 1, size <= Limits.maxArtifactBytes else {
            throw .nonCanonical(field: "artifact.size", reason: "\(size) is outside 1…\(Limits.maxArtifactBytes)")
        }
    }
}

/// Tags are short, lowercase and from a small alphabet so that they compare bytewise, index
/// without collation and appear in URLs unescaped.
public enum ClaimTags {
    public enum Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        case empty, tooLong(String), badCharacter(String), tooMany(Int)
        public var description: String {
            switch self {
            case .empty: return "a tag is empty"
            case let .tooLong(t): return "tag \(t) is longer than \(Limits.maxClaimTagBytes) bytes"
            case let .badCharacter(t): return "tag \(t) may only hold a-z 0-9 - _ . :"
            case let .tooMany(n): return "\(n) tags; at most \(Limits.maxClaimTags)"
            }
        }
    }

    public static func isValid(_ tag: String) -> Bool {
        let utf8 = tag.utf8
        guard !utf8.isEmpty, utf8.count <= Limits.maxClaimTagBytes else { return false }
        return utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
        }
    }

    /// What a client does before signing: trims, drops a leading `#`, lowercases, removes
    /// duplicates and sorts. The decoder accepts only lists already in this form.
    public static func normalize(_ tags: [String]) throws(Invalid) -> [String] {
        var out = Set<String>()
        for raw in tags {
            var t = Substring(raw).drop(while: { $0 == " " || $0 == "\t" })
            while let last = t.last, last == " " || last == "\t" { t = t.dropLast() }
            if t.hasPrefix("#") { t = t.dropFirst() }
            let tag = t.lowercased()
            if tag.isEmpty { throw .empty }
            if tag.utf8.count > Limits.maxClaimTagBytes { throw .tooLong(tag) }
            if !isValid(tag) { throw .badCharacter(tag) }
            out.insert(tag)
        }
        guard out.count <= Limits.maxClaimTags else { throw .tooMany(out.count) }
        return out.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}

/// What a claim says: the signed text, its tags, the claim it answers (threads) and the
/// artifacts it references. The author and time come from the transaction and its block.
public struct ClaimContent: Hashable, Sendable, CanonicalCodable {
    public var group: Hash
    public var text: String
    /// Normalised: see `ClaimTags.normalize`.
    public var tags: [String]
    public var parent: Hash?
    /// Sorted by hash, no duplicates.
    public var artifacts: [ArtifactRef]
    /// The claims this one builds on (royalty parents): sorted, unique, at most
    /// `Limits.maxClaimSources`. Not part of this type's own encoding: a claim without sources
    /// is payload tag 14 with exactly the bytes it always had, one with sources is tag 41, which
    /// appends them (see `Payload.encodeClaimFields`), so every claim keeps one encoding.
    public var sources: [Hash]

    public init(group: Hash, text: String, tags: [String], parent: Hash?, artifacts: [ArtifactRef], sources: [Hash] = []) {
        self.group = group
        self.text = text
        self.tags = tags
        self.parent = parent
        self.artifacts = artifacts
        self.sources = sources
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(group)
        writer.writeString(text)
        writer.write(UInt32(tags.count))
        for t in tags { writer.writeString(t) }
        writer.writeOptional(parent)
        writer.writeArray(artifacts)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        group = try reader.read(Hash.self)
        text = try reader.readString("claim.text", limit: Limits.maxClaimTextBytes)
        guard !text.isEmpty else { throw .nonCanonical(field: "claim.text", reason: "empty") }
        let count = try reader.readLength("claim.tags", limit: Limits.maxClaimTags)
        var tags: [String] = []
        for _ in 0..<count {
            let tag = try reader.readString("claim.tag", limit: Limits.maxClaimTagBytes)
            guard ClaimTags.isValid(tag) else { throw .nonCanonical(field: "claim.tag", reason: "\(tag) is not a normalised tag") }
            if let last = tags.last, !Array(last.utf8).lexicographicallyPrecedes(Array(tag.utf8)) {
                throw .nonCanonical(field: "claim.tags", reason: "not sorted and unique")
            }
            tags.append(tag)
        }
        self.tags = tags
        parent = try reader.readOptional(Hash.self, "claim.parent")
        artifacts = try reader.readArray(ArtifactRef.self, "claim.artifacts", limit: Limits.maxClaimArtifacts)
        for i in artifacts.indices.dropFirst() where !(artifacts[i - 1] < artifacts[i]) {
            throw .nonCanonical(field: "claim.artifacts", reason: "not sorted by hash and unique")
        }
        sources = []
    }
}

/// IDs derived from the sender and the nonce of the transaction that creates the thing: unique
/// (a nonce is used once), known before the transaction is even sent (a client can thread a
/// reply to its own claim in the same block), and independent of the fee or expiry chosen.
public enum LedgerID {
    static let groupDomain = Array("agora/group/v1\u{0}".utf8)
    static let claimDomain = Array("agora/claim/v1\u{0}".utf8)

    public static func group(creator: Address, nonce: UInt64) -> Hash {
        Hash.sha256(parts: [groupDomain, creator.bytes, nonce.canonicalBytes])
    }

    public static func claim(author: Address, nonce: UInt64) -> Hash {
        Hash.sha256(parts: [claimDomain, author.bytes, nonce.canonicalBytes])
    }
}

/// Group names are for people; they need not be unique (the ID is).
public enum GroupName {
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= Limits.maxGroupNameBytes && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

// The `groups` payloads' codec (tags 8–13) and the `claims` one (tags 14, 40 and 41). `Payload` routes
// here by `Tag.module`.
extension Payload {
    func encodeGroupFields(to writer: inout CanonicalWriter) {
        switch self {
        case let .createGroup(name, policy):
            writer.writeString(name)
            writer.write(policy)
        case let .addGroupMember(group, member, role), let .setGroupRole(group, member, role):
            writer.write(group)
            writer.write(member)
            writer.write(role)
        case let .removeGroupMember(group, member):
            writer.write(group)
            writer.write(member)
        case let .updateGroupPolicy(group, policy):
            writer.write(group)
            writer.write(policy)
        case let .fundGroup(group, amount):
            writer.write(group)
            writer.write(amount)
        default:
            misrouted(.groups)
        }
    }

    static func decodeGroups(_ tag: Tag, from reader: inout CanonicalReader) throws(CodecError) -> Payload {
        switch tag {
        case .createGroup:
            let name = try reader.readString("group.name", limit: Limits.maxGroupNameBytes)
            guard GroupName.isValid(name) else { throw .nonCanonical(field: "group.name", reason: "empty or holds control characters") }
            return .createGroup(name: name, policy: try reader.read(GroupPolicy.self))
        case .addGroupMember:
            let group = try reader.read(Hash.self)
            let member = try reader.read(Address.self)
            return .addGroupMember(group: group, member: member, role: try reader.read(GroupRole.self))
        case .removeGroupMember:
            let group = try reader.read(Hash.self)
            return .removeGroupMember(group: group, member: try reader.read(Address.self))
        case .setGroupRole:
            let group = try reader.read(Hash.self)
            let member = try reader.read(Address.self)
            return .setGroupRole(group: group, member: member, role: try reader.read(GroupRole.self))
        case .updateGroupPolicy:
            let group = try reader.read(Hash.self)
            return .updateGroupPolicy(group: group, policy: try reader.read(GroupPolicy.self))
        case .fundGroup:
            let group = try reader.read(Hash.self)
            return .fundGroup(group: group, amount: try reader.read(Amount.self))
        default:
            throw misroutedTag(tag)
        }
    }

    func encodeClaimFields(to writer: inout CanonicalWriter) {
        switch self {
        case let .publishClaim(content):
            writer.write(content)
            if !content.sources.isEmpty { writer.writeArray(content.sources) }
        case let .retractClaim(claim, reason):
            writer.write(claim)
            writer.writeString(reason)
        default: misrouted(.claims)
        }
    }

    static func decodeClaims(_ tag: Tag, from reader: inout CanonicalReader) throws(CodecError) -> Payload {
        switch tag {
        case .publishClaim: return .publishClaim(try reader.read(ClaimContent.self))
        case .publishClaimWithSources:
            var content = try reader.read(ClaimContent.self)
            content.sources = try reader.readArray(Hash.self, "claim.sources", limit: Limits.maxClaimSources)
            guard !content.sources.isEmpty else { throw .nonCanonical(field: "claim.sources", reason: "empty: a claim without sources is tag 14") }
            for i in content.sources.indices.dropFirst() where !(content.sources[i - 1] < content.sources[i]) {
                throw .nonCanonical(field: "claim.sources", reason: "not sorted and unique")
            }
            return .publishClaim(content)
        case .retractClaim:
            let claim = try reader.read(Hash.self)
            let reason = try reader.readString("retraction.reason", limit: Limits.maxRetractionReasonBytes)
            guard RetractionReason.isValid(reason) else {
                throw .nonCanonical(field: "retraction.reason", reason: "empty or holds control characters")
            }
            return .retractClaim(claim: claim, reason: reason)
        default: throw misroutedTag(tag)
        }
    }
}

/// Why an author retracts a claim: said once, for readers of the history. Bounded and printable
/// so that it shows in any list without escaping.
public enum RetractionReason {
    public static func isValid(_ reason: String) -> Bool {
        !reason.isEmpty && reason.utf8.count <= Limits.maxRetractionReasonBytes
            && !reason.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
