import AgoraCore

/// The `intents` module's execution failures (codes 128–150: intents, mediators, settlements and
/// their challenges): each case's stable code, message and canonical encoding. The cases themselves
/// are declared in `ExecutionFailure` (Execution/Outcomes.swift), which routes here by `module`; a
/// code number is never reused.
extension ExecutionFailure {
    /// The stable code of a intents failure (`code` routes here by `module`).
    var intentCode: String {
        switch self {
        case .intentNotFound: return "intent_not_found"
        case .intentNotOpen: return "intent_not_open"
        case .notIntentAuthor: return "not_intent_author"
        case .intentExpired: return "intent_expired"
        case .mediatorNotRegistered: return "mediator_not_registered"
        case .mediatorStakeTooLow: return "mediator_stake_too_low"
        case .intentsInDifferentGroups: return "intents_in_different_groups"
        case .duplicateParty: return "duplicate_party"
        case .mediatorIsParty: return "mediator_is_party"
        case .noComplementaryIntents: return "no_complementary_intents"
        case .paymentOutsideParties: return "payment_outside_parties"
        case .mediatorFeeAboveRate: return "mediator_fee_above_rate"
        case .settlementNotFound: return "settlement_not_found"
        case .settlementNotOpen: return "settlement_not_open"
        case .acceptDeadlinePassed: return "accept_deadline_passed"
        case .notSettlementParty: return "not_settlement_party"
        case .alreadyAccepted: return "already_accepted"
        case .settlementNotChallengeable: return "settlement_not_challengeable"
        case .challengeWindowClosed: return "challenge_window_closed"
        case .notEntitledToChallenge: return "not_entitled_to_challenge"
        case .challengeBondTooLow: return "challenge_bond_too_low"
        case .settlementNotChallenged: return "settlement_not_challenged"
        case .acceptDeadlineInvalid: return "accept_deadline_invalid"
        default: misrouted(.intents)
        }
    }

    var intentDescription: String {
        switch self {
        case let .intentNotFound(i): return "intent \(i) does not exist"
        case let .intentNotOpen(i): return "intent \(i) is not open (withdrawn, matched or settled)"
        case let .notIntentAuthor(i, a): return "\(a) is not the author of intent \(i)"
        case let .intentExpired(i, d): return "intent \(i) expired at height \(d)"
        case let .mediatorNotRegistered(a): return "\(a) is not a registered mediator"
        case let .mediatorStakeTooLow(s, m): return "mediator stake \(s) is below the minimum \(m)"
        case let .intentsInDifferentGroups(i): return "intent \(i) is in another group than the first intent"
        case let .duplicateParty(a): return "\(a) authored more than one of the intents"
        case let .mediatorIsParty(a): return "mediator \(a) authored one of the intents"
        case .noComplementaryIntents: return "a settlement needs at least one offer and one request"
        case let .paymentOutsideParties(a): return "payment names \(a), who is not a party"
        case let .mediatorFeeAboveRate(f, m): return "mediator fee \(f) is above the registered rate allows (\(m))"
        case let .settlementNotFound(i): return "settlement \(i) does not exist"
        case let .settlementNotOpen(i): return "settlement \(i) no longer awaits acceptance"
        case let .acceptDeadlinePassed(i, h): return "settlement \(i) could be accepted until height \(h)"
        case let .notSettlementParty(i, a): return "\(a) is not a party of settlement \(i)"
        case let .alreadyAccepted(i, a): return "\(a) already accepted settlement \(i)"
        case let .settlementNotChallengeable(i): return "settlement \(i) is not in its challenge window"
        case let .challengeWindowClosed(i, h): return "the challenge window of settlement \(i) closes at height \(h)"
        case let .notEntitledToChallenge(i, a): return "\(a) is neither a party of settlement \(i) nor another registered mediator"
        case let .challengeBondTooLow(b, m): return "challenge bond \(b) is below the minimum \(m)"
        case let .settlementNotChallenged(i): return "settlement \(i) has no open challenge"
        case let .acceptDeadlineInvalid(a, h): return "acceptBy \(a) must be between the current height \(h) and \(IntentRules.maxAcceptWindow) heights after it"
        default: misrouted(.intents)
        }
    }

