import AgoraCore

/// The intents module: members post offers and requests (with a bond), mediators stake to
/// register and propose settlements that pair intents, every party accepts (escrowing what it
/// owes), the settlement finalises at the end of the block `challengeWindow` heights after the
/// last acceptance unless a party or another mediator challenges it, and the group's admins
/// resolve challenges (upheld: refund the parties, slash the mediator; rejected: forfeit the
/// challenger's bond and finalise). End-of-block work reads one "due" key per height, never a
/// scan. Every rule reads the overlay the transaction executes on: membership, intent status
/// and balances are checked at execution, so one intent can never be settled twice.
public enum Intents {
    // MARK: Read API

    public static func intent(_ id: Hash, state: StateReader) throws -> IntentRecord? { try intent(StateOverlay(base: state), id) }
    public static func mediator(_ a: Address, state: StateReader) throws -> MediatorRecord? { try mediator(StateOverlay(base: state), a) }
    public static func settlement(_ id: Hash, state: StateReader) throws -> SettlementRecord? {
        try settlement(StateOverlay(base: state), id)
    }

    static func intent(_ state: StateOverlay, _ id: Hash) throws -> IntentRecord? {
        guard let raw = try state.get(IntentKeys.intent(id)) else { return nil }
        return try Bank.decode(IntentRecord.self, raw, "intents/i")
    }

    static func setIntent(_ state: StateOverlay, _ id: Hash, _ r: IntentRecord) throws { try state.set(IntentKeys.intent(id), r.canonicalBytes) }

    static func mediator(_ state: StateOverlay, _ a: Address) throws -> MediatorRecord? {
        guard let raw = try state.get(IntentKeys.mediator(a)) else { return nil }
        return try Bank.decode(MediatorRecord.self, raw, "intents/m")
    }

    static func setMediator(_ state: StateOverlay, _ a: Address, _ r: MediatorRecord) throws {
        try state.set(IntentKeys.mediator(a), r.canonicalBytes)
    }

    static func settlement(_ state: StateOverlay, _ id: Hash) throws -> SettlementRecord? {
        guard let raw = try state.get(IntentKeys.settlement(id)) else { return nil }
        return try Bank.decode(SettlementRecord.self, raw, "intents/s")
    }

    static func setSettlement(_ state: StateOverlay, _ id: Hash, _ r: SettlementRecord) throws {
        try state.set(IntentKeys.settlement(id), r.canonicalBytes)
    }

    static func addDue(_ state: StateOverlay, height: UInt64, _ id: Hash) throws {
        var list: [Hash] = []
        if let raw = try state.get(IntentKeys.due(height)) { list = try Bank.decode(DueList.self, raw, "intents/due").ids }
        list.append(id)
        try state.set(IntentKeys.due(height), DueList(ids: list).canonicalBytes)
    }

    // MARK: Balances

    /// Takes `amount` out of an account into module custody (bond, stake, escrow).
    static func debit(_ state: StateOverlay, _ address: Address, _ amount: Amount) throws -> ExecutionFailure? {
        guard amount > .zero else { return nil }
        var acct = try Bank.account(state, address)
        guard let left = try? acct.balance.subtracting(amount) else { return .insufficientBalance(balance: acct.balance, needed: amount) }
        acct.balance = left
        try Bank.setAccount(state, address, acct)
        return nil
    }

    /// Releases funds from module custody. Exempt from the balance cap: the funds were part of
    /// the supply all along and a release must never fail (it often runs at end of block).
    static func release(_ state: StateOverlay, _ address: Address, _ amount: Amount) throws {
        guard amount > .zero else { return }
        var acct = try Bank.account(state, address)
        acct.balance = try acct.balance.adding(amount)
        try Bank.setAccount(state, address, acct)
    }

    // MARK: Transactions

