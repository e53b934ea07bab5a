import Crypto

/// A raw 32-byte Ed25519 public key. Whether it is a valid curve point is checked where a
/// signature is verified (`AgoraCrypto`), not here: this is only the identifier.
public struct PublicKey: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public var storage: Bytes32

    public init(storage: Bytes32) { self.storage = storage }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        storage = Bytes32(bytes)
    }

    public init?(hex: String) {
        guard let raw = Hex.decode(hex), raw.count == 32 else { return nil }
        storage = Bytes32(raw)
    }

    public var bytes: [UInt8] { storage.bytes }
    public var hex: String { storage.hex }
    public var description: String { hex }

    /// First 20 bytes of SHA-256(public key).
    public var address: Address { Address(publicKey: self) }

    public static func < (a: PublicKey, b: PublicKey) -> Bool { a.storage < b.storage }

    public func encode(to writer: inout CanonicalWriter) { writer.writeFixed(storage.bytes) }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        storage = Bytes32(try reader.readFixed(32, "publicKey"))
    }
}

/// An Ed25519 signature: exactly 64 bytes.
public struct Signature: Hashable, Sendable, CanonicalCodable {
    public let bytes: [UInt8]

    public static let size = 64

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Signature.size else { return nil }
        self.bytes = Array(bytes)
    }

    /// The all-zero signature: never valid for any key; used by fixtures and tests.
    public static let empty = Signature(unchecked: [UInt8](repeating: 0, count: 64))

    private init(unchecked: [UInt8]) { bytes = unchecked }

    public var hex: String { Hex.encode(bytes) }

    public func encode(to writer: inout CanonicalWriter) { writer.writeFixed(bytes) }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        bytes = Array(try reader.readFixed(Signature.size, "signature"))
    }
}
