import AgoraCore

/// A block's transactions applied to state: what was included, what each produced, what was
/// dropped and why, and the write set that storage commits.
public struct ExecutedBlock: Sendable {
    public var included: [Transaction]
    public var receipts: [Receipt]
    public var rejected: [(Transaction, Rejection)]
    public var writes: WriteSet
    /// The royalty shares this block's settlements paid, in payment order (for `market.released`).
    public var royalties: [RoyaltyPayment] = []
}

public enum BlockRejection: Error, Equatable, Sendable, CustomStringConvertible {
    case transactionNotAdmissible(index: Int, id: Hash, Rejection)

    public var description: String {
        switch self {
        case let .transactionNotAdmissible(i, id, r): return "transaction \(i) (\(id)) cannot be included: \(r)"
        }
    }
}

/// Runs a list of transactions as one block on top of committed state.
public struct BlockExecutor: Sendable {
    public let executor: TransactionExecutor
    /// The software upgrades this binary knows (governance/Upgrades.swift).
    public let upgrades: UpgradeRegistry

    public init(chainID: String, upgrades: UpgradeRegistry = .builtIn) {
        executor = TransactionExecutor(chainID: chainID)
        self.upgrades = upgrades
    }

    public enum Mode: Sendable {
        /// Building a block: drop what cannot be included.
        case propose
        /// Checking someone else's block: anything not includable makes the block invalid.
        case verify
    }

    public func execute(_ transactions: [Transaction], context: BlockContext, base: StateReader, mode: Mode) throws -> ExecutedBlock {
        let state = StateOverlay(base: base)
        // A scheduled upgrade runs its migration before anything else of the block, or stops the
        // node (UpgradeHalt) before the block touches state.
        try Upgrades.beginBlock(state, height: context.height, registry: upgrades)
        let params = try Bank.params(state)
        var included: [Transaction] = []
        var receipts: [Receipt] = []
        var rejected: [(Transaction, Rejection)] = []
        var treasuryCredit = Amount.zero
        included.reserveCapacity(transactions.count)
        receipts.reserveCapacity(transactions.count)
        for (i, tx) in transactions.enumerated() {
            switch try executor.apply(tx, context: context, params: params, state: state, treasuryCredit: &treasuryCredit) {
            case let .included(receipt):
                if receipt.succeeded, TransactionOrigin.isIndexed(tx.body.payload) {
                    // What the module indexes read, committed by the state root (TransactionOrigin).
                    let origin = TransactionOrigin(time: context.timestamp, feePaid: receipt.feePaid, transaction: tx)
                    try state.set(OriginKeys.origin(position: OriginKeys.position(height: context.height, index: included.count)),
                                  origin.canonicalBytes)
                }
                included.append(tx)
                receipts.append(receipt)
            case let .rejected(reason):
                if mode == .verify { throw BlockRejection.transactionNotAdmissible(index: i, id: tx.id, reason) }
                rejected.append((tx, reason))
            }
        }
        // Before the treasury is credited, so that the fees of sales settling now are in this block's credit.
        var royalties: [RoyaltyPayment] = []
        try Market.endBlock(state, context: context, bank: params, treasuryCredit: &treasuryCredit, royalties: &royalties)
        if treasuryCredit > .zero, let failure = try Bank.credit(state, params.treasury, treasuryCredit, params: params) {
            // The treasury is exempt from the balance cap and the supply bounds every balance.
            throw StateFault.corrupt(key: "treasury", error: failure)
        }
        try Bank.reward(state, proposer: context.proposer, params: params)
        // Before staking's end of block, so that a validator change passed now is in force at H+2.
        try Governance.endBlock(state, height: context.height)
        // After every transaction: this block's set changes become the set for height + 2.
        try Staking.endBlock(state, height: context.height)
        // Settlements whose acceptance deadline or challenge window ends at this height.
        try Intents.endBlock(state, height: context.height)
        return ExecutedBlock(included: included, receipts: receipts, rejected: rejected, writes: state.writeSet(), royalties: royalties)
    }
}