    static func post(_ state: StateOverlay, id: Hash, author: Address, content: IntentContent, height: UInt64) throws -> ExecutionFailure? {
        guard try Groups.group(state, content.group) != nil else { return .groupNotFound(content.group) }
        guard let role = try Groups.membership(state, content.group, author)?.role else {
            return .notGroupMember(group: content.group, address: author)
        }
        guard role.canPublish else { return .observerCannotPublish(group: content.group, address: author) }
        if let d = content.terms.deadline, d < height { return .intentExpired(intent: id, deadline: d) }
        if let f = try debit(state, author, content.bond) { return f }
        guard try intent(state, id) == nil else { throw StateFault.corrupt(key: "intents/i", error: GroupFault.idCollision(id)) }
        try setIntent(state, id, IntentRecord(group: content.group, author: author, kind: content.kind, bond: content.bond,
                                              deadline: content.terms.deadline ?? 0, height: height, status: .open, settlement: nil))
        return nil
    }

    static func withdraw(_ state: StateOverlay, id: Hash, sender: Address) throws -> ExecutionFailure? {
        guard var r = try intent(state, id) else { return .intentNotFound(id) }
        guard r.author == sender else { return .notIntentAuthor(intent: id, address: sender) }
        guard r.status == .open else { return .intentNotOpen(id) }
        r.status = .withdrawn
        try release(state, sender, r.bond)
        try setIntent(state, id, r)
        return nil
    }

    static func register(_ state: StateOverlay, sender: Address, stake: Amount, feeBps: UInt16, height: UInt64) throws -> ExecutionFailure? {
        var r = try mediator(state, sender) ?? MediatorRecord(stake: .zero, feeBps: feeBps, registeredAt: height)
        guard let total = try? r.stake.adding(stake) else { return .arithmeticOverflow }
        guard total >= IntentRules.minMediatorStake else { return .mediatorStakeTooLow(stake: total, minimum: IntentRules.minMediatorStake) }
        if let f = try debit(state, sender, stake) { return f }
        r.stake = total
        r.feeBps = feeBps
        try setMediator(state, sender, r)
        return nil
    }

    static func propose(_ state: StateOverlay, id: Hash, sender: Address, p: SettlementProposal, height: UInt64) throws -> ExecutionFailure? {
        guard var m = try mediator(state, sender) else { return .mediatorNotRegistered(sender) }
        guard m.stake >= IntentRules.minMediatorStake else { return .mediatorStakeTooLow(stake: m.stake, minimum: IntentRules.minMediatorStake) }
        guard p.acceptBy >= height, p.acceptBy - height <= IntentRules.maxAcceptWindow else {
            return .acceptDeadlineInvalid(acceptBy: p.acceptBy, height: height)
        }
        var group: Hash?
        var parties: [Address] = []
        var kinds = Set<IntentKind>()
        for iid in p.intents {
            guard let r = try intent(state, iid) else { return .intentNotFound(iid) }
            guard r.status == .open else { return .intentNotOpen(iid) }
            if r.isExpired(at: height) { return .intentExpired(intent: iid, deadline: r.deadline) }
            if let g = group, g != r.group { return .intentsInDifferentGroups(iid) }
            group = r.group
            if r.author == sender { return .mediatorIsParty(sender) }
            if parties.contains(r.author) { return .duplicateParty(r.author) }
            parties.append(r.author)
            kinds.insert(r.kind)
        }
        guard kinds.count == 2 else { return .noComplementaryIntents }
        var volume = Amount.zero
        for pay in p.payments {
            guard parties.contains(pay.from) else { return .paymentOutsideParties(pay.from) }
            guard parties.contains(pay.to) else { return .paymentOutsideParties(pay.to) }
            guard let v = try? volume.adding(pay.amount) else { return .arithmeticOverflow }
            volume = v
        }
        let maxFee = volume.basisPoints(m.feeBps)
        guard p.mediatorFee <= maxFee else { return .mediatorFeeAboveRate(fee: p.mediatorFee, maximum: maxFee) }
        guard try settlement(state, id) == nil else { throw StateFault.corrupt(key: "intents/s", error: GroupFault.idCollision(id)) }
        try setSettlement(state, id, SettlementRecord(group: group!, mediator: sender, intents: p.intents, parties: parties,
                                                      payments: p.payments, mediatorFee: p.mediatorFee, acceptBy: p.acceptBy,
                                                      challengeWindow: p.challengeWindow, proposedAt: height))
        try addDue(state, height: p.acceptBy, id)
        m.proposals += 1
        try setMediator(state, sender, m)
        return nil
    }

