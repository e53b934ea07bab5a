import AgoraCore

// The JSON shapes of the governance API (`/api/v1/gov/...`, docs/governance.md): proposals with
// their deposits, tally and votes, the parameters, and the scheduled upgrades. Amounts are base
// units; IDs are the chain's proposal numbers.
extension API {
    public struct ProposalContentView: Codable, Sendable, Equatable {
        public var title: String
        public var summary: String
        /// "text", "parameter_change", "validator_change", "treasury_spend", "software_upgrade", "cancel_upgrade".
        public var kind: String
        /// parameter_change: key name (e.g. "bank.transferFeeBps") → new value.
        public var changes: [ParamChangeView]?
        /// validator_change: key (hex) and power (0 removes).
        public var validators: [ValidatorChangeView]?
        /// treasury_spend.
        public var recipient: String?
        public var amount: UInt64?
        /// software_upgrade / cancel_upgrade.
        public var upgrade: UpgradeView?

        public struct ParamChangeView: Codable, Sendable, Equatable {
            public var key: String
            public var value: UInt64
            public init(key: String, value: UInt64) { self.key = key; self.value = value }
        }

        public struct ValidatorChangeView: Codable, Sendable, Equatable {
            public var publicKey: String
            public var power: UInt64
            public init(publicKey: String, power: UInt64) { self.publicKey = publicKey; self.power = power }
        }

        package init(_ c: ProposalContent) {
            title = c.title
            summary = c.summary
            kind = c.action.kind
            switch c.action {
            case .text: break
            case let .parameterChange(list): changes = list.map { .init(key: $0.key.name, value: $0.value) }
            case let .validatorChange(list): validators = list.map { .init(publicKey: $0.publicKey.hex, power: $0.power) }
            case let .treasurySpend(to, a): recipient = to.description; amount = a.units
            case let .softwareUpgrade(plan): upgrade = UpgradeView(plan)
            case let .cancelUpgrade(name): upgrade = UpgradeView(name: name, height: nil, info: nil)
            }
        }
    }

    public struct UpgradeView: Codable, Sendable, Equatable {
        public var name: String
        public var height: UInt64?
        public var info: String?
        public init(name: String, height: UInt64?, info: String?) { self.name = name; self.height = height; self.info = info }
        package init(_ p: UpgradePlan) { self.init(name: p.name, height: p.height, info: p.info) }
    }

    public struct TallyView: Codable, Sendable, Equatable {
        public var yes: UInt64
        public var abstain: UInt64
        public var no: UInt64
        public var noWithVeto: UInt64
        public var bonded: UInt64
        public init(yes: UInt64, abstain: UInt64, no: UInt64, noWithVeto: UInt64, bonded: UInt64) {
            self.yes = yes; self.abstain = abstain; self.no = no; self.noWithVeto = noWithVeto; self.bonded = bonded
        }
    }

    public struct ProposalView: Codable, Sendable, Equatable {
        public var id: UInt64
        public var proposer: String
        public var content: ProposalContentView
        /// deposit_period, voting_period, passed, failed, rejected, no_quorum, vetoed, expired.
        public var status: String
        public var submittedAt: UInt64
        public var depositEnd: UInt64
        public var votingStart: UInt64?
        public var votingEnd: UInt64?
        public var totalDeposit: UInt64
        public var deposits: [DepositView]
        /// The final tally once the voting period ended.
        public var tally: TallyView?
        /// During the voting period: the tally of the votes so far if the period ended at the
        /// next height (bonds as they stand now).
        public var currentTally: TallyView?
        /// status failed: why the passed action could not be applied (code and message).
        public var executionFailure: String?
        public var executionFailureCode: String?
        public var votes: [VoteView]?

        public struct DepositView: Codable, Sendable, Equatable {
            public var depositor: String
            public var amount: UInt64
        }

        public struct VoteView: Codable, Sendable, Equatable {
            public var voter: String
            public var address: String
            public var option: String
        }

        public init(id: UInt64, proposer: Address, content: ProposalContent, status: String, submittedAt: UInt64, depositEnd: UInt64,
                    votingStart: UInt64?, votingEnd: UInt64?, totalDeposit: Amount, deposits: [(Address, Amount)], tally: TallyView?,
                    executionFailure: (code: String, message: String)?, votes: [(PublicKey, VoteOption)]?,
                    currentTally: TallyView? = nil) {
            self.id = id
            self.proposer = proposer.description
            self.content = ProposalContentView(content)
            self.status = status
            self.submittedAt = submittedAt
            self.depositEnd = depositEnd
            self.votingStart = votingStart
            self.votingEnd = votingEnd
            self.totalDeposit = totalDeposit.units
            self.deposits = deposits.map { DepositView(depositor: $0.0.description, amount: $0.1.units) }
            self.tally = tally
            self.currentTally = currentTally
            self.executionFailure = executionFailure?.message
            executionFailureCode = executionFailure?.code
            self.votes = votes?.map { VoteView(voter: $0.0.hex, address: $0.0.address.description, option: $0.1.name) }
        }
    }

    public struct GovParamsView: Codable, Sendable, Equatable {
        public var height: UInt64
        public var enabled: Bool
        public var minDeposit: UInt64?
        public var depositPeriod: UInt64?
        public var votingPeriod: UInt64?
        public var quorumBps: UInt16?
        public var thresholdBps: UInt16?
        public var vetoBps: UInt16?
        /// How many proposals may end their deposit period, and their voting period, at one
        /// height; absent on a chain whose parameters predate the cap (no cap).
        public var maxEndingPerHeight: UInt64?
        /// Every key a parameter-change proposal may name.
        public var changeableKeys: [String]
        /// The consensus timeouts and block limits governance has set, by key name; a key
        /// missing here was never set (each node's configuration, or the protocol's constant).
        public var consensus: [String: UInt64]
        /// Upgrades scheduled and not yet reached.
        public var upgrades: [UpgradeView]
        /// The upgrades this node's binary knows.
        public var knownUpgrades: [String]

        public init(height: UInt64, enabled: Bool, minDeposit: UInt64?, depositPeriod: UInt64?, votingPeriod: UInt64?, quorumBps: UInt16?,
                    thresholdBps: UInt16?, vetoBps: UInt16?, maxEndingPerHeight: UInt64? = nil, consensus: [(ParamKey, UInt64)] = [], plans: [UpgradePlan],
                    known: [String]) {
            self.height = height
            self.enabled = enabled
            self.minDeposit = minDeposit; self.depositPeriod = depositPeriod; self.votingPeriod = votingPeriod
            self.quorumBps = quorumBps; self.thresholdBps = thresholdBps; self.vetoBps = vetoBps
            self.maxEndingPerHeight = maxEndingPerHeight
            changeableKeys = ParamKey.allCases.map(\.name)
            self.consensus = Dictionary(consensus.map { ($0.0.name, $0.1) }, uniquingKeysWith: { _, last in last })
            upgrades = plans.map(UpgradeView.init)
            knownUpgrades = known
        }
    }
}
