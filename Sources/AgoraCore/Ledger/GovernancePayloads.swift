/// The values the `governance` payloads carry (tags 48–50): a proposal's content and action
/// (parameter changes over a closed list of typed keys, validator-set changes, a treasury spend,
/// a software upgrade plan or its cancellation), and a vote's option. They decode strictly —
/// unknown parameter keys and vote options are unknown tags, lists must be sorted without
/// duplicates, texts stay within their limits — so a proposal has exactly one encoding and the
/// rules never see a value a client could have meant two ways. The bounds that depend on state
/// (a fee of at most 100%, a faucet grant under the balance cap) are checked by the governance
/// module at submission and again at execution.

public enum GovernanceLimits {
    public static let maxTitleBytes = 140
    public static let maxSummaryBytes = 4 * 1024
    public static let maxParamChanges = 16
    public static let maxValidatorChanges = 32
    public static let maxUpgradeNameBytes = 64
    public static let maxUpgradeInfoBytes = 1024
    /// Distinct depositors kept per proposal (each is refunded by name).
    public static let maxDepositors = 128
    /// Longest deposit or voting period a chain may set, in heights.
    public static let maxPeriod: UInt64 = 1_000_000
    /// Highest `gov.maxEndingPerHeight` a chain may set: the cap bounds one block's end-of-block
    /// work, so it may not be raised past what a block can tally (docs/governance.md).
    public static let maxEndingPerHeight: UInt64 = 1_000
}

/// A vote. Cosmos's four options: abstain counts toward the quorum only; no-with-veto also
/// counts as no and, above the veto share, burns the deposits.
public enum VoteOption: UInt8, Sendable, Hashable, CaseIterable, CanonicalCodable, CustomStringConvertible {
    case yes = 1, abstain = 2, no = 3, noWithVeto = 4

    public var name: String {
        switch self {
        case .yes: return "yes"
        case .abstain: return "abstain"
        case .no: return "no"
        case .noWithVeto: return "no_with_veto"
        }
    }

    public init?(name: String) {
        guard let o = VoteOption.allCases.first(where: { $0.name == name }) else { return nil }
        self = o
    }

    public var description: String { name }
    public func encode(to writer: inout CanonicalWriter) { writer.write(rawValue) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("vote.option")
        guard let o = VoteOption(rawValue: raw) else { throw .unknownTag(type: "vote.option", tag: raw) }
        self = o
    }
}

/// The chain parameters a proposal may change: a closed list, so an unknown key cannot decode.
/// Each key's bounds are in `AgoraState` (`GovernanceParamBounds`), next to the params it sets.
public enum ParamKey: UInt8, Sendable, Hashable, CaseIterable, CanonicalCodable, CustomStringConvertible {
    case bankTransferFeeBps = 1
    case bankMinFee = 2
    case bankFaucetAmount = 3
    case bankBlockReward = 4
    case stakingMinBond = 10
    case stakingDoubleSignSlashBps = 11
    case stakingMaxEvidenceAge = 12
    case govMinDeposit = 20
    case govDepositPeriod = 21
    case govVotingPeriod = 22
    case govQuorumBps = 23
    case govThresholdBps = 24
    case govVetoBps = 25
    /// How many proposals may end their deposit period, and how many their voting period, at
    /// one height (a proposal whose natural end is full takes the next height with room).
    case govMaxEndingPerHeight = 26
    // Consensus timeouts (ms) and their growth per round: every node's engine uses the chain's
    // value from the height after the change, overriding its `consensus.*` configuration.
    case consensusTimeoutProposeMs = 30
    case consensusTimeoutProposeDeltaMs = 31
    case consensusTimeoutPrevoteMs = 32
    case consensusTimeoutPrevoteDeltaMs = 33
    case consensusTimeoutPrecommitMs = 34
    case consensusTimeoutPrecommitDeltaMs = 35
    // What a valid block may hold, checked by every validator (below the protocol's constants).
    case blockMaxTransactions = 40
    case blockMaxBytes = 41

