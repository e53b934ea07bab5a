/// Appends values in Agora's canonical binary form: fixed-width little-endian integers,
/// u32-length-prefixed byte strings and arrays, one tag byte per enum case.
///
/// The writer never fails; limits are enforced by the types that produce values and, above all,
/// by `CanonicalReader` on the way in.
public struct CanonicalWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func write(_ value: UInt16) { appendLittleEndian(value) }
    public mutating func write(_ value: UInt32) { appendLittleEndian(value) }
    public mutating func write(_ value: UInt64) { appendLittleEndian(value) }

    @inline(__always)
    private mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Raw bytes with no length prefix: for fixed-size fields (hashes, keys, signatures).
    public mutating func writeFixed<C: Collection>(_ raw: C) where C.Element == UInt8 {
        bytes.append(contentsOf: raw)
    }

    /// A u32 length prefix followed by the bytes.
    public mutating func writeBytes<C: Collection>(_ raw: C) where C.Element == UInt8 {
        write(UInt32(raw.count))
        bytes.append(contentsOf: raw)
    }

    public mutating func writeString(_ value: String) {
        writeBytes(Array(value.utf8))
    }

    public mutating func write<T: CanonicalEncodable>(_ value: T) {
        value.encode(to: &self)
    }

    public mutating func writeArray<T: CanonicalEncodable>(_ values: [T]) {
        write(UInt32(values.count))
        for value in values { value.encode(to: &self) }
    }

    public mutating func writeOptional<T: CanonicalEncodable>(_ value: T?) {
        if let value {
            write(UInt8(1))
            value.encode(to: &self)
        } else {
            write(UInt8(0))
        }
    }
}
