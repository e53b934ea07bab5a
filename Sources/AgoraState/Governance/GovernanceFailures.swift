import AgoraCore

/// The `governance` module's execution failures (codes 160–170: governance not enabled, missing
/// proposals and proposals in the wrong period, voters without bonded stake, parameters out of
/// bounds, upgrade plans too near or colliding, treasury overspends): each case's stable code,
/// message and canonical encoding. The cases are declared in `ExecutionFailure`
/// (Execution/Outcomes.swift), which routes here by `module`; a code number is never reused.
extension ExecutionFailure {
    var governanceCode: String {
        switch self {
        case .governanceDisabled: return "governance_disabled"
        case .proposalNotFound: return "proposal_not_found"
        case .proposalWrongStatus: return "proposal_wrong_status"
        case .voterNotBonded: return "voter_not_bonded"
        case .paramOutOfRange: return "param_out_of_range"
        case .upgradeHeightTooNear: return "upgrade_height_too_near"
        case .upgradeHeightTaken: return "upgrade_height_taken"
        case .upgradeNameTaken: return "upgrade_name_taken"
        case .upgradeNotPlanned: return "upgrade_not_planned"
        case .treasuryInsufficient: return "treasury_insufficient"
        case .tooManyDepositors: return "too_many_depositors"
        default: misrouted(.governance)
        }
    }

    var governanceDescription: String {
        switch self {
        case .governanceDisabled: return "this chain's genesis did not enable governance"
        case let .proposalNotFound(p): return "proposal \(p) does not exist"
        case let .proposalWrongStatus(p, s): return "proposal \(p) is in status \(s): this step is not allowed there"
        case let .voterNotBonded(a): return "\(a) is not a bonded validator of the current set and cannot vote"
        case let .paramOutOfRange(k, v, lo, hi): return "\(k) = \(v) is outside \(lo)…\(hi)"
        case let .upgradeHeightTooNear(h, e): return "upgrade height \(h) is too near: the earliest allowed is \(e)"
        case let .upgradeHeightTaken(h, n): return "upgrade \"\(n)\" is already planned at height \(h)"
        case let .upgradeNameTaken(n): return "an upgrade named \"\(n)\" is already planned or has run"
        case let .upgradeNotPlanned(n): return "no upgrade named \"\(n)\" is planned"
        case let .treasuryInsufficient(b, r): return "the treasury holds \(b), the spend asks for \(r)"
        case let .tooManyDepositors(p, l): return "proposal \(p) already has \(l) depositors"
        default: misrouted(.governance)
        }
    }

    func encodeGovernanceFailure(to writer: inout CanonicalWriter) {
        switch self {
        case .governanceDisabled: writer.write(UInt8(160))
        case let .proposalNotFound(p): writer.write(UInt8(161)); writer.write(p)
        case let .proposalWrongStatus(p, s): writer.write(UInt8(162)); writer.write(p); writer.write(s)
        case let .voterNotBonded(a): writer.write(UInt8(163)); writer.write(a)
        case let .paramOutOfRange(k, v, lo, hi): writer.write(UInt8(164)); writer.write(k); writer.write(v); writer.write(lo); writer.write(hi)
        case let .upgradeHeightTooNear(h, e): writer.write(UInt8(165)); writer.write(h); writer.write(e)
        case let .upgradeHeightTaken(h, n): writer.write(UInt8(166)); writer.write(h); writer.writeString(n)
        case let .upgradeNameTaken(n): writer.write(UInt8(167)); writer.writeString(n)
        case let .upgradeNotPlanned(n): writer.write(UInt8(168)); writer.writeString(n)
        case let .treasuryInsufficient(b, r): writer.write(UInt8(169)); writer.write(b); writer.write(r)
        case let .tooManyDepositors(p, l): writer.write(UInt8(170)); writer.write(p); writer.write(l)
        default: misrouted(.governance)
        }
    }

    static func decodeGovernanceFailure(_ tag: UInt8, from reader: inout CanonicalReader) throws(CodecError) -> ExecutionFailure {
        let name = { (r: inout CanonicalReader) throws(CodecError) -> String in
            try r.readString("failure.upgrade", limit: GovernanceLimits.maxUpgradeNameBytes)
        }
        switch tag {
        case 160: return .governanceDisabled
        case 161: return .proposalNotFound(try reader.readUInt64("failure.proposal"))
        case 162: return .proposalWrongStatus(proposal: try reader.readUInt64("failure.proposal"), status: try reader.read(ProposalStatus.self))
        case 163: return .voterNotBonded(try reader.read(Address.self))
        case 164:
            let key = try reader.read(ParamKey.self)
            let value = try reader.readUInt64("failure.value")
            return .paramOutOfRange(key: key, value: value, min: try reader.readUInt64("failure.min"), max: try reader.readUInt64("failure.max"))
        case 165: return .upgradeHeightTooNear(height: try reader.readUInt64("failure.height"), earliest: try reader.readUInt64("failure.earliest"))
        case 166: return .upgradeHeightTaken(height: try reader.readUInt64("failure.height"), name: try name(&reader))
        case 167: return .upgradeNameTaken(try name(&reader))
        case 168: return .upgradeNotPlanned(try name(&reader))
        case 169: return .treasuryInsufficient(balance: try reader.read(Amount.self), requested: try reader.read(Amount.self))
        case 170: return .tooManyDepositors(proposal: try reader.readUInt64("failure.proposal"), limit: try reader.readUInt32("failure.limit"))
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }
}
