/// Reads canonical bytes strictly: every read names its field so that an error says what was
/// wrong, lengths are checked against a limit before anything is allocated, and `finish()`
/// rejects trailing bytes.
public struct CanonicalReader: ~Copyable {
    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    public var remaining: Int { bytes.count - offset }

    @inline(__always)
    private mutating func take(_ count: Int, field: String) throws(CodecError) -> Range<Int> {
        guard count <= remaining else {
            throw .truncated(field: field, needed: count, remaining: remaining)
        }
        let range = offset..<(offset + count)
        offset += count
        return range
    }

    public mutating func readUInt8(_ field: String) throws(CodecError) -> UInt8 {
        let r = try take(1, field: field)
        return bytes[r.lowerBound]
    }

    public mutating func readBool(_ field: String) throws(CodecError) -> Bool {
        switch try readUInt8(field) {
        case 0: return false
        case 1: return true
        case let other: throw .nonCanonical(field: field, reason: "bool byte \(other)")
        }
    }

    @inline(__always)
    private mutating func readInteger<T: FixedWidthInteger>(_ field: String, as: T.Type) throws(CodecError) -> T {
        let r = try take(MemoryLayout<T>.size, field: field)
        // One little-endian load (the format's byte order), not a loop over the bytes.
        return T(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: r.lowerBound, as: T.self) })
    }

    public mutating func readUInt16(_ field: String) throws(CodecError) -> UInt16 { try readInteger(field, as: UInt16.self) }
    public mutating func readUInt32(_ field: String) throws(CodecError) -> UInt32 { try readInteger(field, as: UInt32.self) }
    public mutating func readUInt64(_ field: String) throws(CodecError) -> UInt64 { try readInteger(field, as: UInt64.self) }

    public mutating func readFixed(_ count: Int, _ field: String) throws(CodecError) -> ArraySlice<UInt8> {
        let r = try take(count, field: field)
        return bytes[r]
    }

    /// Reads a length prefix and checks it against `limit` before touching the payload.
    public mutating func readLength(_ field: String, limit: Int) throws(CodecError) -> Int {
        let length = Int(try readUInt32(field))
        guard length <= limit else { throw .lengthOverLimit(field: field, length: length, limit: limit) }
        return length
    }

    public mutating func readBytes(_ field: String, limit: Int) throws(CodecError) -> [UInt8] {
        let length = try readLength(field, limit: limit)
        return Array(bytes[try take(length, field: field)])
    }

    public mutating func readString(_ field: String, limit: Int) throws(CodecError) -> String {
        let raw = try readBytes(field, limit: limit)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw .nonCanonical(field: field, reason: "invalid UTF-8")
        }
        return text
    }

    public mutating func read<T: CanonicalDecodable>(_ type: T.Type) throws(CodecError) -> T {
        try T(from: &self)
    }

    /// An array whose element count is checked against `limit`. Each element consumes at least
    /// one byte, so a count larger than what is left is rejected before reserving memory.
    public mutating func readArray<T: CanonicalDecodable>(_ type: T.Type, _ field: String, limit: Int) throws(CodecError) -> [T] {
        let count = try readLength(field, limit: limit)
        guard count <= remaining else {
            throw .truncated(field: field, needed: count, remaining: remaining)
        }
        var out: [T] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try T(from: &self)) }
        return out
    }

    public mutating func readOptional<T: CanonicalDecodable>(_ type: T.Type, _ field: String) throws(CodecError) -> T? {
        switch try readUInt8(field) {
        case 0: return nil
        case 1: return try T(from: &self)
        case let other: throw .nonCanonical(field: field, reason: "option tag \(other)")
        }
    }

    /// The type name is built only when there is an error to report.
    public consuming func finish(_ type: @autoclosure () -> String) throws(CodecError) {
        if remaining != 0 { throw .trailingBytes(type: type(), count: remaining) }
    }
}
