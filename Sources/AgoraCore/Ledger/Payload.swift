/// What a transaction asks the ledger to do: one case per module operation. The tag byte is
/// part of the protocol; new modules append cases with new tags and never reuse one.
public enum Payload: Hashable, Sendable, CanonicalCodable {
    /// bank: move `amount` to `to`; the sender also pays the chain's transfer fee in basis points.
    case transfer(to: Address, amount: Amount, memo: String)
    /// bank: a new account asks the faucet for its one-time grant (when the chain enables it).
    case faucet
    /// staking, admin only: set `publicKey`'s voting power from height H+2; 0 removes it.
    case validatorUpdate(publicKey: PublicKey, power: UInt64)
    /// staking: move `amount` of the sender's balance into the bond of the sender's key.
    case bond(amount: Amount)
    /// staking: move `amount` of the sender key's bond back to its balance.
    case unbond(amount: Amount)
    /// staking: a validator hands its power and bond to `newKey` from height H+2; `proof` is
    /// `newKey`'s signature over `KeyRotation.message(chainID:oldKey:)`.
    case rotateValidatorKey(newKey: PublicKey, proof: Signature)
    /// staking: proof of a double sign; slashes and removes the offender. Fee must be zero.
    case evidence(DuplicateVoteEvidence)

    public enum Tag: UInt8, Sendable {
        case transfer = 1
        case faucet = 2
        case validatorUpdate = 3
        case bond = 4
        case unbond = 5
        case rotateValidatorKey = 6
        case evidence = 7
    }

    public var tag: Tag {
        switch self {
        case .transfer: return .transfer
        case .faucet: return .faucet
        case .validatorUpdate: return .validatorUpdate
        case .bond: return .bond
        case .unbond: return .unbond
        case .rotateValidatorKey: return .rotateValidatorKey
        case .evidence: return .evidence
        }
    }

    /// A stable, human-readable name for APIs and metrics.
    public var kind: String {
        switch self {
        case .transfer: return "transfer"
        case .faucet: return "faucet"
        case .validatorUpdate: return "validator_update"
        case .bond: return "bond"
        case .unbond: return "unbond"
        case .rotateValidatorKey: return "rotate_validator_key"
        case .evidence: return "evidence"
        }
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(tag.rawValue)
        switch self {
        case let .transfer(to, amount, memo):
            writer.write(to)
            writer.write(amount)
            writer.writeString(memo)
        case .faucet:
            break
        case let .validatorUpdate(key, power):
            writer.write(key)
            writer.write(power)
        case let .bond(amount), let .unbond(amount):
            writer.write(amount)
        case let .rotateValidatorKey(newKey, proof):
            writer.write(newKey)
            writer.write(proof)
        case let .evidence(evidence):
            writer.write(evidence)
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("payload.tag")
        guard let tag = Tag(rawValue: raw) else { throw .unknownTag(type: "payload", tag: raw) }
        switch tag {
        case .transfer:
            let to = try reader.read(Address.self)
            let amount = try reader.read(Amount.self)
            let memo = try reader.readString("transfer.memo", limit: Limits.maxMemoBytes)
            self = .transfer(to: to, amount: amount, memo: memo)
        case .faucet:
            self = .faucet
        case .validatorUpdate:
            let key = try reader.read(PublicKey.self)
            self = .validatorUpdate(publicKey: key, power: try reader.readUInt64("validatorUpdate.power"))
        case .bond:
            self = .bond(amount: try reader.read(Amount.self))
        case .unbond:
            self = .unbond(amount: try reader.read(Amount.self))
        case .rotateValidatorKey:
            let key = try reader.read(PublicKey.self)
            self = .rotateValidatorKey(newKey: key, proof: try reader.read(Signature.self))
        case .evidence:
            // Bounded by construction: two votes, each with a chain ID of at most 64 bytes.
            self = .evidence(try reader.read(DuplicateVoteEvidence.self))
        }
    }
}
