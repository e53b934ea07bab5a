import AgoraCore

extension API {
    public struct IntentView: Codable, Sendable, Equatable {
        /// With `?prove=true`: the record's state key, canonical value and proof at the head,
        /// with that height's header and commit (docs/state.md).
        public var proof: StateProofView? = nil
        public var id: String
        public var group: String
        public var author: String
        /// "offer" or "request".
        public var kind: String
        public var text: String
        /// The text form: `asset=… amount=N..M price=N..M deadline=H` (empty: none).
        public var terms: String
        public var asset: String?
        public var amount: RangeView?
        public var price: RangeView?
        public var deadline: UInt64?
        public var bond: UInt64
        /// "open", "matched", "settled" or "withdrawn".
        public var status: String
        public var settlement: String?
        public var height: UInt64
        public var transaction: String

        public init(id: String, group: String, author: String, kind: String, text: String, terms: String, asset: String? = nil,
                    amount: RangeView? = nil, price: RangeView? = nil, deadline: UInt64? = nil, bond: UInt64, status: String,
                    settlement: String? = nil, height: UInt64, transaction: String) {
            self.id = id; self.group = group; self.author = author; self.kind = kind; self.text = text; self.terms = terms
            self.asset = asset; self.amount = amount; self.price = price; self.deadline = deadline; self.bond = bond
            self.status = status; self.settlement = settlement; self.height = height; self.transaction = transaction
        }

        public struct RangeView: Codable, Sendable, Equatable {
            public var min: UInt64
            public var max: UInt64

            public init(min: UInt64, max: UInt64) {
                self.min = min; self.max = max
            }
        }
    }

    public struct SettlementView: Codable, Sendable, Equatable {
        public var id: String
        public var group: String?
        public var mediator: String
        public var intents: [String]
        public var parties: [PartyView]
        public var termsText: String
        public var terms: String
        public var payments: [PaymentView]
        public var mediatorFee: UInt64
        public var acceptBy: UInt64
        public var challengeWindow: UInt64
        /// "proposed", "accepted", "challenged", "finalised", "refunded" or "expired".
        public var status: String
        /// The height whose end finalises it (after every party accepted).
        public var finalizeAt: UInt64?
        public var challenger: String?
        public var challengeBond: UInt64?
        public var score: MatchScore
        public var height: UInt64
        public var transaction: String

        public init(id: String, group: String? = nil, mediator: String, intents: [String], parties: [PartyView],
                    termsText: String, terms: String, payments: [PaymentView], mediatorFee: UInt64, acceptBy: UInt64,
                    challengeWindow: UInt64, status: String, finalizeAt: UInt64? = nil, challenger: String? = nil,
                    challengeBond: UInt64? = nil, score: MatchScore, height: UInt64, transaction: String) {
            self.id = id; self.group = group; self.mediator = mediator; self.intents = intents; self.parties = parties
            self.termsText = termsText; self.terms = terms; self.payments = payments; self.mediatorFee = mediatorFee
            self.acceptBy = acceptBy; self.challengeWindow = challengeWindow; self.status = status; self.finalizeAt = finalizeAt
            self.challenger = challenger; self.challengeBond = challengeBond; self.score = score; self.height = height
            self.transaction = transaction
        }

        public struct PartyView: Codable, Sendable, Equatable {
            public var address: String
            public var intent: String
            public var accepted: Bool
            public var escrow: UInt64

            public init(address: String, intent: String, accepted: Bool, escrow: UInt64) {
                self.address = address; self.intent = intent; self.accepted = accepted; self.escrow = escrow
            }
        }

        public struct PaymentView: Codable, Sendable, Equatable {
            public var from: String
            public var to: String
            public var amount: UInt64

            public init(from: String, to: String, amount: UInt64) {
                self.from = from; self.to = to; self.amount = amount
            }
        }
    }

    public struct MediatorView: Codable, Sendable, Equatable {
        public var address: String
        public var stake: UInt64
        public var feeBps: UInt16
        public var registeredAt: UInt64
        public var proposals: UInt64
        public var acceptances: UInt64
        public var finalised: UInt64
        public var challenged: UInt64
        public var upheld: UInt64

        public init(address: String, stake: UInt64, feeBps: UInt16, registeredAt: UInt64, proposals: UInt64, acceptances: UInt64,
                    finalised: UInt64, challenged: UInt64, upheld: UInt64) {
            self.address = address; self.stake = stake; self.feeBps = feeBps; self.registeredAt = registeredAt
            self.proposals = proposals; self.acceptances = acceptances; self.finalised = finalised; self.challenged = challenged
            self.upheld = upheld
        }
    }
}
