import AgoraCore

/// The `staking` module's execution failures (codes 5–15: the staking admin, bonds, the validator
/// set's bounds, tombstoned, retired and rotated keys): each case's stable code, message and
/// canonical encoding. The cases themselves are declared in `ExecutionFailure`
/// (Execution/Outcomes.swift), which routes here by `module`; a code number is never reused.
extension ExecutionFailure {
    /// The stable code of a staking failure (`code` routes here by `module`).
    var stakingCode: String {
        switch self {
        case .notStakingAdmin: return "not_staking_admin"
        case .insufficientBond: return "insufficient_bond"
        case .validatorSetWouldBeEmpty: return "validator_set_would_be_empty"
        case .tooManyValidators: return "too_many_validators"
        case .totalPowerTooHigh: return "total_power_too_high"
        case .notAValidator: return "not_a_validator"
        case .keyTombstoned: return "key_tombstoned"
        case .keyRetired: return "key_retired"
        case .rotationTargetInUse: return "rotation_target_in_use"
        case .bondLocked: return "bond_locked"
        case .unbondAboveBond: return "unbond_above_bond"
        default: misrouted(.staking)
        }
    }

    var stakingDescription: String {
        switch self {
        case let .notStakingAdmin(s): return "\(s) is not the chain's staking admin"
        case let .insufficientBond(b, m): return "bond \(b) is below the minimum \(m)"
        case .validatorSetWouldBeEmpty: return "the change would leave no validator"
        case let .tooManyValidators(l): return "the change would exceed \(l) validators"
        case let .totalPowerTooHigh(m): return "the change would raise total voting power above \(m)"
        case let .notAValidator(k): return "\(k) is not in the validator set"
        case let .keyTombstoned(k): return "\(k) was punished for double-signing and can never validate again"
        case let .keyRetired(k): return "\(k) rotated to another key and can no longer bond or validate"
        case let .rotationTargetInUse(k): return "\(k) already bonded or validated; rotate to a fresh key"
        case let .bondLocked(k): return "\(k) is a validator within the evidence window; its bond cannot go below the minimum"
        case let .unbondAboveBond(b, r): return "cannot unbond \(r): the bond is \(b)"
        default: misrouted(.staking)
        }
    }

    func encodeStakingFailure(to writer: inout CanonicalWriter) {
        switch self {
        case let .notStakingAdmin(s): writer.write(UInt8(5)); writer.write(s)
        case let .insufficientBond(b, m): writer.write(UInt8(6)); writer.write(b); writer.write(m)
        case .validatorSetWouldBeEmpty: writer.write(UInt8(7))
        case let .tooManyValidators(l): writer.write(UInt8(8)); writer.write(l)
        case let .totalPowerTooHigh(m): writer.write(UInt8(9)); writer.write(m)
        case let .notAValidator(k): writer.write(UInt8(10)); writer.write(k)
        case let .keyTombstoned(k): writer.write(UInt8(11)); writer.write(k)
        case let .keyRetired(k): writer.write(UInt8(12)); writer.write(k)
        case let .rotationTargetInUse(k): writer.write(UInt8(13)); writer.write(k)
        case let .bondLocked(k): writer.write(UInt8(14)); writer.write(k)
        case let .unbondAboveBond(b, r): writer.write(UInt8(15)); writer.write(b); writer.write(r)
        default: misrouted(.staking)
        }
    }

    static func decodeStakingFailure(_ tag: UInt8, from reader: inout CanonicalReader) throws(CodecError) -> ExecutionFailure {
        switch tag {
        case 5: return .notStakingAdmin(sender: try reader.read(Address.self))
        case 6: return .insufficientBond(bond: try reader.read(Amount.self), minimum: try reader.read(Amount.self))
        case 7: return .validatorSetWouldBeEmpty
        case 8: return .tooManyValidators(limit: try reader.readUInt32("failure.limit"))
        case 9: return .totalPowerTooHigh(maximum: try reader.readUInt64("failure.maximum"))
        case 10: return .notAValidator(try reader.read(PublicKey.self))
        case 11: return .keyTombstoned(try reader.read(PublicKey.self))
        case 12: return .keyRetired(try reader.read(PublicKey.self))
        case 13: return .rotationTargetInUse(try reader.read(PublicKey.self))
        case 14: return .bondLocked(try reader.read(PublicKey.self))
        case 15: return .unbondAboveBond(bond: try reader.read(Amount.self), requested: try reader.read(Amount.self))
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }
}
