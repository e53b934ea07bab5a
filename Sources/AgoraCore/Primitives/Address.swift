import Crypto

/// An account: the first 20 bytes of SHA-256 of its Ed25519 public key, written `ag1` + 40
/// lowercase hex digits. Held as three words so it hashes and compares without allocating.
public struct Address: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public var hi: UInt64, mid: UInt64, lo: UInt32

    public static let prefix = "ag1"
    public static let size = 20

    public init<C: Collection>(raw bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == Address.size, "Address needs 20 bytes")
        var h: UInt64 = 0, m: UInt64 = 0, l: UInt32 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else if i < 16 { m = m << 8 | UInt64(b) } else { l = l << 8 | UInt32(b) }
        }
        hi = h; mid = m; lo = l
    }

    public init(publicKey: PublicKey) {
        let digest = SHA256.hash(data: publicKey.bytes)
        self.init(raw: Array(digest.prefix(Address.size)))
    }

    /// Parses `ag1` followed by 40 hex digits (lower or upper case); nil otherwise.
    public init?(_ text: String) {
        guard text.hasPrefix(Address.prefix) else { return nil }
        let body = text.dropFirst(Address.prefix.count)
        guard body.utf8.count == 40, let raw = Hex.decode(body) else { return nil }
        self.init(raw: raw)
    }

    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(20)
        withUnsafeBytes(of: hi.bigEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: mid.bigEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: lo.bigEndian) { out.append(contentsOf: $0) }
        return out
    }

    public var description: String { Address.prefix + Hex.encode(bytes) }

    public static func < (a: Address, b: Address) -> Bool { (a.hi, a.mid, a.lo) < (b.hi, b.mid, b.lo) }

    public func encode(to writer: inout CanonicalWriter) { writer.writeFixed(bytes) }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        self.init(raw: try reader.readFixed(Address.size, "address"))
    }
}