    func encodeIntentFailure(to writer: inout CanonicalWriter) {
        switch self {
        case let .intentNotFound(i): writer.write(UInt8(128)); writer.write(i)
        case let .intentNotOpen(i): writer.write(UInt8(129)); writer.write(i)
        case let .notIntentAuthor(i, a): writer.write(UInt8(130)); writer.write(i); writer.write(a)
        case let .intentExpired(i, d): writer.write(UInt8(131)); writer.write(i); writer.write(d)
        case let .mediatorNotRegistered(a): writer.write(UInt8(132)); writer.write(a)
        case let .mediatorStakeTooLow(s, m): writer.write(UInt8(133)); writer.write(s); writer.write(m)
        case let .intentsInDifferentGroups(i): writer.write(UInt8(134)); writer.write(i)
        case let .duplicateParty(a): writer.write(UInt8(135)); writer.write(a)
        case let .mediatorIsParty(a): writer.write(UInt8(136)); writer.write(a)
        case .noComplementaryIntents: writer.write(UInt8(137))
        case let .paymentOutsideParties(a): writer.write(UInt8(138)); writer.write(a)
        case let .mediatorFeeAboveRate(f, m): writer.write(UInt8(139)); writer.write(f); writer.write(m)
        case let .settlementNotFound(i): writer.write(UInt8(140)); writer.write(i)
        case let .settlementNotOpen(i): writer.write(UInt8(141)); writer.write(i)
        case let .acceptDeadlinePassed(i, h): writer.write(UInt8(142)); writer.write(i); writer.write(h)
        case let .notSettlementParty(i, a): writer.write(UInt8(143)); writer.write(i); writer.write(a)
        case let .alreadyAccepted(i, a): writer.write(UInt8(144)); writer.write(i); writer.write(a)
        case let .settlementNotChallengeable(i): writer.write(UInt8(145)); writer.write(i)
        case let .challengeWindowClosed(i, h): writer.write(UInt8(146)); writer.write(i); writer.write(h)
        case let .notEntitledToChallenge(i, a): writer.write(UInt8(147)); writer.write(i); writer.write(a)
        case let .challengeBondTooLow(b, m): writer.write(UInt8(148)); writer.write(b); writer.write(m)
        case let .settlementNotChallenged(i): writer.write(UInt8(149)); writer.write(i)
        case let .acceptDeadlineInvalid(a, h): writer.write(UInt8(150)); writer.write(a); writer.write(h)
        default: misrouted(.intents)
        }
    }

    static func decodeIntentFailure(_ tag: UInt8, from reader: inout CanonicalReader) throws(CodecError) -> ExecutionFailure {
        switch tag {
        case 128: return .intentNotFound(try reader.read(Hash.self))
        case 129: return .intentNotOpen(try reader.read(Hash.self))
        case 130: return .notIntentAuthor(intent: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 131: return .intentExpired(intent: try reader.read(Hash.self), deadline: try reader.readUInt64("failure.deadline"))
        case 132: return .mediatorNotRegistered(try reader.read(Address.self))
        case 133: return .mediatorStakeTooLow(stake: try reader.read(Amount.self), minimum: try reader.read(Amount.self))
        case 134: return .intentsInDifferentGroups(try reader.read(Hash.self))
        case 135: return .duplicateParty(try reader.read(Address.self))
        case 136: return .mediatorIsParty(try reader.read(Address.self))
        case 137: return .noComplementaryIntents
        case 138: return .paymentOutsideParties(try reader.read(Address.self))
        case 139: return .mediatorFeeAboveRate(fee: try reader.read(Amount.self), maximum: try reader.read(Amount.self))
        case 140: return .settlementNotFound(try reader.read(Hash.self))
        case 141: return .settlementNotOpen(try reader.read(Hash.self))
        case 142: return .acceptDeadlinePassed(settlement: try reader.read(Hash.self), acceptBy: try reader.readUInt64("failure.acceptBy"))
        case 143: return .notSettlementParty(settlement: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 144: return .alreadyAccepted(settlement: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 145: return .settlementNotChallengeable(try reader.read(Hash.self))
        case 146: return .challengeWindowClosed(settlement: try reader.read(Hash.self), finalizeAt: try reader.readUInt64("failure.finalizeAt"))
        case 147: return .notEntitledToChallenge(settlement: try reader.read(Hash.self), address: try reader.read(Address.self))
        case 148: return .challengeBondTooLow(bond: try reader.read(Amount.self), minimum: try reader.read(Amount.self))
        case 149: return .settlementNotChallenged(try reader.read(Hash.self))
        case 150: return .acceptDeadlineInvalid(acceptBy: try reader.readUInt64("failure.acceptBy"), height: try reader.readUInt64("failure.height"))
        default: throw .unknownTag(type: "failure", tag: tag)
        }
    }
}
