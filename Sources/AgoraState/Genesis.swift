import AgoraCore
import Foundation

/// The first state of a chain: its ID, validators and their bonds, bank and staking rules and
/// initial balances. Read from a JSON file at `agora init`; its hash (over the canonical
/// encoding) is stored with the data so that a data directory can never be opened as another
/// chain. The staking fields are optional so that genesis files written before them still load.
public struct Genesis: Codable, Sendable, Equatable {
    public struct ValidatorEntry: Codable, Sendable, Equatable {
        public var publicKey: String
        public var power: UInt64
        /// Minted into the validator's bond at genesis (it counts in the supply); default
        /// `staking.minBond`.
        public var bond: Amount?
        public init(publicKey: String, power: UInt64, bond: Amount? = nil) {
            self.publicKey = publicKey
            self.power = power
            self.bond = bond
        }
    }

    /// The `staking` section; every field is optional (see `resolve` for the defaults).
    public struct StakingConfig: Codable, Sendable, Equatable {
        /// Address (Bech32m, ag1…) allowed to change the validator set. Default: the validator's own address
        /// on a one-validator chain; none (the set changes only by rotation and evidence) when
        /// there are several, because making one of them a superuser must be a stated choice.
        public var admin: String?
        public var minBond: Amount?
        public var doubleSignSlashBps: UInt16?
        public var maxEvidenceAge: UInt64?

        public init(admin: String? = nil, minBond: Amount? = nil, doubleSignSlashBps: UInt16? = nil, maxEvidenceAge: UInt64? = nil) {
            self.admin = admin
            self.minBond = minBond
            self.doubleSignSlashBps = doubleSignSlashBps
            self.maxEvidenceAge = maxEvidenceAge
        }
    }

    /// The `governance` section: present, it enables governance (docs/governance.md) and retires
    /// the staking admin (the set then changes only by proposal); every field is optional
    /// (`GovParams.defaults`).
    public struct GovernanceConfig: Codable, Sendable, Equatable {
        public var minDeposit: Amount?
        public var depositPeriod: UInt64?
        public var votingPeriod: UInt64?
        public var quorumBps: UInt16?
        public var thresholdBps: UInt16?
        public var vetoBps: UInt16?
        /// Absent: `GovParams.defaultMaxEndingPerHeight` (a governance chain always has the cap).
        public var maxEndingPerHeight: UInt64?

        public init(minDeposit: Amount? = nil, depositPeriod: UInt64? = nil, votingPeriod: UInt64? = nil, quorumBps: UInt16? = nil,
                    thresholdBps: UInt16? = nil, vetoBps: UInt16? = nil, maxEndingPerHeight: UInt64? = nil) {
            self.maxEndingPerHeight = maxEndingPerHeight
            self.minDeposit = minDeposit
            self.depositPeriod = depositPeriod
            self.votingPeriod = votingPeriod
            self.quorumBps = quorumBps
            self.thresholdBps = thresholdBps
            self.vetoBps = vetoBps
        }
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
    public var staking: StakingConfig?
    public var governance: GovernanceConfig?

    public init(chainID: String, genesisTime: UInt64, validators: [ValidatorEntry], params: Params, allocations: [Allocation],
                staking: StakingConfig? = nil, governance: GovernanceConfig? = nil) {
        self.governance = governance
        self.chainID = chainID
        self.genesisTime = genesisTime
        self.validators = validators
        self.params = params
        self.allocations = allocations
        self.staking = staking
    }

    public static let maxFileBytes = 16 * 1024 * 1024

    /// A checked genesis: everything parsed into ledger types.
    public struct Resolved: Sendable {
        public let chainID: String
        public let genesisTime: UInt64
        public let validatorSet: ValidatorSet
        public let params: BankParams
        public let staking: StakingParams
        /// nil: governance is not enabled on this chain.
        public let governance: GovParams?
        /// Each genesis validator's bond, sorted by key.
        public let bonds: [(PublicKey, Amount)]
        public let allocations: [(Address, Amount)]
        public let hash: Hash
        public let state: WriteSet
        public let stateRoot: Hash
    }

