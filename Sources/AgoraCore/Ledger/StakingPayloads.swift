/// The `staking` payloads' codec (tags 3–7): validator updates, bonding and unbonding, key
/// rotation with its proof, and double-sign evidence. `Payload` routes here by `Tag.module`.

extension Payload {
    func encodeStakingFields(to writer: inout CanonicalWriter) {
        switch self {
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
        default:
            misrouted(.staking)
        }
    }

    static func decodeStaking(_ tag: Tag, from reader: inout CanonicalReader) throws(CodecError) -> Payload {
        switch tag {
        case .validatorUpdate:
            let key = try reader.read(PublicKey.self)
            return .validatorUpdate(publicKey: key, power: try reader.readUInt64("validatorUpdate.power"))
        case .bond:
            return .bond(amount: try reader.read(Amount.self))
        case .unbond:
            return .unbond(amount: try reader.read(Amount.self))
        case .rotateValidatorKey:
            let key = try reader.read(PublicKey.self)
            return .rotateValidatorKey(newKey: key, proof: try reader.read(Signature.self))
        case .evidence:
            // Bounded by construction: two votes, each with a chain ID of at most 64 bytes.
            return .evidence(try reader.read(DuplicateVoteEvidence.self))
        default:
            throw misroutedTag(tag)
        }
    }
}
