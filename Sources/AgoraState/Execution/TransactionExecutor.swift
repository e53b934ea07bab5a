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
        let call = PayloadCall(state: state, sender: sender, senderKey: tx.body.sender, nonce: tx.body.nonce, context: context, bank: params)
        let failure = try execute(tx.body.payload, call, treasuryCredit: &treasuryCredit)
        if failure != nil { state.rollback() } else { state.release() }
        return .included(Receipt(feePaid: tx.body.fee, failure: failure))
    }
}

/// What every module's transaction rule needs besides its payload's own fields.
struct PayloadCall {
    let state: StateOverlay
    let sender: Address
    /// The sender's key: staking rules work on keys, the other modules on addresses.
    let senderKey: PublicKey
    /// The transaction's nonce, from which the IDs of created things derive.
    let nonce: UInt64
    let context: BlockContext
    let bank: BankParams
}

extension TransactionExecutor {
    /// Runs the payload's module rule on the overlay after the fee was paid. Returns why it
    /// failed (the caller rolls back its writes) or nil. One exhaustive switch, so that a new
    /// payload case cannot compile without a rule.
    func execute(_ payload: Payload, _ c: PayloadCall, treasuryCredit: inout Amount) throws -> ExecutionFailure? {
        let (state, sender, context, bank, height) = (c.state, c.sender, c.context, c.bank, c.context.height)
        switch payload {
        case let .transfer(to, amount, _):
            switch try Bank.transfer(state, from: sender, to: to, amount: amount, params: bank) {
            case let .success(fee): treasuryCredit = try treasuryCredit.adding(fee); return nil
            case let .failure(f): return f
            }
        case .faucet: return nil
        case let .validatorUpdate(key, power): return try Staking.updateValidator(state, sender: c.senderKey, key: key, power: power)
        case let .bond(amount): return try Staking.bond(state, key: c.senderKey, amount: amount)
        case let .unbond(amount): return try Staking.unbond(state, key: c.senderKey, amount: amount, height: height, bank: bank)
        case let .rotateValidatorKey(newKey, _): return try Staking.rotate(state, from: c.senderKey, to: newKey)
        case let .evidence(evidence):
            try Staking.punish(state, evidence)
            return nil
        case let .createGroup(name, policy):
            return try Groups.create(state, id: LedgerID.group(creator: sender, nonce: c.nonce), creator: sender, name: name,
                                     policy: policy, height: height, bank: bank)
        case let .addGroupMember(group, member, role):
            return try Groups.addMember(state, group: group, sender: sender, member: member, role: role, height: height,
                                        bank: bank, treasuryCredit: &treasuryCredit)
        case let .removeGroupMember(group, member):
            return try Groups.removeMember(state, group: group, sender: sender, member: member, height: height)
        case let .setGroupRole(group, member, role):
            return try Groups.setRole(state, group: group, sender: sender, member: member, role: role, height: height)
        case let .updateGroupPolicy(group, policy): return try Groups.updatePolicy(state, group: group, sender: sender, policy: policy, bank: bank)
        case let .fundGroup(group, amount): return try Groups.fund(state, group: group, sender: sender, amount: amount)
        case let .publishClaim(content):
            return try Claims.publish(state, id: LedgerID.claim(author: sender, nonce: c.nonce), author: sender, content: content,
                                      context: context, bank: bank, treasuryCredit: &treasuryCredit)
        case let .retractClaim(claim, _): return try Claims.retract(state, claim: claim, sender: sender, height: height)
        case let .createTask(spec):
            return try Tasks.create(state, id: LedgerID.task(creator: sender, nonce: c.nonce), creator: sender, spec: spec,
                                    context: context, bank: bank)
        case let .assignTask(task, assignee): return try Tasks.assign(state, task: task, sender: sender, assignee: assignee, context: context)
        case let .startTask(task): return try Tasks.start(state, task: task, sender: sender, context: context)
        case let .completeTask(task, _):
            return try Tasks.complete(state, task: task, sender: sender, context: context, bank: bank, treasuryCredit: &treasuryCredit)
        case let .failTask(task, _): return try Tasks.fail(state, task: task, sender: sender, context: context, bank: bank)
        case let .cancelTask(task): return try Tasks.cancel(state, task: task, sender: sender, context: context, bank: bank)
        case let .expireTask(task): return try Tasks.expire(state, task: task, context: context, bank: bank)
        case let .createOffer(terms):
            return try Market.createOffer(state, id: LedgerID.offer(seller: sender, nonce: c.nonce), seller: sender, terms: terms, context: context)
        case let .cancelOffer(offer): return try Market.cancelOffer(state, id: offer, sender: sender)
        case let .buyOffer(offer, buyerKey):
            return try Market.buy(state, id: LedgerID.purchase(buyer: sender, nonce: c.nonce), offer: offer, buyer: sender,
                                  buyerKey: buyerKey, context: context)
        case let .deliverKey(purchase, sealed): return try Market.deliver(state, purchase: purchase, sender: sender, sealed: sealed, context: context)
        case let .disputePurchase(purchase, secret):
            return try Market.dispute(state, purchase: purchase, sender: sender, buyerSecret: secret, chainID: chainID, context: context)
        case let .postIntent(content):
            return try Intents.post(state, id: LedgerID.intent(author: sender, nonce: c.nonce), author: sender, content: content, height: height)
        case let .withdrawIntent(intent): return try Intents.withdraw(state, id: intent, sender: sender)
        case let .registerMediator(stake, feeBps): return try Intents.register(state, sender: sender, stake: stake, feeBps: feeBps, height: height)
        case let .proposeSettlement(proposal):
            return try Intents.propose(state, id: LedgerID.settlement(mediator: sender, nonce: c.nonce), sender: sender, p: proposal, height: height)
        case let .acceptSettlement(settlement): return try Intents.accept(state, id: settlement, sender: sender, height: height, bank: bank)
        case let .challengeSettlement(settlement, _, bond):
            return try Intents.challenge(state, id: settlement, sender: sender, bond: bond, height: height)
        case let .resolveChallenge(settlement, upheld): return try Intents.resolve(state, id: settlement, sender: sender, upheld: upheld, bank: bank)
        case let .submitProposal(content, deposit):
            return try Governance.submit(state, sender: sender, content: content, deposit: deposit, context: context)
        case let .depositProposal(proposal, amount):
            return try Governance.deposit(state, sender: sender, proposal: proposal, amount: amount, context: context)
        case let .voteProposal(proposal, option):
            return try Governance.vote(state, voter: c.senderKey, proposal: proposal, option: option, context: context)
        }
    }
}