    /// What party `i` escrows when it accepts: its outgoing payments, the transfer fee on them
    /// (max of the group's and the chain's rate, like every group payment) and its share of the
    /// mediator fee (equal shares; the remainder falls on the first party).
    public static func escrow(of i: Int, parties: [Address], payments: [SettlementPayment], mediatorFee: Amount,
                              feeBps: UInt16) -> Amount? {
        var out = Amount.zero
        for pay in payments where pay.from == parties[i] {
            guard let v = try? out.adding(pay.amount) else { return nil }
            out = v
        }
        let n = UInt64(parties.count)
        var share = mediatorFee.units / n
        if i == 0 { share += mediatorFee.units % n }
        return try? out.adding(out.basisPoints(feeBps)).adding(Amount(share)!)
    }

    static func accept(_ state: StateOverlay, id: Hash, sender: Address, height: UInt64, bank: BankParams) throws -> ExecutionFailure? {
        guard var s = try settlement(state, id) else { return .settlementNotFound(id) }
        guard s.status == .proposed else { return .settlementNotOpen(id) }
        guard height <= s.acceptBy else { return .acceptDeadlinePassed(settlement: id, acceptBy: s.acceptBy) }
        guard let i = s.parties.firstIndex(of: sender) else { return .notSettlementParty(settlement: id, address: sender) }
        guard !s.accepted[i] else { return .alreadyAccepted(settlement: id, address: sender) }
        guard let groupRecord = try Groups.group(state, s.group) else { return .groupNotFound(s.group) }
        guard try Groups.membership(state, s.group, sender)?.role != nil else { return .notGroupMember(group: s.group, address: sender) }
        var records: [IntentRecord] = []
        for iid in s.intents {
            guard let r = try intent(state, iid) else { return .intentNotFound(iid) }
            guard r.status == .open else { return .intentNotOpen(iid) }
            if r.isExpired(at: height) { return .intentExpired(intent: iid, deadline: r.deadline) }
            records.append(r)
        }
        let bps = max(groupRecord.policy.transferFeeBps, bank.transferFeeBps)
        guard let owed = escrow(of: i, parties: s.parties, payments: s.payments, mediatorFee: s.mediatorFee, feeBps: bps) else {
            return .arithmeticOverflow
        }
        if let f = try debit(state, sender, owed) { return f }
        s.accepted[i] = true
        s.escrow[i] = owed
        if s.accepted.allSatisfy({ $0 }) {
            s.status = .accepted
            s.finalizeAt = height + s.challengeWindow
            for (iid, var r) in zip(s.intents, records) {
                r.status = .matched
                r.settlement = id
                try setIntent(state, iid, r)
            }
            try addDue(state, height: s.finalizeAt, id)
            if var m = try mediator(state, s.mediator) {
                m.acceptances += 1
                try setMediator(state, s.mediator, m)
            }
        }
        try setSettlement(state, id, s)
        return nil
    }

    static func challenge(_ state: StateOverlay, id: Hash, sender: Address, bond: Amount, height: UInt64) throws -> ExecutionFailure? {
        guard var s = try settlement(state, id) else { return .settlementNotFound(id) }
        guard s.status == .accepted else { return .settlementNotChallengeable(id) }
        guard height < s.finalizeAt else { return .challengeWindowClosed(settlement: id, finalizeAt: s.finalizeAt) }
        let isParty = s.parties.contains(sender)
        let registered = try mediator(state, sender) != nil
        let isOtherMediator = sender != s.mediator && registered
        guard isParty || isOtherMediator else { return .notEntitledToChallenge(settlement: id, address: sender) }
        guard bond >= IntentRules.minChallengeBond else { return .challengeBondTooLow(bond: bond, minimum: IntentRules.minChallengeBond) }
        if let f = try debit(state, sender, bond) { return f }
        s.status = .challenged
        s.challenger = sender
        s.challengeBond = bond
        try setSettlement(state, id, s)
        if var m = try mediator(state, s.mediator) {
            m.challenged += 1
            try setMediator(state, s.mediator, m)
        }
        return nil
    }

