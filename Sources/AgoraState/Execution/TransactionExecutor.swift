import AgoraCore
import AgoraCrypto

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
        switch body.payload {
        case let .evidence(evidence):
            // Free, like the faucet: the stateful checks follow in `apply` (and in the mempool
            // when it has state), so only a real double sign gets in.
            return Staking.statelessRejection(evidence, fee: body.fee, chainID: chainID)
        case let .rotateValidatorKey(newKey, proof):
            // A bad proof is a forged request, not a failed one: refuse it like a bad signature.
            let message = KeyRotation.message(chainID: chainID, oldKey: body.sender)
            if !SignatureVerifier.isValid(proof, of: message, by: newKey) { return .invalidRotationProof(newKey: newKey) }
        default:
            break
        }
        if body.fee < params.minFee { return .feeTooLow(minimum: params.minFee, got: body.fee) }
        if account.balance < body.fee { return .insufficientFundsForFee(balance: account.balance, fee: body.fee) }
        return nil
    }

    /// Payloads that carry fee 0 and are therefore admitted only as the sender's next nonce.
    public static func isFeeExempt(_ payload: Payload) -> Bool { payload.isFeeExempt }

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
        if case let .evidence(evidence) = tx.body.payload,
           let rejection = try Staking.evidenceRejection(evidence, chainID: chainID, height: context.height, state) {
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
        case let .validatorUpdate(key, power):
            failure = try Staking.updateValidator(state, sender: tx.body.sender, key: key, power: power)
        case let .bond(amount):
            failure = try Staking.bond(state, key: tx.body.sender, amount: amount)
        case let .unbond(amount):
            failure = try Staking.unbond(state, key: tx.body.sender, amount: amount, height: context.height, bank: params)
        case let .rotateValidatorKey(newKey, _):
            failure = try Staking.rotate(state, from: tx.body.sender, to: newKey)
        case let .evidence(evidence):
            try Staking.punish(state, evidence)
            failure = nil
        case let .createGroup(name, policy):
            failure = try Groups.create(state, id: LedgerID.group(creator: sender, nonce: tx.body.nonce), creator: sender, name: name,
                                        policy: policy, height: context.height, bank: params)
        case let .addGroupMember(group, member, role):
            failure = try Groups.addMember(state, group: group, sender: sender, member: member, role: role, height: context.height,
                                           bank: params, treasuryCredit: &treasuryCredit)
        case let .removeGroupMember(group, member):
            failure = try Groups.removeMember(state, group: group, sender: sender, member: member, height: context.height)
        case let .setGroupRole(group, member, role):
            failure = try Groups.setRole(state, group: group, sender: sender, member: member, role: role, height: context.height)
        case let .updateGroupPolicy(group, policy):
            failure = try Groups.updatePolicy(state, group: group, sender: sender, policy: policy, bank: params)
        case let .fundGroup(group, amount):
            failure = try Groups.fund(state, group: group, sender: sender, amount: amount)
        case let .publishClaim(content):
            failure = try Claims.publish(state, id: LedgerID.claim(author: sender, nonce: tx.body.nonce), author: sender, content: content,
                                         context: context, bank: params, treasuryCredit: &treasuryCredit)
        case let .createTask(spec):
            failure = try Tasks.create(state, id: LedgerID.task(creator: sender, nonce: tx.body.nonce), creator: sender, spec: spec,
                                       context: context, bank: params)
        case let .assignTask(task, assignee):
            failure = try Tasks.assign(state, task: task, sender: sender, assignee: assignee, context: context)
        case let .startTask(task):
            failure = try Tasks.start(state, task: task, sender: sender, context: context)
        case let .completeTask(task, _):
            failure = try Tasks.complete(state, task: task, sender: sender, context: context, bank: params, treasuryCredit: &treasuryCredit)
        case let .failTask(task, _):
            failure = try Tasks.fail(state, task: task, sender: sender, context: context, bank: params)
        case let .cancelTask(task):
            failure = try Tasks.cancel(state, task: task, sender: sender, context: context, bank: params)
        case let .expireTask(task):
            failure = try Tasks.expire(state, task: task, context: context, bank: params)
        case let .createOffer(terms):
            failure = try Market.createOffer(state, id: LedgerID.offer(seller: sender, nonce: tx.body.nonce), seller: sender, terms: terms,
                                             context: context)
        case let .cancelOffer(offer):
            failure = try Market.cancelOffer(state, id: offer, sender: sender)
        case let .buyOffer(offer, buyerKey):
            failure = try Market.buy(state, id: LedgerID.purchase(buyer: sender, nonce: tx.body.nonce), offer: offer, buyer: sender,
                                     buyerKey: buyerKey, context: context)
        case let .deliverKey(purchase, sealed):
            failure = try Market.deliver(state, purchase: purchase, sender: sender, sealed: sealed, context: context)
        case let .disputePurchase(purchase, secret):
            failure = try Market.dispute(state, purchase: purchase, sender: sender, buyerSecret: secret, chainID: chainID, context: context)
        case let .postIntent(content):
            failure = try Intents.post(state, id: LedgerID.intent(author: sender, nonce: tx.body.nonce), author: sender, content: content,
                                       height: context.height)
        case let .withdrawIntent(intent):
            failure = try Intents.withdraw(state, id: intent, sender: sender)
        case let .registerMediator(stake, feeBps):
            failure = try Intents.register(state, sender: sender, stake: stake, feeBps: feeBps, height: context.height)
        case let .proposeSettlement(proposal):
            failure = try Intents.propose(state, id: LedgerID.settlement(mediator: sender, nonce: tx.body.nonce), sender: sender,
                                          p: proposal, height: context.height)
        case let .acceptSettlement(settlement):
            failure = try Intents.accept(state, id: settlement, sender: sender, height: context.height, bank: params)
        case let .challengeSettlement(settlement, _, bond):
            failure = try Intents.challenge(state, id: settlement, sender: sender, bond: bond, height: context.height)
        case let .resolveChallenge(settlement, upheld):
            failure = try Intents.resolve(state, id: settlement, sender: sender, upheld: upheld, bank: params)
        }
        if failure != nil { state.rollback() } else { state.release() }
        return .included(Receipt(feePaid: tx.body.fee, failure: failure))
    }
}
