import AgoraCore

/// The groups payloads: create, add/remove a member, change a role, replace the policy, fund the
/// treasury. Each returns nil or why it failed; the executor then rolls the payload back and the
/// fee stays paid.
extension Groups {
    static func create(_ state: StateOverlay, id: Hash, creator: Address, name: String, policy: GroupPolicy,
                       height: UInt64, bank: BankParams) throws -> ExecutionFailure? {
        if let v = violation(policy, bank: bank) { return .invalidGroupPolicy(v) }
        // The ID comes from the creator's address and nonce, which no other transaction can use.
        guard try group(state, id) == nil else { throw StateFault.corrupt(key: "groups/g", error: GroupFault.idCollision(id)) }
        let record = GroupRecord(name: name, creator: creator, createdAt: height, policy: policy, treasury: .zero,
                                 issued: .zero, admins: 1, members: 1, claims: 0)
        try setGroup(state, id, record)
        // The creator brings nothing to the treasury yet, so there is no grant to pay it.
        try setMembership(state, id, creator, GroupMembership(role: .admin, since: height, granted: true))
        return nil
    }

    /// The sender's group, if the sender is one of its admins.
    private static func adminGroup(_ state: StateOverlay, _ id: Hash, _ sender: Address) throws -> Result<GroupRecord, ExecutionFailure> {
        guard let record = try group(state, id) else { return .failure(.groupNotFound(id)) }
        guard try membership(state, id, sender)?.role == .admin else { return .failure(.notGroupAdmin(group: id, address: sender)) }
        return .success(record)
    }

    static func addMember(_ state: StateOverlay, group id: Hash, sender: Address, member: Address, role: GroupRole,
                          height: UInt64, bank: BankParams, treasuryCredit: inout Amount) throws -> ExecutionFailure? {
        var record: GroupRecord
        switch try adminGroup(state, id, sender) {
        case let .success(r): record = r
        case let .failure(f): return f
        }
        var m = try membership(state, id, member) ?? GroupMembership(role: nil, since: height, granted: false)
        if m.role != nil { return .alreadyGroupMember(group: id, address: member) }
        m.role = role
        m.since = height
        record.members += 1
        if role == .admin { record.admins += 1 }
        if !m.granted {
            m.granted = true
            let grant = record.policy.faucetAmount
            _ = try payout(state, &record, to: member, grant, bank: bank, treasuryCredit: &treasuryCredit)
        }
        try setMembership(state, id, member, m)
        try setGroup(state, id, record)
        return nil
    }

    static func removeMember(_ state: StateOverlay, group id: Hash, sender: Address, member: Address, height: UInt64) throws -> ExecutionFailure? {
        var record: GroupRecord
        switch try adminGroup(state, id, sender) {
        case let .success(r): record = r
        case let .failure(f): return f
        }
        guard var m = try membership(state, id, member), let role = m.role else { return .notGroupMember(group: id, address: member) }
        if role == .admin {
            if record.admins <= 1 { return .lastGroupAdmin(group: id, address: member) }
            record.admins -= 1
        }
        record.members -= 1
        m.role = nil
        m.since = height
        try setMembership(state, id, member, m)
        try setGroup(state, id, record)
        return nil
    }

    static func setRole(_ state: StateOverlay, group id: Hash, sender: Address, member: Address, role: GroupRole,
                        height: UInt64) throws -> ExecutionFailure? {
        var record: GroupRecord
        switch try adminGroup(state, id, sender) {
        case let .success(r): record = r
        case let .failure(f): return f
        }
        guard var m = try membership(state, id, member), let current = m.role else { return .notGroupMember(group: id, address: member) }
        if current == role { return .roleUnchanged(group: id, address: member, role: role) }
        if current == .admin {
            if record.admins <= 1 { return .lastGroupAdmin(group: id, address: member) }
            record.admins -= 1
        } else if role == .admin {
            record.admins += 1
        }
        m.role = role
        m.since = height
        try setMembership(state, id, member, m)
        try setGroup(state, id, record)
        return nil
    }

    static func updatePolicy(_ state: StateOverlay, group id: Hash, sender: Address, policy: GroupPolicy, bank: BankParams) throws -> ExecutionFailure? {
        var record: GroupRecord
        switch try adminGroup(state, id, sender) {
        case let .success(r): record = r
        case let .failure(f): return f
        }
        if let v = violation(policy, bank: bank) { return .invalidGroupPolicy(v) }
        // Lowering maxSupply below what was already issued is allowed: it stops further payouts.
        record.policy = policy
        try setGroup(state, id, record)
        return nil
    }

    static func fund(_ state: StateOverlay, group id: Hash, sender: Address, amount: Amount) throws -> ExecutionFailure? {
        guard amount > .zero else { return .zeroAmount }
        guard var record = try group(state, id) else { return .groupNotFound(id) }
        var account = try Bank.account(state, sender)
        guard let left = try? account.balance.subtracting(amount) else {
            return .insufficientBalance(balance: account.balance, needed: amount)
        }
        account.balance = left
        // Balances and treasuries together are the supply (≤ 2^63-1): no overflow.
        record.treasury = try record.treasury.adding(amount)
        try Bank.setAccount(state, sender, account)
        try setGroup(state, id, record)
        return nil
    }
}

/// A fault of the node's own state found by the groups module (never the transaction's fault).
public enum GroupFault: Error, CustomStringConvertible {
    case idCollision(Hash)
    public var description: String {
        switch self {
        case let .idCollision(id): return "group \(id) already exists although its creator's nonce is fresh"
        }
    }
}
