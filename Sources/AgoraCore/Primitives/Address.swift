import Crypto

/// An account: the first 20 bytes of SHA-256 of its Ed25519 public key. Its bytes are what the
/// ledger stores, hashes and signs; its text form (API, CLI, MCP, files, logs) is Bech32m
/// (BIP-350) with the human-readable part `ag`: `ag1` + 32 data symbols + 6 checksum symbols,
/// 41 characters, so a mistyped character is refused instead of sending funds nowhere. Held as
/// three words so it hashes and compares without allocating.
public struct Address: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public var hi: UInt64, mid: UInt64, lo: UInt32

    /// Human-readable part plus separator: every address's text starts with it.
    public static let prefix = "ag1"
    public static let humanReadablePart = "ag"
    public static let size = 20
    /// Characters of the text form: "ag1", 32 symbols of 5 bits for 20 bytes, 6 of checksum.
    public static let textLength = 41

    public init<C: Collection>(raw bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == Address.size, "Address needs 20 bytes")
        var h: UInt64 = 0, m: UInt64 = 0, l: UInt32 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else if i < 16 { m = m << 8 | UInt64(b) } else { l = l << 8 | UInt32(b) }
        }
        hi = h; mid = m; lo = l
    }

    /// The decoding path (`CanonicalReader.readFixed` gives a slice): word loads instead of the
    /// generic byte loop (see `Bytes32.init(_:)`).
    public init(raw bytes: ArraySlice<UInt8>) {
        precondition(bytes.count == Address.size, "Address needs 20 bytes")
        (hi, mid, lo) = bytes.withUnsafeBytes { raw in
            (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
             UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
        }
    }

    public init(raw bytes: [UInt8]) { self.init(raw: bytes[...]) }

    public init(publicKey: PublicKey) {
        let digest = SHA256.hash(data: publicKey.bytes)
        self.init(raw: Array(digest.prefix(Address.size)))
    }

    /// Parses the Bech32m text form (all lower or all upper case); nil otherwise. Use
    /// `parse(_:)` where the reason should reach the user.
    public init?(_ text: String) {
        guard let a = try? Address.parse(text) else { return nil }
        self = a
    }

    /// Parses the Bech32m text form, naming what is wrong with it.
    public static func parse(_ text: String) throws(AddressError) -> Address {
        if isLegacyHex(text) { throw .legacyHex }
        if text.utf8.count != textLength, text.lowercased().hasPrefix(prefix) {
            throw .wrongLength(characters: text.utf8.count)
        }
        let decoded: (hrp: String, symbols: [UInt8])
        do { decoded = try Bech32m.decode(text) } catch { throw AddressError(error) }
        guard decoded.hrp == humanReadablePart else { throw .wrongPrefix(found: String(decoded.hrp.prefix(16))) }
        let raw: [UInt8]
        do { raw = try Bech32m.regroup(decoded.symbols, from: 5, to: 8, pad: false) } catch { throw AddressError(error) }
        guard raw.count == size else { throw .wrongLength(characters: text.utf8.count) }
        return Address(raw: raw)
    }

    /// The pre-checksum text form: `ag1` + 40 hex digits.
    public static func isLegacyHex(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        return utf8.count == 43 && text.lowercased().hasPrefix(prefix) && Hex.decode(text.dropFirst(3)) != nil
    }

    /// Reads an address where it is cross-checked against a public key that sits beside it
    /// (a key file's or dev.json's `address` field): files written before the Bech32m change
    /// hold the legacy hex form, and the key, not the text, is what they prove.
    public init?(checkedField text: String) {
        if Address.isLegacyHex(text), let raw = Hex.decode(text.dropFirst(3)) { self.init(raw: raw); return }
        self.init(text)
    }

    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(20)
        withUnsafeBytes(of: hi.bigEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: mid.bigEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: lo.bigEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// The Bech32m text form, lower case.
    public var description: String {
        // 160 bits are exactly 32 symbols: regrouping never pads, so it cannot throw.
        let symbols = (try? Bech32m.regroup(bytes, from: 8, to: 5, pad: true)) ?? []
        return Bech32m.encode(hrp: Address.humanReadablePart, symbols: symbols)
    }

    public static func < (a: Address, b: Address) -> Bool { (a.hi, a.mid, a.lo) < (b.hi, b.mid, b.lo) }

    public func encode(to writer: inout CanonicalWriter) { writer.writeFixed(bytes) }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        self.init(raw: try reader.readFixed(Address.size, "address"))
    }
}
