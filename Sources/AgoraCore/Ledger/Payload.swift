/// What a transaction asks the ledger to do: one case per module operation. The tag byte is
/// part of the protocol; new modules append cases with new tags and never reuse one.
public enum Payload: Hashable, Sendable, CanonicalCodable {
    /// bank: move `amount` to `to`; the sender also pays the chain's transfer fee in basis points.
    case transfer(to: Address, amount: Amount, memo: String)
    /// bank: a new account asks the faucet for its one-time grant (when the chain enables it).
    case faucet

    public enum Tag: UInt8, Sendable {
        case transfer = 1
        case faucet = 2
    }

    public var tag: Tag {
        switch self {
        case .transfer: return .transfer
        case .faucet: return .faucet
        }
    }

    /// A stable, human-readable name for APIs and metrics.
    public var kind: String {
        switch self {
        case .transfer: return "transfer"
        case .faucet: return "faucet"
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
        }
    }
}
