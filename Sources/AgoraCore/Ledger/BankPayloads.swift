/// The `bank` payloads' codec (tags 1–2): a transfer's recipient, amount and memo, and the
/// faucet claim, which carries nothing after its tag. `Payload` routes here by `Tag.module`.

extension Payload {
    func encodeBankFields(to writer: inout CanonicalWriter) {
        switch self {
        case let .transfer(to, amount, memo):
            writer.write(to)
            writer.write(amount)
            writer.writeString(memo)
        case .faucet:
            break
        default:
            misrouted(.bank)
        }
    }

    static func decodeBank(_ tag: Tag, from reader: inout CanonicalReader) throws(CodecError) -> Payload {
        switch tag {
        case .transfer:
            let to = try reader.read(Address.self)
            let amount = try reader.read(Amount.self)
            let memo = try reader.readString("transfer.memo", limit: Limits.maxMemoBytes)
            return .transfer(to: to, amount: amount, memo: memo)
        case .faucet:
            return .faucet
        default:
            throw misroutedTag(tag)
        }
    }
}
