import AgoraCore

/// Why a transaction cannot be included in a block at all. A block proposer drops such a
/// transaction; a block that contains one is invalid. Each case carries what was wrong.
public enum Rejection: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String)
    case tooLarge(size: Int, limit: Int)
    case invalidSignature
    case wrongChain(expected: String, got: String)
    case expired(expiresAt: UInt64, height: UInt64)
    /// Replay: this nonce was already used.
    case nonceTooLow(expected: UInt64, got: UInt64)
    /// A gap: earlier nonces are missing.
    case nonceTooHigh(expected: UInt64, got: UInt64)
    case feeTooLow(minimum: Amount, got: Amount)
    case insufficientFundsForFee(balance: Amount, fee: Amount)
    case faucetDisabled
    case faucetAlreadyClaimed
    case faucetFeeMustBeZero(Amount)
    case faucetExhausted

    /// Stable machine-readable code for APIs, metrics and logs.
    public var code: String {
        switch self {
        case .malformed: return "malformed"
        case .tooLarge: return "too_large"
        case .invalidSignature: return "invalid_signature"
        case .wrongChain: return "wrong_chain"
        case .expired: return "expired"
        case .nonceTooLow: return "nonce_too_low"
        case .nonceTooHigh: return "nonce_too_high"
        case .feeTooLow: return "fee_too_low"
        case .insufficientFundsForFee: return "insufficient_funds_for_fee"
        case .faucetDisabled: return "faucet_disabled"
        case .faucetAlreadyClaimed: return "faucet_already_claimed"
        case .faucetFeeMustBeZero: return "faucet_fee_must_be_zero"
        case .faucetExhausted: return "faucet_exhausted"
        }
    }

    public var description: String {
        switch self {
        case let .malformed(why): return "malformed transaction: \(why)"
        case let .tooLarge(size, limit): return "transaction is \(size) bytes, limit \(limit)"
        case .invalidSignature: return "signature does not verify against the sender key"
        case let .wrongChain(expected, got): return "chain ID \(got) does not match this chain (\(expected))"
        case let .expired(at, h): return "transaction expired at height \(at); chain is at \(h)"
        case let .nonceTooLow(e, g): return "nonce \(g) already used; account expects \(e)"
        case let .nonceTooHigh(e, g): return "nonce \(g) skips ahead; account expects \(e)"
        case let .feeTooLow(m, g): return "fee \(g) below the minimum \(m)"
        case let .insufficientFundsForFee(b, f): return "balance \(b) cannot pay fee \(f)"
        case .faucetDisabled: return "the faucet is disabled on this chain"
        case .faucetAlreadyClaimed: return "this account already took its faucet grant"
        case let .faucetFeeMustBeZero(f): return "faucet claims carry fee 0, got \(f)"
        case .faucetExhausted: return "the faucet grant would exceed the supply or balance cap"
        }
    }
}

/// Why an included transaction's payload failed. The sender still paid the fee and used the
/// nonce; nothing else changed.
public enum ExecutionFailure: Error, Hashable, Sendable, CustomStringConvertible, CanonicalCodable {
    case insufficientBalance(balance: Amount, needed: Amount)
    case recipientBalanceCap(maximum: Amount, resulting: UInt64)
    case zeroAmount
    case arithmeticOverflow

    public var code: String {
        switch self {
        case .insufficientBalance: return "insufficient_balance"
        case .recipientBalanceCap: return "recipient_balance_cap"
        case .zeroAmount: return "zero_amount"
        case .arithmeticOverflow: return "arithmetic_overflow"
        }
    }

    public var description: String {
        switch self {
        case let .insufficientBalance(b, n): return "balance \(b) is less than \(n) (amount plus transfer fee)"
        case let .recipientBalanceCap(m, r): return "recipient balance would be \(r), above the cap \(m)"
        case .zeroAmount: return "transfer amount must be positive"
        case .arithmeticOverflow: return "amount arithmetic overflowed"
        }
    }

    public func encode(to writer: inout CanonicalWriter) {
        switch self {
        case let .insufficientBalance(b, n): writer.write(UInt8(1)); writer.write(b); writer.write(n)
        case let .recipientBalanceCap(m, r): writer.write(UInt8(2)); writer.write(m); writer.write(r)
        case .zeroAmount: writer.write(UInt8(3))
        case .arithmeticOverflow: writer.write(UInt8(4))
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let tag = try reader.readUInt8("failure.tag")
        switch tag {
        case 1: self = .insufficientBalance(balance: try reader.read(Amount.self), needed: try reader.read(Amount.self))
        case 2: self = .recipientBalanceCap(maximum: try reader.read(Amount.self), resulting: try reader.readUInt64("failure.resulting"))
        case 3: self = .zeroAmount
        case 4: self = .arithmeticOverflow
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }
}

/// The result of one included transaction.
public struct Receipt: Hashable, Sendable, CanonicalCodable {
    public var feePaid: Amount
    /// nil when the payload succeeded.
    public var failure: ExecutionFailure?

    public init(feePaid: Amount, failure: ExecutionFailure?) {
        self.feePaid = feePaid
        self.failure = failure
    }

    public var succeeded: Bool { failure == nil }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(feePaid)
        writer.writeOptional(failure)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        feePaid = try reader.read(Amount.self)
        failure = try reader.readOptional(ExecutionFailure.self, "receipt.failure")
    }
}
