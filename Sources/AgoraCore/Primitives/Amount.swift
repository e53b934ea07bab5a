/// A token amount in base units. Never above 2^63-1 so that it survives every signed 64-bit
/// consumer (SQLite integers, JSON parsers); all arithmetic is checked and an overflow is a typed
/// error — a rejected transaction, never a trap.
public struct Amount: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible, Codable {
    public let units: UInt64

    public static let max = Amount(unchecked: UInt64(Int64.max))
    public static let zero = Amount(unchecked: 0)

    public enum ArithmeticError: Error, Equatable, Sendable {
        case overflow(UInt64, UInt64)
        case underflow(UInt64, UInt64)
        case aboveMaximum(UInt64)
    }

    public init?(_ units: UInt64) {
        guard units <= Amount.max.units else { return nil }
        self.units = units
    }

    init(unchecked units: UInt64) { self.units = units }

    public static func checked(_ units: UInt64) throws(ArithmeticError) -> Amount {
        guard let a = Amount(units) else { throw .aboveMaximum(units) }
        return a
    }

    public func adding(_ other: Amount) throws(ArithmeticError) -> Amount {
        let (sum, o) = units.addingReportingOverflow(other.units)
        guard !o, sum <= Amount.max.units else { throw .overflow(units, other.units) }
        return Amount(unchecked: sum)
    }

    public func subtracting(_ other: Amount) throws(ArithmeticError) -> Amount {
        guard other.units <= units else { throw .underflow(units, other.units) }
        return Amount(unchecked: units - other.units)
    }

    /// `self * bps / 10_000`, rounded down, computed without intermediate overflow.
    public func basisPoints(_ bps: UInt16) -> Amount {
        let (high, low) = units.multipliedFullWidth(by: UInt64(Swift.min(bps, 10_000)))
        let (q, _) = UInt64(10_000).dividingFullWidth((high, low))
        return Amount(unchecked: q)
    }

    public static func < (a: Amount, b: Amount) -> Bool { a.units < b.units }

    public var description: String { String(units) }

    public func encode(to writer: inout CanonicalWriter) { writer.write(units) }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let v = try reader.readUInt64("amount")
        guard v <= Amount.max.units else { throw .nonCanonical(field: "amount", reason: "\(v) above 2^63-1") }
        units = v
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let v = try c.decode(UInt64.self)
        guard let a = Amount(v) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "amount \(v) above 2^63-1")
        }
        self = a
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(units)
    }
}
