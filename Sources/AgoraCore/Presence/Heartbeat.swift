/// A member's signed "I am here" for one group: the value that presence gossip carries and
/// `POST /api/v1/presence` accepts. It is not a ledger transaction — nothing about it is stored
/// on chain — but it is signed like one: over a domain-separated canonical encoding that includes
/// the chain ID, so a heartbeat from one chain (or a signature over anything else) never verifies
/// on another. The signer's time doubles as its sequence number: it must grow strictly per
/// (group, member), which is what makes a replayed heartbeat worthless.

/// Limits of a heartbeat (part of the presence protocol).
public enum PresenceLimits {
    /// A short free-text status ("idle", "working on task 3f…").
    public static let maxStatusBytes = 256
}

public struct Heartbeat: Hashable, Sendable, CanonicalCodable {
    public var group: Hash
    /// The member's key; its address is what group membership names.
    public var member: PublicKey
    /// The signer's wall clock (ms since 1970): when it was alive, and its sequence number.
    public var time: UInt64
    /// 0–256 bytes of UTF-8.
    public var status: String

    public init(group: Hash, member: PublicKey, time: UInt64, status: String = "") {
        self.group = group
        self.member = member
        self.time = time
        self.status = status
    }

    public var address: Address { member.address }

    static let domain = Array("agora/presence/v1\u{0}".utf8)

    /// What the member signs: the domain, the chain ID, then the heartbeat's canonical bytes.
    public func signingBytes(chainID: String) -> [UInt8] {
        var w = CanonicalWriter()
        w.writeFixed(Heartbeat.domain)
        w.writeString(chainID)
        w.write(self)
        return w.bytes
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(group)
        writer.write(member)
        writer.write(time)
        writer.writeString(status)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        group = try reader.read(Hash.self)
        member = try reader.read(PublicKey.self)
        time = try reader.readUInt64("heartbeat.time")
        status = try reader.readString("heartbeat.status", limit: PresenceLimits.maxStatusBytes)
    }
}

/// A heartbeat with the member's Ed25519 signature over `Heartbeat.signingBytes(chainID:)`.
public struct SignedHeartbeat: Hashable, Sendable, CanonicalCodable {
    public var heartbeat: Heartbeat
    public var signature: Signature

    public init(heartbeat: Heartbeat, signature: Signature) {
        self.heartbeat = heartbeat
        self.signature = signature
    }

    /// SHA-256 of the encoding: the gossip de-duplication ID.
    public var id: Hash { Hash.sha256(canonicalBytes) }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(heartbeat)
        writer.write(signature)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        heartbeat = try reader.read(Heartbeat.self)
        signature = try reader.read(Signature.self)
    }
}
