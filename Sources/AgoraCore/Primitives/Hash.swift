import Crypto
import Foundation

/// A SHA-256 digest: block hashes, transaction IDs, Merkle and state roots.
public struct Hash: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    public var storage: Bytes32

    public static let zero = Hash(storage: .zero)

    public init(storage: Bytes32) { self.storage = storage }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        storage = Bytes32(bytes)
    }

    public init?(hex: String) {
        guard let raw = Hex.decode(hex), raw.count == 32 else { return nil }
        storage = Bytes32(raw)
    }

    public static func sha256<D: DataProtocol>(_ data: D) -> Hash {
        Hash(storage: Bytes32(Array(SHA256.hash(data: data))))
    }

    /// SHA-256 over several parts without concatenating them first.
    public static func sha256(parts: [[UInt8]]) -> Hash {
        var hasher = SHA256()
        for part in parts { hasher.update(data: part) }
        return Hash(storage: Bytes32(Array(hasher.finalize())))
    }

    public var bytes: [UInt8] { storage.bytes }
    public var hex: String { storage.hex }
    public var description: String { hex }

    public static func < (a: Hash, b: Hash) -> Bool { a.storage < b.storage }

    public func encode(to writer: inout CanonicalWriter) { writer.writeFixed(storage.bytes) }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        storage = Bytes32(try reader.readFixed(32, "hash"))
    }
}

extension Bytes32: CanonicalCodable {
    public func encode(to writer: inout CanonicalWriter) { writer.writeFixed(bytes) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        self.init(try reader.readFixed(32, "bytes32"))
    }
}
