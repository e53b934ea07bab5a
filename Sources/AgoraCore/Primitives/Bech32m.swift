/// Bech32m (BIP-350) text encoding: a human-readable part, the separator `1`, 5-bit data
/// symbols and a 6-symbol BCH checksum that detects any 4 substituted characters. Written here
/// by hand because none of the project's dependencies (swift-crypto, NIO, GRDB, …) offers it,
/// and a few dozen lines are cheaper than a new dependency on the path that reads addresses.
/// Only the text form is defined here; `Address` applies its own rules (prefix, length,
/// padding) on top. Decoding follows BIP-173/350: at most 90 characters, human-readable part of
/// 1–83 characters each in 33–126, all lower or all upper case (output is lower case), at least
/// the 6 checksum symbols after the separator, and the Bech32m constant 0x2bc830a3 — a string
/// whose checksum is valid under Bech32's constant 1 instead is refused as such.
public enum Bech32m {
    public static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    public static let maxLength = 90
    public static let checksumLength = 6
    static let bech32mConstant: UInt32 = 0x2bc830a3
    /// BIP-173's constant: a checksum made with it belongs to the older Bech32 variant.
    static let bech32Constant: UInt32 = 1

    /// The value of each charset character (lower case), -1 elsewhere.
    static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (i, c) in charset.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    /// `hrp` must be lower-case ASCII in 33–126 and every symbol below 32 (both hold for the
    /// callers in this project, which pass constants and `regroup` output).
    public static func encode(hrp: String, symbols: [UInt8]) -> String {
        let hrpBytes = Array(hrp.utf8)
        precondition(!hrpBytes.isEmpty && symbols.allSatisfy { $0 < 32 }, "Bech32m.encode: bad hrp or symbol")
        let check = polymod(expand(hrpBytes) + symbols + [0, 0, 0, 0, 0, 0]) ^ bech32mConstant
        var out = hrpBytes
        out.reserveCapacity(hrpBytes.count + 1 + symbols.count + checksumLength)
        out.append(UInt8(ascii: "1"))
        for s in symbols { out.append(charset[Int(s)]) }
        for i in 0..<checksumLength { out.append(charset[Int((check >> (5 * (5 - UInt32(i)))) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The human-readable part (lower case) and the data symbols without the checksum.
    public static func decode(_ text: String) throws(Bech32Error) -> (hrp: String, symbols: [UInt8]) {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxLength else { throw .tooLong(length: bytes.count) }
        var hasLower = false, hasUpper = false
        for (i, c) in bytes.enumerated() {
            guard c >= 33, c <= 126 else { throw .invalidCharacter(position: i) }
            if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { hasLower = true }
            if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { hasUpper = true }
        }
        guard !(hasLower && hasUpper) else { throw .mixedCase }
        let lower = bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")) else { throw .missingSeparator }
        guard separator > 0 else { throw .emptyPrefix }
        let dataCount = lower.count - separator - 1
        guard dataCount >= checksumLength else { throw .checksumTooShort(symbols: dataCount) }
        var data = [UInt8]()
        data.reserveCapacity(dataCount)
        for i in (separator + 1)..<lower.count {
            let value = reverse[Int(lower[i])]
            guard value >= 0 else { throw .invalidCharacter(position: i) }
            data.append(UInt8(value))
        }
        let hrp = Array(lower[..<separator])
        switch polymod(expand(hrp) + data) {
        case bech32mConstant: break
        case bech32Constant: throw .bech32Checksum
        default: throw .badChecksum
        }
        return (String(decoding: hrp, as: UTF8.self), Array(data.dropLast(checksumLength)))
    }

    /// Regroups bits between widths (8 → 5 to encode, 5 → 8 to decode). Encoding pads the last
    /// group with zero bits; decoding (`pad: false`) refuses a leftover of 5 or more bits or any
    /// non-zero leftover bit, so that every byte string has exactly one text form.
    public static func regroup(_ input: [UInt8], from: Int, to: Int, pad: Bool) throws(Bech32Error) -> [UInt8] {
        var accumulator: UInt32 = 0, bits = 0
        let mask = UInt32(1 << to) - 1
        var out = [UInt8]()
        out.reserveCapacity((input.count * from + to - 1) / to)
        for value in input {
            precondition(Int(value) >> from == 0, "Bech32m.regroup: value wider than \(from) bits")
            accumulator = (accumulator << UInt32(from)) | UInt32(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((accumulator >> UInt32(bits)) & mask))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << UInt32(to - bits)) & mask)) }
        } else if bits >= from || (accumulator << UInt32(to - bits)) & mask != 0 {
            throw .badPadding
        }
        return out
    }

    /// BIP-173's BCH code over GF(32): the checksum is the remainder that makes this the constant.
    static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ffffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { chk ^= generator[i] }
        }
        return chk
    }

    /// The human-readable part as the checksum sees it: high bits, a zero, low bits.
    static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }
}

/// Why a string is not Bech32m text (positions count bytes from 0).
public enum Bech32Error: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLong(length: Int)
    /// A byte outside 33–126, or (after the separator) one outside the 32-character set.
    case invalidCharacter(position: Int)
    case mixedCase
    case missingSeparator
    case emptyPrefix
    case checksumTooShort(symbols: Int)
    case badChecksum
    /// The checksum is valid Bech32 (BIP-173), not Bech32m.
    case bech32Checksum
    /// Leftover bits after regrouping: 5 or more, or not all zero.
    case badPadding

    public var description: String {
        switch self {
        case let .tooLong(n): return "\(n) characters, above Bech32m's \(Bech32m.maxLength)"
        case let .invalidCharacter(p): return "invalid character at position \(p)"
        case .mixedCase: return "mixes upper and lower case"
        case .missingSeparator: return "no separator \"1\""
        case .emptyPrefix: return "empty prefix before the separator \"1\""
        case let .checksumTooShort(n): return "\(n) symbols after the separator, fewer than the 6 of the checksum"
        case .badChecksum: return "bad checksum"
        case .bech32Checksum: return "checksum is Bech32 (BIP-173), not Bech32m"
        case .badPadding: return "non-zero or overlong padding bits"
        }
    }
}
