import AgoraCore
import Foundation

/// The first state of a chain: its ID, validators, bank rules and initial balances. Read from a
/// JSON file at `agora init`; its hash (over the canonical encoding) is stored with the data so
/// that a data directory can never be opened as another chain.
public struct Genesis: Codable, Sendable, Equatable {
    public struct ValidatorEntry: Codable, Sendable, Equatable {
        public var publicKey: String
        public var power: UInt64
        public init(publicKey: String, power: UInt64) { self.publicKey = publicKey; self.power = power }
    }

    public struct Allocation: Codable, Sendable, Equatable {
        public var address: String
        public var amount: Amount
        public init(address: String, amount: Amount) { self.address = address; self.amount = amount }
    }

    public struct Params: Codable, Sendable, Equatable {
        public var treasury: String
        public var transferFeeBps: UInt16
        public var minFee: Amount
        public var faucetAmount: Amount
        public var maxTotalSupply: Amount
        public var maxAccountBalance: Amount
        public var blockReward: Amount

        public init(treasury: String, transferFeeBps: UInt16, minFee: Amount, faucetAmount: Amount,
                    maxTotalSupply: Amount, maxAccountBalance: Amount, blockReward: Amount) {
            self.treasury = treasury
            self.transferFeeBps = transferFeeBps
            self.minFee = minFee
            self.faucetAmount = faucetAmount
            self.maxTotalSupply = maxTotalSupply
            self.maxAccountBalance = maxAccountBalance
            self.blockReward = blockReward
        }
    }

    public var chainID: String
    /// Milliseconds since 1970; block 1's timestamp must be above it.
    public var genesisTime: UInt64
    public var validators: [ValidatorEntry]
    public var params: Params
    public var allocations: [Allocation]

    public init(chainID: String, genesisTime: UInt64, validators: [ValidatorEntry], params: Params, allocations: [Allocation]) {
        self.chainID = chainID
        self.genesisTime = genesisTime
        self.validators = validators
        self.params = params
        self.allocations = allocations
    }

    public static let maxFileBytes = 16 * 1024 * 1024

    /// A checked genesis: everything parsed into ledger types.
    public struct Resolved: Sendable {
        public let chainID: String
        public let genesisTime: UInt64
        public let validatorSet: ValidatorSet
        public let params: BankParams
        public let allocations: [(Address, Amount)]
        public let hash: Hash
        public let state: WriteSet
        public let stateRoot: Hash
    }

    public func resolve() throws(GenesisError) -> Resolved {
        guard ChainID.isValid(chainID) else { throw .invalid("chainID \"\(chainID)\": use 1-64 of a-z 0-9 . _ -") }
        var validatorList: [Validator] = []
        for (i, v) in validators.enumerated() {
            guard let key = PublicKey(hex: v.publicKey) else { throw .invalid("validators[\(i)].publicKey is not 32 hex bytes") }
            validatorList.append(Validator(publicKey: key, power: v.power))
        }
        let set: ValidatorSet
        do { set = try ValidatorSet(validatorList) } catch { throw .invalid("validators: \(error)") }
        guard let treasury = Address(params.treasury) else { throw .invalid("params.treasury \"\(params.treasury)\" is not an ag1 address") }
        let bank = BankParams(treasury: treasury, transferFeeBps: params.transferFeeBps, minFee: params.minFee,
                              faucetAmount: params.faucetAmount, maxTotalSupply: params.maxTotalSupply,
                              maxAccountBalance: params.maxAccountBalance, blockReward: params.blockReward)
        do { try bank.validate() } catch { throw .invalid(error.description) }

        var balances: [Address: Amount] = [:]
        var supply = Amount.zero
        for (i, a) in allocations.enumerated() {
            guard let address = Address(a.address) else { throw .invalid("allocations[\(i)].address \"\(a.address)\" is not an ag1 address") }
            guard balances[address] == nil else { throw .invalid("allocations[\(i)]: \(address) appears twice") }
            if address != treasury, a.amount > bank.maxAccountBalance {
                throw .invalid("allocations[\(i)]: \(a.amount) is above params.maxAccountBalance")
            }
            do { supply = try supply.adding(a.amount) } catch { throw .invalid("allocations overflow the amount range") }
            balances[address] = a.amount
        }
        guard supply <= bank.maxTotalSupply else { throw .invalid("allocations total \(supply), above params.maxTotalSupply") }
        let sorted = balances.sorted { $0.key < $1.key }

        var entries: [WriteSet.Entry] = [
            .init(key: BankKeys.params, value: bank.canonicalBytes, previous: nil),
            .init(key: BankKeys.supply, value: supply.canonicalBytes, previous: nil),
        ]
        for (address, amount) in sorted {
            entries.append(.init(key: BankKeys.account(address),
                                 value: Account(balance: amount, nonce: 0, faucetClaimed: false).canonicalBytes, previous: nil))
        }
        let state = WriteSet(entries: entries)

        var w = CanonicalWriter()
        w.writeFixed(Array("agora/genesis/v1".utf8))
        w.writeString(chainID)
        w.write(genesisTime)
        w.write(set)
        w.write(bank)
        w.write(UInt32(sorted.count))
        for (address, amount) in sorted { w.write(address); w.write(amount) }
        return Resolved(chainID: chainID, genesisTime: genesisTime, validatorSet: set, params: bank,
                        allocations: sorted.map { ($0.key, $0.value) }, hash: Hash.sha256(w.bytes), state: state,
                        stateRoot: StateRoot.next(previous: .zero, writes: state))
    }

    public static func load(path: String) throws(GenesisError) -> Genesis {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else { throw .unreadable(path) }
        if let size = attrs[.size] as? Int, size > maxFileBytes { throw .invalid("genesis file is \(size) bytes, limit \(maxFileBytes)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        do { return try JSONDecoder().decode(Genesis.self, from: data) } catch { throw .invalid("\(path): \(error)") }
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

public enum GenesisError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .unreadable(p): return "cannot read genesis file \(p)"
        case let .invalid(why): return "invalid genesis: \(why)"
        }
    }
}
