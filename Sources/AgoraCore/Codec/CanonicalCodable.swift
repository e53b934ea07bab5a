/// A value with exactly one byte encoding. Hashes and signatures are taken over these bytes.
public protocol CanonicalEncodable {
    func encode(to writer: inout CanonicalWriter)
}

public protocol CanonicalDecodable {
    init(from reader: inout CanonicalReader) throws(CodecError)
}

public typealias CanonicalCodable = CanonicalEncodable & CanonicalDecodable

extension CanonicalEncodable {
    public var canonicalBytes: [UInt8] {
        var writer = CanonicalWriter()
        encode(to: &writer)
        return writer.bytes
    }
}

extension CanonicalDecodable {
    /// Decodes a whole buffer; anything left over is an error.
    public init(canonicalBytes bytes: [UInt8]) throws(CodecError) {
        var reader = CanonicalReader(bytes)
        let value = try Self(from: &reader)
        try reader.finish(String(describing: Self.self))
        self = value
    }
}

extension UInt64: CanonicalCodable {
    public func encode(to writer: inout CanonicalWriter) { writer.write(self) }
    public init(from reader: inout CanonicalReader) throws(CodecError) { self = try reader.readUInt64("u64") }
}