    public var name: String {
        switch self {
        case .bankTransferFeeBps: return "bank.transferFeeBps"
        case .bankMinFee: return "bank.minFee"
        case .bankFaucetAmount: return "bank.faucetAmount"
        case .bankBlockReward: return "bank.blockReward"
        case .stakingMinBond: return "staking.minBond"
        case .stakingDoubleSignSlashBps: return "staking.doubleSignSlashBps"
        case .stakingMaxEvidenceAge: return "staking.maxEvidenceAge"
        case .govMinDeposit: return "gov.minDeposit"
        case .govDepositPeriod: return "gov.depositPeriod"
        case .govVotingPeriod: return "gov.votingPeriod"
        case .govQuorumBps: return "gov.quorumBps"
        case .govThresholdBps: return "gov.thresholdBps"
        case .govVetoBps: return "gov.vetoBps"
        case .govMaxEndingPerHeight: return "gov.maxEndingPerHeight"
        case .consensusTimeoutProposeMs: return "consensus.timeoutProposeMs"
        case .consensusTimeoutProposeDeltaMs: return "consensus.timeoutProposeDeltaMs"
        case .consensusTimeoutPrevoteMs: return "consensus.timeoutPrevoteMs"
        case .consensusTimeoutPrevoteDeltaMs: return "consensus.timeoutPrevoteDeltaMs"
        case .consensusTimeoutPrecommitMs: return "consensus.timeoutPrecommitMs"
        case .consensusTimeoutPrecommitDeltaMs: return "consensus.timeoutPrecommitDeltaMs"
        case .blockMaxTransactions: return "block.maxTransactions"
        case .blockMaxBytes: return "block.maxBytes"
        }
    }

    public init?(name: String) {
        guard let k = ParamKey.allCases.first(where: { $0.name == name }) else { return nil }
        self = k
    }

    public var description: String { name }
    public func encode(to writer: inout CanonicalWriter) { writer.write(rawValue) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("param.key")
        guard let k = ParamKey(rawValue: raw) else { throw .unknownTag(type: "param.key", tag: raw) }
        self = k
    }
}

public struct ParamChange: Hashable, Sendable, CanonicalCodable {
    public var key: ParamKey
    public var value: UInt64
    public init(key: ParamKey, value: UInt64) { self.key = key; self.value = value }
    public func encode(to writer: inout CanonicalWriter) { writer.write(key); writer.write(value) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        key = try reader.read(ParamKey.self)
        value = try reader.readUInt64("param.value")
    }
}

/// A software upgrade: at `height` every node stops unless its binary knows `name`, in which case
/// it runs that upgrade's migration in the same transaction as block `height`.
public struct UpgradePlan: Hashable, Sendable, CanonicalCodable {
    /// 1–64 of `a-z 0-9 . _ -`, like a chain ID: it appears in logs, health and file names.
    public var name: String
    public var height: UInt64
    /// Free text (release notes, where to get the binary), 0–1024 bytes.
    public var info: String

    public init(name: String, height: UInt64, info: String = "") {
        self.name = name
        self.height = height
        self.info = info
    }

    public static func isValidName(_ name: String) -> Bool { ChainID.isValid(name) }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeString(name)
        writer.write(height)
        writer.writeString(info)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        name = try UpgradePlan.readName(&reader)
        height = try reader.readUInt64("upgrade.height")
        info = try reader.readString("upgrade.info", limit: GovernanceLimits.maxUpgradeInfoBytes)
    }

    static func readName(_ reader: inout CanonicalReader) throws(CodecError) -> String {
        let name = try reader.readString("upgrade.name", limit: GovernanceLimits.maxUpgradeNameBytes)
        guard isValidName(name) else { throw .nonCanonical(field: "upgrade.name", reason: "use 1-64 of a-z 0-9 . _ -") }
        return name
    }
}

/// What a proposal does when it passes.
public enum ProposalAction: Hashable, Sendable, CanonicalCodable {
    /// A signal: nothing executes.
    case text
    /// Sorted by key, no duplicates, 1–16 entries; applied together or not at all.
    case parameterChange([ParamChange])
    /// Sorted by key, no duplicates, 1–32 entries; power 0 removes. In force two heights after
    /// execution, like every change of the set.
    case validatorChange([Validator])
    case treasurySpend(to: Address, amount: Amount)
    case softwareUpgrade(UpgradePlan)
    case cancelUpgrade(name: String)

