import AgoraCore
import AgoraCrypto
@testable import AgoraState

/// The staking test ledger with helpers for groups and claims: named accounts, a group created
/// by `admin`, reads of records and memberships, and the supply check that counts treasuries.
struct GroupLedger {
    var l: StakingLedger
    let admin = SigningKey(), alice = SigningKey(), bob = SigningKey(), carol = SigningKey()

    init(balance: UInt64 = 1_000_000) throws {
        let validator = SigningKey()
        l = try StakingLedger(validators: [(validator, 1)], admin: nil, minBond: 0,
                              allocations: [(admin, balance), (alice, balance), (bob, balance), (carol, balance)])
    }

    /// Creates a group from `creator` and returns its ID.
    mutating func createGroup(_ creator: SigningKey? = nil, name: String = "research", policy: GroupPolicy = .none) throws -> Hash {
        let key = creator ?? admin
        let id = LedgerID.group(creator: key.address, nonce: l.nonces[key.address] ?? 0)
        let outcome = try run(key, .createGroup(name: name, policy: policy))
        precondition(outcome == .ok, "createGroup failed: \(outcome)")
        return id
    }

    mutating func run(_ key: SigningKey, _ payload: Payload) throws -> StakingLedger.Outcome { try l.run(l.tx(key, payload)) }

    /// Several transactions in one block, each with the sender's next nonce; returns each failure.
    mutating func block(_ txs: [(SigningKey, Payload)]) throws -> [ExecutionFailure?] {
        var nonces = l.nonces
        let signed = txs.map { key, payload in
            let n = nonces[key.address] ?? 0
            nonces[key.address] = n + 1
            return key.sign(TransactionBody(chainID: l.chainID, sender: key.publicKey, nonce: n, fee: Amount(1)!, expiresAt: 1_000_000, payload: payload))
        }
        let result = try l.block(signed)
        precondition(result.rejected.isEmpty, "refused: \(result.rejected)")
        return result.receipts.map(\.failure)
    }

    func group(_ id: Hash) throws -> GroupRecord? { try Groups.group(id, state: l.state) }
    func role(_ key: SigningKey, _ id: Hash) throws -> GroupRole? { try Groups.role(of: key.address, in: id, state: l.state) }
    func balance(_ key: SigningKey) throws -> UInt64 { try l.balance(key) }
    func balance(_ address: Address) throws -> UInt64 {
        try l.state.entries[BankKeys.account(address)].map { try Account(canonicalBytes: $0).balance.units } ?? 0
    }

    /// Replaces the chain's bank params (to test how group policies relate to them).
    mutating func setBankParams(_ change: (inout BankParams) -> Void) throws {
        var p = try BankParams(canonicalBytes: l.state.entries[BankKeys.params]!)
        change(&p)
        l.state.entries[BankKeys.params] = p.canonicalBytes
    }

    /// Balances, bonds and group treasuries: must equal `bank/supply` after every block.
    func accountedSupply() throws -> UInt64 {
        var total = try l.balancesAndBonds()
        for (key, value) in l.state.entries where key.bytes.starts(with: GroupKeys.groupPrefix) {
            total += try GroupRecord(canonicalBytes: value).treasury.units
        }
        return total
    }
}
