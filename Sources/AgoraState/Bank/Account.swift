import AgoraCore

/// An account's state in the bank module.
public struct Account: Hashable, Sendable, CanonicalCodable, Codable {
    public var balance: Amount
    /// Nonce the next transaction from this account must carry.
    public var nonce: UInt64
    /// Set once the account has taken its faucet grant.
    public var faucetClaimed: Bool

    public static let empty = Account(balance: .zero, nonce: 0, faucetClaimed: false)

    public init(balance: Amount, nonce: UInt64, faucetClaimed: Bool) {
        self.balance = balance
        self.nonce = nonce
        self.faucetClaimed = faucetClaimed
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(balance)
        writer.write(nonce)
        writer.write(faucetClaimed)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        balance = try reader.read(Amount.self)
        nonce = try reader.readUInt64("account.nonce")
        faucetClaimed = try reader.readBool("account.faucetClaimed")
    }
}

/// The bank's chain-wide rules. Stored in state (`bank/params`) so that governance can change
/// them later through a transaction; set at genesis.
public struct BankParams: Hashable, Sendable, CanonicalCodable {
    /// Receives transaction fees and the transfer fee.
    public var treasury: Address
    /// Fee on the transferred amount, in basis points (1/100 of a percent), paid by the sender.
    public var transferFeeBps: UInt16
    /// Smallest transaction fee accepted (faucet claims are exempt and carry fee 0).
    public var minFee: Amount
    /// One-time grant to a new account; zero disables the faucet.
    public var faucetAmount: Amount
    public var maxTotalSupply: Amount
    public var maxAccountBalance: Amount
    /// Minted to the block proposer per block, within `maxTotalSupply`.
    public var blockReward: Amount

    public init(treasury: Address, transferFeeBps: UInt16, minFee: Amount, faucetAmount: Amount,
                maxTotalSupply: Amount, maxAccountBalance: Amount, blockReward: Amount) {
        self.treasury = treasury
        self.transferFeeBps = transferFeeBps
        self.minFee = minFee
        self.faucetAmount = faucetAmount
        self.maxTotalSupply = maxTotalSupply
        self.maxAccountBalance = maxAccountBalance
        self.blockReward = blockReward
    }

    public enum Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        case transferFeeBps(UInt16), faucetAboveMaxBalance, maxBalanceAboveSupply
        public var description: String {
            switch self {
            case let .transferFeeBps(v): return "params.transferFeeBps \(v) is above 10000"
            case .faucetAboveMaxBalance: return "params.faucetAmount is above params.maxAccountBalance"
            case .maxBalanceAboveSupply: return "params.maxAccountBalance is above params.maxTotalSupply"
            }
        }
    }

    public func validate() throws(Invalid) {
        guard transferFeeBps <= 10_000 else { throw .transferFeeBps(transferFeeBps) }
        guard faucetAmount <= maxAccountBalance else { throw .faucetAboveMaxBalance }
        guard maxAccountBalance <= maxTotalSupply else { throw .maxBalanceAboveSupply }
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(treasury)
        writer.write(transferFeeBps)
        writer.write(minFee)
        writer.write(faucetAmount)
        writer.write(maxTotalSupply)
        writer.write(maxAccountBalance)
        writer.write(blockReward)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        treasury = try reader.read(Address.self)
        transferFeeBps = try reader.readUInt16("params.transferFeeBps")
        minFee = try reader.read(Amount.self)
        faucetAmount = try reader.read(Amount.self)
        maxTotalSupply = try reader.read(Amount.self)
        maxAccountBalance = try reader.read(Amount.self)
        blockReward = try reader.read(Amount.self)
    }
}

/// Where the bank keeps things in the state store.
public enum BankKeys {
    public static let accountPrefix = "bank/acct/"
    static let accountPrefixBytes = Array(accountPrefix.utf8)
    public static func account(_ address: Address) -> StateKey { StateKey(accountPrefixBytes + address.bytes) }
    public static let supply = StateKey("bank/supply")
    public static let params = StateKey("bank/params")
}
