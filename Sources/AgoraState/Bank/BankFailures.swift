import AgoraCore

/// The `bank` module's execution failures (codes 1–4: balances, the balance cap, zero amounts and
/// overflow): each case's stable code, message and canonical encoding. The cases themselves are
/// declared in `ExecutionFailure` (Execution/Outcomes.swift), which routes here by `module`; a code
/// number is never reused.
extension ExecutionFailure {
    /// The stable code of a bank failure (`code` routes here by `module`).
    var bankCode: String {
        switch self {
        case .insufficientBalance: return "insufficient_balance"
        case .recipientBalanceCap: return "recipient_balance_cap"
        case .zeroAmount: return "zero_amount"
        case .arithmeticOverflow: return "arithmetic_overflow"
        default: misrouted(.bank)
        }
    }

    var bankDescription: String {
        switch self {
        case let .insufficientBalance(b, n): return "balance \(b) is less than \(n) (amount plus transfer fee)"
        case let .recipientBalanceCap(m, r): return "recipient balance would be \(r), above the cap \(m)"
        case .zeroAmount: return "transfer amount must be positive"
        case .arithmeticOverflow: return "amount arithmetic overflowed"
        default: misrouted(.bank)
        }
    }

    func encodeBankFailure(to writer: inout CanonicalWriter) {
        switch self {
        case let .insufficientBalance(b, n): writer.write(UInt8(1)); writer.write(b); writer.write(n)
        case let .recipientBalanceCap(m, r): writer.write(UInt8(2)); writer.write(m); writer.write(r)
        case .zeroAmount: writer.write(UInt8(3))
        case .arithmeticOverflow: writer.write(UInt8(4))
        default: misrouted(.bank)
        }
    }

    static func decodeBankFailure(_ tag: UInt8, from reader: inout CanonicalReader) throws(CodecError) -> ExecutionFailure {
        switch tag {
        case 1: return .insufficientBalance(balance: try reader.read(Amount.self), needed: try reader.read(Amount.self))
        case 2: return .recipientBalanceCap(maximum: try reader.read(Amount.self), resulting: try reader.readUInt64("failure.resulting"))
        case 3: return .zeroAmount
        case 4: return .arithmeticOverflow
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }
}
