/// Everything that can be wrong with bytes handed to a canonical decoder.
///
/// Decoding is strict so that one value has exactly one encoding: a hash or signature over the
/// bytes then identifies the value, and two nodes can never disagree about what a block says.
public enum CodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended while `field` still needed `needed` bytes.
    case truncated(field: String, needed: Int, remaining: Int)
    /// Bytes were left after the value was complete.
    case trailingBytes(type: String, count: Int)
    /// A length prefix or element count above what the field allows.
    case lengthOverLimit(field: String, length: Int, limit: Int)
    /// An enum tag this version does not know.
    case unknownTag(type: String, tag: UInt8)
    /// A value that has a different, canonical encoding (e.g. a bool byte of 2, an amount
    /// above 2^63-1, invalid UTF-8, unsorted set elements).
    case nonCanonical(field: String, reason: String)
    /// A format version this build does not read (an older or newer encoding of `type`).
    case unsupportedVersion(type: String, version: UInt8, supported: UInt8)

    public var description: String {
        switch self {
        case let .truncated(field, needed, remaining):
            return "truncated input: \(field) needs \(needed) bytes, \(remaining) left"
        case let .trailingBytes(type, count):
            return "\(count) trailing bytes after \(type)"
        case let .lengthOverLimit(field, length, limit):
            return "\(field) length \(length) exceeds limit \(limit)"
        case let .unknownTag(type, tag):
            return "unknown \(type) tag \(tag)"
        case let .nonCanonical(field, reason):
            return "non-canonical \(field): \(reason)"
        case let .unsupportedVersion(type, version, supported):
            return "\(type) format version \(version) is not supported (this build reads version \(supported))"
        }
    }
}
