/// Why a string is not an address: what `Address.parse` throws and every edge (API 400
/// `invalid_address`, CLI exit 2, MCP `invalid_argument`) shows in its message.
public enum AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `ag1` + 40 hex digits: the form used before addresses carried a checksum.
    case legacyHex
    case badChecksum
    /// A valid Bech32 (BIP-173) checksum: Agora uses the Bech32m constant.
    case bech32Checksum
    /// A human-readable part other than `ag` (at most 16 of its characters).
    case wrongPrefix(found: String)
    case missingSeparator
    /// Position counts bytes from 0.
    case invalidCharacter(position: Int)
    case mixedCase
    /// Length of the whole text (an address has `Address.textLength` characters).
    case wrongLength(characters: Int)
    case badPadding

    init(_ error: Bech32Error) {
        switch error {
        case let .tooLong(n): self = .wrongLength(characters: n)
        case let .invalidCharacter(p): self = .invalidCharacter(position: p)
        case .mixedCase: self = .mixedCase
        case .missingSeparator: self = .missingSeparator
        case .emptyPrefix: self = .wrongPrefix(found: "")
        case .checksumTooShort: self = .badChecksum
        case .badChecksum: self = .badChecksum
        case .bech32Checksum: self = .bech32Checksum
        case .badPadding: self = .badPadding
        }
    }

    public var description: String {
        switch self {
        case .legacyHex:
            return "is the old ag1 + 40 hex form; addresses are now Bech32m with a checksum (ag1 + 38 characters): ask for the address again or run `agora keys show`"
        case .badChecksum: return "has a bad checksum (a character is mistyped or missing)"
        case .bech32Checksum: return "has a Bech32 checksum; addresses use Bech32m (BIP-350)"
        case let .wrongPrefix(found): return "has prefix \"\(found)\", not \"ag\""
        case .missingSeparator: return "is not an address (ag1…): no separator \"1\""
        case let .invalidCharacter(p): return "has an invalid character at position \(p) (Bech32m uses 0-9 a-z without 1 b i o)"
        case .mixedCase: return "mixes upper and lower case"
        case let .wrongLength(n): return "has \(n) characters; an address has \(Address.textLength)"
        case .badPadding: return "has non-zero padding bits"
        }
    }
}