    public var kind: String {
        switch self {
        case .text: return "text"
        case .parameterChange: return "parameter_change"
        case .validatorChange: return "validator_change"
        case .treasurySpend: return "treasury_spend"
        case .softwareUpgrade: return "software_upgrade"
        case .cancelUpgrade: return "cancel_upgrade"
        }
    }

    public func encode(to writer: inout CanonicalWriter) {
        switch self {
        case .text: writer.write(UInt8(1))
        case let .parameterChange(changes): writer.write(UInt8(2)); writer.writeArray(changes)
        case let .validatorChange(list): writer.write(UInt8(3)); writer.writeArray(list)
        case let .treasurySpend(to, amount): writer.write(UInt8(4)); writer.write(to); writer.write(amount)
        case let .softwareUpgrade(plan): writer.write(UInt8(5)); writer.write(plan)
        case let .cancelUpgrade(name): writer.write(UInt8(6)); writer.writeString(name)
        }
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let tag = try reader.readUInt8("proposal.action")
        switch tag {
        case 1: self = .text
        case 2:
            let changes = try reader.readArray(ParamChange.self, "proposal.params", limit: GovernanceLimits.maxParamChanges)
            try ProposalAction.requireSorted(changes.map(\.key.rawValue), "proposal.params")
            self = .parameterChange(changes)
        case 3:
            let list = try reader.readArray(Validator.self, "proposal.validators", limit: GovernanceLimits.maxValidatorChanges)
            try ProposalAction.requireSorted(list.map(\.publicKey), "proposal.validators")
            self = .validatorChange(list)
        case 4:
            let to = try reader.read(Address.self)
            self = .treasurySpend(to: to, amount: try reader.read(Amount.self))
        case 5: self = .softwareUpgrade(try reader.read(UpgradePlan.self))
        case 6: self = .cancelUpgrade(name: try UpgradePlan.readName(&reader))
        default: throw .unknownTag(type: "proposal.action", tag: tag)
        }
    }

    /// Non-empty, strictly ascending: one encoding per set of changes, no key named twice.
    static func requireSorted<T: Comparable>(_ keys: [T], _ field: String) throws(CodecError) {
        guard !keys.isEmpty else { throw .nonCanonical(field: field, reason: "empty") }
        for i in keys.indices.dropFirst() where !(keys[i - 1] < keys[i]) {
            throw .nonCanonical(field: field, reason: "not sorted ascending without duplicates")
        }
    }
}

/// A proposal as submitted: a one-line title, a summary (may be empty) and its action.
public struct ProposalContent: Hashable, Sendable, CanonicalCodable {
    public var title: String
    public var summary: String
    public var action: ProposalAction

    public init(title: String, summary: String = "", action: ProposalAction) {
        self.title = title
        self.summary = summary
        self.action = action
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeString(title)
        writer.writeString(summary)
        writer.write(action)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        title = try reader.readString("proposal.title", limit: GovernanceLimits.maxTitleBytes)
        guard !title.isEmpty else { throw .nonCanonical(field: "proposal.title", reason: "empty") }
        summary = try reader.readString("proposal.summary", limit: GovernanceLimits.maxSummaryBytes)
        action = try reader.read(ProposalAction.self)
    }
}

/// The `governance` payloads' codec. `Payload` routes here by `Tag.module`.
extension Payload {
    func encodeGovernanceFields(to writer: inout CanonicalWriter) {
        switch self {
        case let .submitProposal(content, deposit): writer.write(content); writer.write(deposit)
        case let .depositProposal(proposal, amount): writer.write(proposal); writer.write(amount)
        case let .voteProposal(proposal, option): writer.write(proposal); writer.write(option)
        default: misrouted(.governance)
        }
    }

    static func decodeGovernance(_ tag: Tag, from reader: inout CanonicalReader) throws(CodecError) -> Payload {
        switch tag {
        case .submitProposal:
            let content = try reader.read(ProposalContent.self)
            return .submitProposal(content: content, deposit: try reader.read(Amount.self))
        case .depositProposal:
            let id = try reader.readUInt64("deposit.proposal")
            return .depositProposal(proposal: id, amount: try reader.read(Amount.self))
        case .voteProposal:
            let id = try reader.readUInt64("vote.proposal")
            return .voteProposal(proposal: id, option: try reader.read(VoteOption.self))
        default:
            throw misroutedTag(tag)
        }
    }
}