    public func resolve() throws(GenesisError) -> Resolved {
        guard ChainID.isValid(chainID) else { throw .invalid("chainID \"\(chainID)\": use 1-64 of a-z 0-9 . _ -") }
        let (set, keys) = try resolveValidators()
        let stakingParams = try resolveStaking(set)
        let (bonds, bonded) = try resolveBonds(keys: keys, staking: stakingParams)
        let bank = try resolveBank()
        let (sorted, supply) = try resolveAllocations(bank: bank, bonded: bonded)
        let gov = try resolveGovernance(bank: bank, staking: stakingParams)

        var entries: [WriteSet.Entry] = [
            .init(key: BankKeys.params, value: bank.canonicalBytes, previous: nil),
            .init(key: BankKeys.supply, value: supply.canonicalBytes, previous: nil),
        ]
        for (address, amount) in sorted {
            entries.append(.init(key: BankKeys.account(address),
                                 value: Account(balance: amount, nonce: 0, faucetClaimed: false).canonicalBytes, previous: nil))
        }
        entries += Staking.genesisEntries(params: stakingParams, set: set, bonds: bonds)
        if let gov { entries += Governance.genesisEntries(params: gov, set: set, bonds: bonds) }
        let state = WriteSet(entries: entries)
        let sortedBonds = set.validators.map { ($0.publicKey, bonds[$0.publicKey] ?? .zero) }
        let hash = genesisHash(set: set, bank: bank, balances: sorted, staking: stakingParams, bonds: sortedBonds, governance: gov)
        return Resolved(chainID: chainID, genesisTime: genesisTime, validatorSet: set, params: bank,
                        staking: stakingParams, governance: gov, bonds: sortedBonds,
                        allocations: sorted.map { ($0.key, $0.value) }, hash: hash, state: state,
                        stateRoot: try Genesis.treeRoot(state))
    }

    /// The validator set, and each validator's key in the order of `validators`.
    func resolveValidators() throws(GenesisError) -> (ValidatorSet, [PublicKey]) {
        var validatorList: [Validator] = []
        var keys: [PublicKey] = []
        for (i, v) in validators.enumerated() {
            guard let key = PublicKey(hex: v.publicKey) else { throw .invalid("validators[\(i)].publicKey is not 32 hex bytes") }
            validatorList.append(Validator(publicKey: key, power: v.power))
            keys.append(key)
        }
        let set: ValidatorSet
        do { set = try ValidatorSet(validatorList) } catch { throw .invalid("validators: \(error)") }
        guard set.totalPower <= Limits.maxTotalVotingPower else { throw .invalid("validators: total power above \(Limits.maxTotalVotingPower)") }
        return (set, keys)
    }

    /// Each validator's bond (staking.minBond unless it names one) and their sum.
    func resolveBonds(keys: [PublicKey], staking stakingParams: StakingParams) throws(GenesisError) -> ([PublicKey: Amount], Amount) {
        var bonds: [PublicKey: Amount] = [:]
        var bonded = Amount.zero
        for (i, v) in validators.enumerated() {
            let bond = v.bond ?? stakingParams.minBond
            guard bond >= stakingParams.minBond else { throw .invalid("validators[\(i)].bond \(bond) is below staking.minBond") }
            do { bonded = try bonded.adding(bond) } catch { throw .invalid("validator bonds overflow the amount range") }
            bonds[keys[i]] = bond
        }
        return (bonds, bonded)
    }

    /// The bank section, checked against its own bounds.
    func resolveBank() throws(GenesisError) -> BankParams {
        let treasury = try Genesis.address(params.treasury, "params.treasury")
        let bank = BankParams(treasury: treasury, transferFeeBps: params.transferFeeBps, minFee: params.minFee,
                              faucetAmount: params.faucetAmount, maxTotalSupply: params.maxTotalSupply,
                              maxAccountBalance: params.maxAccountBalance, blockReward: params.blockReward)
        do { try bank.validate() } catch { throw .invalid(error.description) }
        return bank
    }

    /// The allocations sorted by address, and the supply they make with the bonds.
    func resolveAllocations(bank: BankParams, bonded: Amount) throws(GenesisError) -> ([(key: Address, value: Amount)], Amount) {
        let treasury = bank.treasury
        var balances: [Address: Amount] = [:]
        // Bonds are minted at genesis and count in the supply (sum of balances and bonds).
        var supply = bonded
        for (i, a) in allocations.enumerated() {
            let address = try Genesis.address(a.address, "allocations[\(i)].address")
            guard balances[address] == nil else { throw .invalid("allocations[\(i)]: \(address) appears twice") }
            if address != treasury, a.amount > bank.maxAccountBalance {
                throw .invalid("allocations[\(i)]: \(a.amount) is above params.maxAccountBalance")
            }
            do { supply = try supply.adding(a.amount) } catch { throw .invalid("allocations and bonds overflow the amount range") }
            balances[address] = a.amount
        }
        guard supply <= bank.maxTotalSupply else {
            throw .invalid("\(bonded == .zero ? "allocations" : "allocations and bonds") total \(supply), above params.maxTotalSupply")
        }
        return (balances.sorted { $0.key < $1.key }, supply)
    }

