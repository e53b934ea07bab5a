import AgoraCore

/// The groups module: groups, their members and roles, their policy and treasury. Only admins
/// change membership or policy, and a group always keeps at least one admin. Every rule reads
/// the state the transaction executes on, so membership is checked at execution height: there is
/// no window between a check and the use it guards. Like the bank it works on a `StateOverlay`;
/// this file is its read API (for the executor, other modules and the API).
public enum Groups {
    public static func group(_ id: Hash, state: StateReader) throws -> GroupRecord? { try group(StateOverlay(base: state), id) }

    public static func membership(_ group: Hash, _ address: Address, state: StateReader) throws -> GroupMembership? {
        try membership(StateOverlay(base: state), group, address)
    }

    /// The address's current role, or nil if it is not a member. This is the check every module
    /// makes against the state it executes on (see `BlockStore.role(in:of:atHeight:)` for the past).
    public static func role(of address: Address, in group: Hash, state: StateReader) throws -> GroupRole? {
        try membership(StateOverlay(base: state), group, address)?.role
    }

    public static func claim(_ id: Hash, state: StateReader) throws -> ClaimRecord? { try claim(StateOverlay(base: state), id) }

    // MARK: Overlay access

    static func group(_ state: StateOverlay, _ id: Hash) throws -> GroupRecord? {
        guard let raw = try state.get(GroupKeys.group(id)) else { return nil }
        return try Bank.decode(GroupRecord.self, raw, "groups/g")
    }

    static func setGroup(_ state: StateOverlay, _ id: Hash, _ record: GroupRecord) throws {
        try state.set(GroupKeys.group(id), record.canonicalBytes)
    }

    static func membership(_ state: StateOverlay, _ group: Hash, _ address: Address) throws -> GroupMembership? {
        guard let raw = try state.get(GroupKeys.member(group, address)) else { return nil }
        return try Bank.decode(GroupMembership.self, raw, "groups/m")
    }

    static func setMembership(_ state: StateOverlay, _ group: Hash, _ address: Address, _ m: GroupMembership) throws {
        try state.set(GroupKeys.member(group, address), m.canonicalBytes)
    }

    static func claim(_ state: StateOverlay, _ id: Hash) throws -> ClaimRecord? {
        guard let raw = try state.get(GroupKeys.claim(id)) else { return nil }
        return try Bank.decode(ClaimRecord.self, raw, "claims/c")
    }

    /// Why a policy cannot be set, or nil. A group may only tighten the chain's bank rules: it
    /// can never promise a balance or an issuance the chain itself would refuse.
    static func violation(_ p: GroupPolicy, bank: BankParams) -> GroupPolicyViolation? {
        if p.maxBalance > bank.maxAccountBalance { return .maxBalanceAboveChain }
        if p.maxSupply > bank.maxTotalSupply { return .maxSupplyAboveChain }
        if p.faucetAmount > p.maxBalance { return .faucetAboveMaxBalance }
        if p.faucetAmount > p.maxSupply || p.claimReward > p.maxSupply { return .payoutAboveMaxSupply }
        return nil
    }

    /// Pays `configured` from the group's treasury to `recipient`: as much as the group's
    /// remaining issuance and the recipient's balance caps allow, and nothing at all if the
    /// treasury cannot cover that amount plus the fee. Never fails the transaction: a payout is
    /// a consequence of an action, not its purpose. Returns what the recipient received.
    static func payout(_ state: StateOverlay, _ group: inout GroupRecord, to recipient: Address, _ configured: Amount,
                       bank: BankParams, treasuryCredit: inout Amount) throws -> Amount {
        guard configured > .zero else { return .zero }
        let issuanceRoom = (try? group.policy.maxSupply.subtracting(group.issued)) ?? .zero
        var account = try Bank.account(state, recipient)
        let cap = recipient == bank.treasury ? Amount.max : min(group.policy.maxBalance, bank.maxAccountBalance)
        let balanceRoom = (try? cap.subtracting(account.balance)) ?? .zero
        let paid = min(configured, issuanceRoom, balanceRoom)
        guard paid > .zero else { return .zero }
        let fee = paid.basisPoints(max(group.policy.transferFeeBps, bank.transferFeeBps))
        guard let cost = try? paid.adding(fee), let left = try? group.treasury.subtracting(cost) else { return .zero }
        group.treasury = left
        group.issued = try group.issued.adding(paid)
        // The treasury's funds are part of the supply, which bounds every balance: no overflow.
        account.balance = try account.balance.adding(paid)
        try Bank.setAccount(state, recipient, account)
        treasuryCredit = try treasuryCredit.adding(fee)
        return paid
    }
}

/// Why a policy is refused (`invalid_group_policy`).
public enum GroupPolicyViolation: UInt8, Sendable, Hashable, CustomStringConvertible {
    case maxBalanceAboveChain = 1
    case maxSupplyAboveChain = 2
    case faucetAboveMaxBalance = 3
    case payoutAboveMaxSupply = 4

    public var description: String {
        switch self {
        case .maxBalanceAboveChain: return "maxBalance is above the chain's maxAccountBalance"
        case .maxSupplyAboveChain: return "maxSupply is above the chain's maxTotalSupply"
        case .faucetAboveMaxBalance: return "faucetAmount is above maxBalance"
        case .payoutAboveMaxSupply: return "faucetAmount or claimReward is above maxSupply"
        }
    }
}
