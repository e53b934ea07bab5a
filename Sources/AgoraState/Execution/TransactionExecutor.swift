import AgoraCore

/// Where in the chain a block executes.
public struct BlockContext: Sendable {
    public var height: UInt64
    public var timestamp: UInt64
    public var proposer: Address

    public init(height: UInt64, timestamp: UInt64, proposer: Address) {
        self.height = height
        self.timestamp = timestamp
        self.proposer = proposer
    }
}

public enum TransactionOutcome: Sendable, Equatable {
    case included(Receipt)
    case rejected(Rejection)
}

/// Applies one transaction to an overlay. Signature checking is not done here: the mempool
/// verified it once on admission and blocks from elsewhere are verified in bulk before execution.
public struct TransactionExecutor: Sendable {
    public let chainID: String

    public init(chainID: String) { self.chainID = chainID }

    /// The checks that decide whether a transaction may be included, given the sender's account.
    /// The mempool runs the same function against its own view so that both agree.
    public static func admissible(_ tx: Transaction, account: Account, params: BankParams, chainID: String,
                                  height: UInt64, supply: () throws -> Amount) rethrows -> Rejection? {
        let body = tx.body
        if body.chainID != chainID { return .wrongChain(expected: chainID, got: body.chainID) }
        if height > body.expiresAt { return .expired(expiresAt: body.expiresAt, height: height) }
        if body.nonce < account.nonce { return .nonceTooLow(expected: account.nonce, got: body.nonce) }
        if body.nonce > account.nonce { return .nonceTooHigh(expected: account.nonce, got: body.nonce) }
        if case .faucet = body.payload {
            if params.faucetAmount == .zero { return .faucetDisabled }
            if account.faucetClaimed { return .faucetAlreadyClaimed }
            if body.fee != .zero { return .faucetFeeMustBeZero(body.fee) }
            guard let newSupply = try? supply().adding(params.faucetAmount), newSupply <= params.maxTotalSupply,
                  let newBalance = try? account.balance.adding(params.faucetAmount), newBalance <= params.maxAccountBalance
            else { return .faucetExhausted }
            return nil
        }
        if body.fee < params.minFee { return .feeTooLow(minimum: params.minFee, got: body.fee) }
        if account.balance < body.fee { return .insufficientFundsForFee(balance: account.balance, fee: body.fee) }
        return nil
    }

    /// Includes `tx` or says why it cannot be included. Fees owed to the treasury are added to
    /// `treasuryCredit`; the block credits them once at its end. Throws only for faults of the
    /// node's own state (I/O, corrupt entries), never because of the transaction.
    public func apply(_ tx: Transaction, context: BlockContext, params: BankParams, state: StateOverlay,
                      treasuryCredit: inout Amount) throws -> TransactionOutcome {
        let sender = tx.sender
        var account = try Bank.account(state, sender)
        if let rejection = try TransactionExecutor.admissible(tx, account: account, params: params, chainID: chainID,
                                                              height: context.height, supply: { try Bank.supply(state) }) {
            return .rejected(rejection)
        }
        account.nonce += 1
        if case .faucet = tx.body.payload {
            account.balance = try account.balance.adding(params.faucetAmount)
            account.faucetClaimed = true
            try Bank.setAccount(state, sender, account)
            try Bank.setSupply(state, try Bank.supply(state).adding(params.faucetAmount))
            return .included(Receipt(feePaid: .zero, failure: nil))
        }
        account.balance = try account.balance.subtracting(tx.body.fee)
        try Bank.setAccount(state, sender, account)
        // Supply bounds every balance and every fee, so the running credit cannot overflow.
        treasuryCredit = try treasuryCredit.adding(tx.body.fee)

        state.savepoint()
        var failure: ExecutionFailure?
        switch tx.body.payload {
        case let .transfer(to, amount, _):
            switch try Bank.transfer(state, from: sender, to: to, amount: amount, params: params) {
            case let .success(fee): treasuryCredit = try treasuryCredit.adding(fee)
            case let .failure(f): failure = f
            }
        case .faucet:
            failure = nil
        }
        if failure != nil { state.rollback() } else { state.release() }
        return .included(Receipt(feePaid: tx.body.fee, failure: failure))
    }
}
