import AgoraCore

/// The bank module: balances, nonces, fees to the treasury, the faucet, block rewards, and the
/// supply caps. Every function works on a `StateOverlay` so that it is deterministic and
/// knows nothing of storage.
public enum Bank {
    public static func params(_ state: StateOverlay) throws -> BankParams {
        guard let raw = try state.get(BankKeys.params) else { throw StateFault.missing("bank/params") }
        return try decode(BankParams.self, raw, "bank/params")
    }

    public static func account(_ state: StateOverlay, _ address: Address) throws -> Account {
        guard let raw = try state.get(BankKeys.account(address)) else { return .empty }
        return try decode(Account.self, raw, "bank/acct")
    }

    public static func setAccount(_ state: StateOverlay, _ address: Address, _ account: Account) throws {
        try state.set(BankKeys.account(address), account.canonicalBytes)
    }

    public static func supply(_ state: StateOverlay) throws -> Amount {
        guard let raw = try state.get(BankKeys.supply) else { return .zero }
        return try decode(Amount.self, raw, "bank/supply")
    }

    public static func setSupply(_ state: StateOverlay, _ supply: Amount) throws {
        try state.set(BankKeys.supply, supply.canonicalBytes)
    }

    static func decode<T: CanonicalDecodable>(_ type: T.Type, _ raw: [UInt8], _ key: String) throws -> T {
        do { return try T(canonicalBytes: raw) } catch { throw StateFault.corrupt(key: key, error: error) }
    }

    /// Adds to an account, enforcing the balance cap unless the account is exempt (the treasury).
    static func credit(_ state: StateOverlay, _ address: Address, _ amount: Amount, params: BankParams) throws -> ExecutionFailure? {
        var acct = try account(state, address)
        guard let sum = try? acct.balance.adding(amount) else { return .arithmeticOverflow }
        if address != params.treasury, sum > params.maxAccountBalance {
            return .recipientBalanceCap(maximum: params.maxAccountBalance, resulting: sum.units)
        }
        acct.balance = sum
        try setAccount(state, address, acct)
        return nil
    }

    /// Moves `amount` from `from` to `to` and takes the transfer fee from the sender. Returns the
    /// fee for the treasury (credited once per block by the executor) or why the transfer failed.
    static func transfer(_ state: StateOverlay, from: Address, to: Address, amount: Amount,
                         params: BankParams) throws -> Result<Amount, ExecutionFailure> {
        guard amount > .zero else { return .failure(.zeroAmount) }
        let fee = transferFee(amount, params: params, roundsUp: try feeRoundsUp(state))
        guard let total = try? amount.adding(fee) else { return .failure(.arithmeticOverflow) }
        var sender = try account(state, from)
        guard let left = try? sender.balance.subtracting(total) else {
            return .failure(.insufficientBalance(balance: sender.balance, needed: total))
        }
        sender.balance = left
        try setAccount(state, from, sender)
        if let failure = try credit(state, to, amount, params: params) { return .failure(failure) }
        return .success(fee)
    }

    /// The fee a transfer of `amount` pays: `transferFeeBps` of it, a fraction of a unit rounded
    /// down — or up once the `v2-fee-round-up` upgrade ran (Upgrades.swift). The one rule both the
    /// executor and the `bank.transfer` event use, so the event reports the fee actually charged.
    public static func transferFee(_ amount: Amount, params: BankParams, roundsUp: Bool) -> Amount {
        let fee = amount.basisPoints(params.transferFeeBps)
        guard roundsUp, Amount.basisPointsRoundedDown(amount, params.transferFeeBps) else { return fee }
        return (try? fee.adding(Amount(1)!)) ?? fee
    }

    /// Whether transfer fees round up in this state (the `v2-fee-round-up` upgrade ran). The
    /// upgrade runs before its block's transactions and is never undone, so the state a block
    /// leaves answers this for every transaction of that block.
    public static func feeRoundsUp(state: StateReader) throws -> Bool { try feeRoundsUp(StateOverlay(base: state)) }

    static func feeRoundsUp(_ state: StateOverlay) throws -> Bool { try Upgrades.ruleActive(state, Upgrades.feeRoundUpName) }

    /// Mints up to `blockReward` to the proposer, never past either cap.
    static func reward(_ state: StateOverlay, proposer: Address, params: BankParams) throws {
        guard params.blockReward > .zero else { return }
        let supply = try supply(state)
        let acct = try account(state, proposer)
        let supplyRoom = try! params.maxTotalSupply.subtracting(min(supply, params.maxTotalSupply))
        let balanceRoom = proposer == params.treasury
            ? Amount.max : (try? params.maxAccountBalance.subtracting(acct.balance)) ?? .zero
        let minted = min(params.blockReward, supplyRoom, balanceRoom)
        guard minted > .zero else { return }
        var updated = acct
        updated.balance = try updated.balance.adding(minted)
        try setAccount(state, proposer, updated)
        try setSupply(state, try supply.adding(minted))
    }
}

extension Amount {
    /// Whether `amount × bps / 10,000` left a remainder (the fee was rounded down).
    static func basisPointsRoundedDown(_ amount: Amount, _ bps: UInt16) -> Bool {
        let (high, low) = amount.units.multipliedFullWidth(by: UInt64(Swift.min(bps, 10_000)))
        return UInt64(10_000).dividingFullWidth((high, low)).remainder != 0
    }
}

/// State that should exist and does not, or cannot be decoded: a fault of the node's own data,
/// never of a transaction. Execution stops rather than guess.
public enum StateFault: Error, CustomStringConvertible {
    case missing(String)
    case corrupt(key: String, error: Error)

    public var description: String {
        switch self {
        case let .missing(k): return "state key \(k) is missing"
        case let .corrupt(k, e): return "state key \(k) does not decode: \(e)"
        }
    }
}