    static func resolve(_ state: StateOverlay, id: Hash, sender: Address, upheld: Bool, bank: BankParams) throws -> ExecutionFailure? {
        guard var s = try settlement(state, id) else { return .settlementNotFound(id) }
        guard s.status == .challenged, let challenger = s.challenger else { return .settlementNotChallenged(id) }
        guard try Groups.membership(state, s.group, sender)?.role == .admin else { return .notGroupAdmin(group: s.group, address: sender) }
        var m = try mediator(state, s.mediator) ?? MediatorRecord(stake: .zero, feeBps: 0, registeredAt: 0)
        if upheld {
            for (p, e) in zip(s.parties, s.escrow) { try release(state, p, e) }
            let slash = m.stake.basisPoints(IntentRules.slashBps)
            m.stake = try m.stake.subtracting(slash)
            m.upheld += 1
            try release(state, challenger, try s.challengeBond.adding(slash))
            for iid in s.intents {
                guard var r = try intent(state, iid) else { continue }
                r.status = .open
                r.settlement = nil
                try setIntent(state, iid, r)
            }
            s.status = .refunded
            s.escrow = s.escrow.map { _ in .zero }
            s.challengeBond = .zero
            try setMediator(state, s.mediator, m)
            try setSettlement(state, id, s)
        } else {
            try release(state, s.mediator, s.challengeBond)
            s.challengeBond = .zero
            try finalise(state, id, &s, bank: bank)
        }
        return nil
    }

    /// Pays a settlement out: payments to their recipients, the fee to the mediator, the
    /// transfer fees to the chain treasury (what the escrows hold beyond those), the intents'
    /// bonds back to their authors.
    static func finalise(_ state: StateOverlay, _ id: Hash, _ s: inout SettlementRecord, bank: BankParams) throws {
        for pay in s.payments { try release(state, pay.to, pay.amount) }
        try release(state, s.mediator, s.mediatorFee)
        var paid = s.mediatorFee
        for pay in s.payments { paid = try paid.adding(pay.amount) }
        let fees = try s.escrowTotal.subtracting(paid)
        try release(state, bank.treasury, fees)
        for iid in s.intents {
            guard var r = try intent(state, iid) else { continue }
            r.status = .settled
            r.settlement = id
            try release(state, r.author, r.bond)
            try setIntent(state, iid, r)
        }
        s.status = .finalised
        s.escrow = s.escrow.map { _ in .zero }
        try setSettlement(state, id, s)
        if var m = try mediator(state, s.mediator) {
            m.finalised += 1
            try setMediator(state, s.mediator, m)
        }
    }

    /// Runs at the end of every block: settlements whose acceptance deadline is this height and
    /// that not every party accepted expire (escrows back); accepted settlements whose window
    /// ends here finalise. One key read per block.
    static func endBlock(_ state: StateOverlay, height: UInt64) throws {
        guard let raw = try state.get(IntentKeys.due(height)) else { return }
        let ids = try Bank.decode(DueList.self, raw, "intents/due").ids
        let bank = try Bank.params(state)
        for id in ids {
            guard var s = try settlement(state, id) else { continue }
            switch s.status {
            case .proposed where height >= s.acceptBy:
                for (p, e) in zip(s.parties, s.escrow) { try release(state, p, e) }
                s.escrow = s.escrow.map { _ in .zero }
                s.status = .expired
                try setSettlement(state, id, s)
            case .accepted where height >= s.finalizeAt:
                try finalise(state, id, &s, bank: bank)
            default:
                continue
            }
        }
        try state.set(IntentKeys.due(height), nil)
    }
}

/// The settlements due at one height.
struct DueList: CanonicalCodable {
    var ids: [Hash]
    init(ids: [Hash]) { self.ids = ids }
    func encode(to writer: inout CanonicalWriter) { writer.writeArray(ids) }
    init(from reader: inout CanonicalReader) throws(CodecError) { ids = try reader.readArray(Hash.self, "intents.due", limit: 1 << 20) }
}