    /// The genesis hash: SHA-256 of everything that decides the first state.
    func genesisHash(set: ValidatorSet, bank: BankParams, balances sorted: [(key: Address, value: Amount)], staking stakingParams: StakingParams,
                     bonds sortedBonds: [(PublicKey, Amount)], governance: GovParams? = nil) -> Hash {
        // v2: the staking params and bonds joined the preimage.
        var w = CanonicalWriter()
        w.writeFixed(Array("agora/genesis/v2".utf8))
        w.writeString(chainID)
        w.write(genesisTime)
        w.write(set)
        w.write(bank)
        w.write(UInt32(sorted.count))
        for (address, amount) in sorted { w.write(address); w.write(amount) }
        w.write(stakingParams)
        w.write(UInt32(sortedBonds.count))
        for (key, bond) in sortedBonds { w.write(key); w.write(bond) }
        // Appended only when governance is enabled, so older genesis files keep their hash.
        if let governance {
            w.writeFixed(Array("gov".utf8))
            w.write(governance)
        }
        return Hash.sha256(w.bytes)
    }

    /// An address field of the file. The old hex form is refused like any other mistake: the
    /// genesis hash covers the addresses' bytes, not their text, so a file rewritten with
    /// Bech32m addresses describes the same chain.
    static func address(_ text: String, _ field: String) throws(GenesisError) -> Address {
        do { return try Address.parse(text) } catch { throw .invalid("\(field) \"\(text.prefix(100))\" \(error)") }
    }

    /// The governance section with its defaults applied, checked against the bounds a proposal
    /// would have to respect; nil when the file has none.
    func resolveGovernance(bank: BankParams, staking: StakingParams) throws(GenesisError) -> GovParams? {
        guard let g = governance else { return nil }
        let d = GovParams.defaults
        let params = GovParams(minDeposit: g.minDeposit ?? d.minDeposit, depositPeriod: g.depositPeriod ?? d.depositPeriod,
                               votingPeriod: g.votingPeriod ?? d.votingPeriod, quorumBps: g.quorumBps ?? d.quorumBps,
                               thresholdBps: g.thresholdBps ?? d.thresholdBps, vetoBps: g.vetoBps ?? d.vetoBps,
                               maxEndingPerHeight: g.maxEndingPerHeight ?? d.maxEndingPerHeight)
        let chain = ChainParams(bank: bank, staking: staking, gov: params)
        for key in ParamKey.allCases where key.name.hasPrefix("gov.") {
            guard let value = chain.value(key), !chain.bounds(key).contains(value) else { continue }
            let r = chain.bounds(key)
            throw .invalid("governance.\(key.name.dropFirst(4)) \(value) must be \(r.lowerBound)…\(r.upperBound)")
        }
        return params
    }

    /// The staking section with its defaults applied.
    func resolveStaking(_ set: ValidatorSet) throws(GenesisError) -> StakingParams {
        let section = staking ?? StakingConfig()
        let admin: Address?
        if governance != nil {
            // Governance changes the set; a superuser key beside it would make the votes moot.
            guard section.admin == nil else { throw .invalid("staking.admin cannot be set when governance is enabled") }
            admin = nil
        } else if let text = section.admin {
            admin = try Genesis.address(text, "staking.admin")
        } else {
            admin = set.validators.count == 1 ? set.validators[0].publicKey.address : nil
        }
        let params = StakingParams(admin: admin, minBond: section.minBond ?? .zero,
                                   doubleSignSlashBps: section.doubleSignSlashBps ?? StakingParams.defaultSlashBps,
                                   maxEvidenceAge: section.maxEvidenceAge ?? StakingParams.defaultMaxEvidenceAge)
        do { try params.validate() } catch { throw .invalid(error.description) }
        return params
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

extension Genesis {
    /// The state tree's root over the genesis state (version 0 of the tree).
    static func treeRoot(_ state: WriteSet) throws(GenesisError) -> Hash {
        do { return try StateTree.update(MemoryTreeNodes(), base: nil, version: 0, writes: state).root } catch {
            throw .invalid("genesis state tree: \(error)")
        }
    }
}
