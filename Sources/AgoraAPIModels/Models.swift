import AgoraCore

/// AgoraAPIModels owns the vocabulary a node's API and its clients share: the JSON views of API
/// v1 (this file and the `*Views.swift` beside it), the signed artifact-request scheme and the
/// `/mcp` seam. It depends on Core, Crypto and Foundation only, so a client links no server,
/// storage or NIO; conversions from state and index records live in AgoraAPI (RecordViews.swift).
///
/// JSON shapes of API v1. Field names are part of the API: change them only with a new version.
/// Amounts are JSON integers in base units (at most 2^63-1); hashes and keys are lowercase hex;
/// addresses are Bech32m `ag1…` (see `Address`).
public enum API {
    public struct SubmitRequest: Codable, Sendable {
        /// Hex of the transaction's canonical bytes.
        public var tx: String
        public init(tx: String) { self.tx = tx }
    }

    public struct SubmitResponse: Codable, Sendable {
        public var id: String
        /// "pending" (executable next block) or "queued" (waiting for an earlier nonce).
        public var status: String
        public var replaced: String?

        public init(id: String, status: String, replaced: String? = nil) {
            self.id = id; self.status = status; self.replaced = replaced
        }
    }

    /// `POST /api/v1/transactions/batch`: hex of each transaction's canonical bytes.
    public struct BatchSubmitRequest: Codable, Sendable {
        public var txs: [String]
        public init(txs: [String]) { self.txs = txs }
    }

    public struct BatchSubmitResponse: Codable, Sendable {
        /// How many of `results` were admitted (status pending or queued).
        public var admitted: Int
        /// One per transaction, in the request's order.
        public var results: [BatchItem]
        public init(admitted: Int, results: [BatchItem]) { self.admitted = admitted; self.results = results }
    }

    public struct BatchItem: Codable, Sendable, Equatable {
        public var id: String
        /// "pending", "queued" (as `SubmitResponse`) or "refused" (then `error` says why).
        public var status: String
        public var replaced: String?
        public var error: BatchError?
        public init(id: String, status: String, replaced: String? = nil, error: BatchError? = nil) {
            self.id = id; self.status = status; self.replaced = replaced; self.error = error
        }
    }

    /// Why one transaction of a batch was refused: the code, message and HTTP status that
    /// `POST /api/v1/transactions` would have answered, and for load refusals (`mempool_busy`,
    /// `queued_limit`, `sender_pending_limit`) the seconds to wait before sending it again.
    public struct BatchError: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public var httpStatus: Int
        public var retryAfterSeconds: Int?
        public init(code: String, message: String, httpStatus: Int, retryAfterSeconds: Int? = nil) {
            self.code = code; self.message = message; self.httpStatus = httpStatus; self.retryAfterSeconds = retryAfterSeconds
        }
    }

    public struct PayloadView: Codable, Sendable, Equatable {
        public var type: String
        public var to: String?
        public var amount: UInt64?
        public var memo: String?
        /// validator_update: the validator key (hex) and its new power (0 removes).
        public var publicKey: String?
        public var power: UInt64?
        /// rotate_validator_key: the key taking over and its proof (hex).
        public var newKey: String?
        public var proof: String?
        public var evidence: EvidenceView?
        /// groups: the group's ID (every group payload but create), its name (create), the member
        /// and role concerned, the policy (create, policy update).
        public var group: String?
        public var name: String?
        public var member: String?
        public var role: String?
        public var policy: GroupView.PolicyView?
        /// claim_publish: the claim's content.
        public var text: String?
        public var tags: [String]?
        public var parent: String?
        public var artifacts: [ClaimView.ArtifactView]?
        /// claim_retract: the claim retracted (and `reason`).
        public var claim: String?
        /// claim_publish: the claims it names as sources (royalty parents), when it names any.
        public var sources: [String]?
        /// tasks: the task (every step but create), the assignee (assign), the specification
        /// (create: group, title, description, reward, deadline, artifacts), the result (complete:
        /// text, artifacts) and the reason (fail).
        public var task: String?
        public var assignee: String?
        public var title: String?
        public var description: String?
        public var reward: UInt64?
        public var deadline: UInt64?
        public var reason: String?
        /// market: the offer (cancel, buy; market_offer carries `terms`), the purchase (deliver,
        /// dispute), the buyer's one-time X25519 key (buy) or its revealed private key (dispute),
        /// and the sealed content key (deliver), all hex.
        public var offer: String?
        public var terms: TermsView?
        public var purchase: String?
        public var buyerKey: String?
        public var buyerSecret: String?
        public var delivery: PurchaseView.DeliveryView?

        public struct TermsView: Codable, Sendable, Equatable {
            public var title: String
            public var artifact: ClaimView.ArtifactView
            public var plaintextSHA256: String
            public var keyCommitment: String
            public var price: UInt64
            public var bond: UInt64
            public var expiresAt: UInt64
            public var deliveryWindowMs: UInt64
            public var disputeWindowMs: UInt64
            public var group: String?
            public var royalty: RoyaltyView?

            package init(_ t: OfferTerms) {
                title = t.title; artifact = .init(sha256: t.artifact.sha256.hex, size: t.artifact.size)
                plaintextSHA256 = t.plaintextSHA256.hex; keyCommitment = t.keyCommitment.hex; price = t.price.units; bond = t.bond.units
                expiresAt = t.expiresAt; deliveryWindowMs = t.deliveryWindowMs; disputeWindowMs = t.disputeWindowMs; group = t.group?.hex
                royalty = t.royalty.map { RoyaltyView(claim: $0.claim.hex, bps: $0.bps) }
            }
        }
        /// intents: the intent's kind ("offer"/"request"), terms text form, bond; the intent or
        /// settlement concerned; a mediator's stake and fee rate; a proposal's intents, fee and
        /// deadlines; a challenge's reason and bond (in `bond`); a resolution's outcome.
        public var intentKind: String?
        /// intents: the terms in text form (`terms` is the market's offer terms).
        public var intentTerms: String?
        public var bond: UInt64?
        public var intent: String?
        public var settlement: String?
        public var stake: UInt64?
        public var feeBps: UInt16?
        public var intents: [String]?
        public var mediatorFee: UInt64?
        public var acceptBy: UInt64?
        public var challengeWindow: UInt64?
        public var upheld: Bool?
        /// governance: the proposal's ID (deposit, vote), its content (submit), the vote option.
        public var proposal: UInt64?
        public var proposalContent: ProposalContentView?
        public var option: String?

        package init(_ p: Payload) {
            type = p.kind
            switch p {
            case let .transfer(to, amount, memo):
                self.to = to.description; self.amount = amount.units; self.memo = memo
            case .faucet:
                break
            case let .validatorUpdate(key, power):
                publicKey = key.hex; self.power = power
            case let .bond(amount), let .unbond(amount):
                self.amount = amount.units
            case let .rotateValidatorKey(newKey, proof):
                self.newKey = newKey.hex; self.proof = proof.hex
            case let .evidence(e):
                evidence = EvidenceView(e)
            case let .createGroup(name, policy):
                self.name = name; self.policy = .init(policy)
            case let .addGroupMember(group, member, role), let .setGroupRole(group, member, role):
                self.group = group.hex; self.member = member.description; self.role = role.name
            case let .removeGroupMember(group, member):
                self.group = group.hex; self.member = member.description
            case let .updateGroupPolicy(group, policy):
                self.group = group.hex; self.policy = .init(policy)
            case let .fundGroup(group, amount):
                self.group = group.hex; self.amount = amount.units
            case let .publishClaim(c):
                group = c.group.hex; text = c.text; tags = c.tags; parent = c.parent?.hex
                sources = c.sources.isEmpty ? nil : c.sources.map(\.hex)
                artifacts = c.artifacts.map { ClaimView.ArtifactView(sha256: $0.sha256.hex, size: $0.size) }
            case let .retractClaim(claim, reason):
                self.claim = claim.hex; self.reason = reason
            case let .createTask(spec):
                group = spec.group.hex; title = spec.title; description = spec.description; reward = spec.reward.units
                deadline = spec.deadline
                artifacts = spec.artifacts.map { ClaimView.ArtifactView(sha256: $0.sha256.hex, size: $0.size) }
            case let .assignTask(task, assignee):
                self.task = task.hex; self.assignee = assignee.description
            case let .startTask(task), let .cancelTask(task), let .expireTask(task):
                self.task = task.hex
            case let .completeTask(task, result):
                self.task = task.hex; text = result.text
                artifacts = result.artifacts.map { ClaimView.ArtifactView(sha256: $0.sha256.hex, size: $0.size) }
            case let .failTask(task, reason):
                self.task = task.hex; self.reason = reason
            case let .createOffer(t):
                terms = TermsView(t)
            case let .cancelOffer(offer):
                self.offer = offer.hex
            case let .buyOffer(offer, key):
                self.offer = offer.hex; buyerKey = key.hex
            case let .deliverKey(purchase, sealed):
                self.purchase = purchase.hex
                delivery = .init(encapsulatedKey: sealed.encapsulatedKey.hex, ciphertext: Hex.encode(sealed.ciphertext))
            case let .disputePurchase(purchase, secret):
                self.purchase = purchase.hex; buyerSecret = secret.hex
            case let .postIntent(c):
                group = c.group.hex; intentKind = c.kind.name; text = c.text; intentTerms = c.terms.text; bond = c.bond.units
            case let .withdrawIntent(i):
                intent = i.hex
            case let .registerMediator(s, bps):
                stake = s.units; feeBps = bps
            case let .proposeSettlement(sp):
                intents = sp.intents.map(\.hex); text = sp.termsText; intentTerms = sp.terms.text; mediatorFee = sp.mediatorFee.units
                acceptBy = sp.acceptBy; challengeWindow = sp.challengeWindow
            case let .acceptSettlement(s):
                settlement = s.hex
            case let .challengeSettlement(s, r, b):
                settlement = s.hex; reason = r; bond = b.units
            case let .resolveChallenge(s, u):
                settlement = s.hex; upheld = u
            case let .submitProposal(content, deposit):
                proposalContent = ProposalContentView(content); amount = deposit.units
            case let .depositProposal(id, a):
                proposal = id; amount = a.units
            case let .voteProposal(id, o):
                proposal = id; option = o.name
            }
        }
    }

    /// Double-signing evidence: who, where, and the two conflicting votes.
    public struct EvidenceView: Codable, Sendable, Equatable {
        public var validator: String
        public var height: UInt64
        public var round: UInt32
        /// "prevote" or "precommit".
        public var voteKind: String
        public var votes: [VoteView]

        public struct VoteView: Codable, Sendable, Equatable {
            public var blockHash: String
            public var signature: String

            public init(blockHash: String, signature: String) {
                self.blockHash = blockHash; self.signature = signature
            }
        }

        package init(_ e: DuplicateVoteEvidence) {
            validator = e.validator.hex
            height = e.height
            round = e.first.vote.round
            voteKind = e.first.vote.kind == .prevote ? "prevote" : "precommit"
            votes = [e.first, e.second].map { VoteView(blockHash: $0.vote.blockHash.hex, signature: $0.signature.hex) }
        }
    }

    public struct TransactionView: Codable, Sendable, Equatable {
        public var id: String
        public var chainID: String
        public var sender: String
        public var senderKey: String
        public var nonce: UInt64
        public var fee: UInt64
        public var expiresAt: UInt64
        public var payload: PayloadView
        public var signature: String
        public var size: Int

        package init(_ tx: Transaction) {
            id = tx.id.hex
            chainID = tx.body.chainID
            sender = tx.sender.description
            senderKey = tx.body.sender.hex
            nonce = tx.body.nonce
            fee = tx.body.fee.units
            expiresAt = tx.body.expiresAt
            payload = PayloadView(tx.body.payload)
            signature = tx.signature.hex
            size = tx.size
        }
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code; self.message = message
        }
    }

    public struct TransactionStatusView: Codable, Sendable {
        public var id: String
        /// "pending", "committed", "rejected" or "evicted" (left the mempool without a block: docs/mempool.md).
        public var status: String
        public var height: UInt64?
        public var index: Int?
        /// For committed transactions: whether the payload succeeded (the fee is paid either way).
        public var success: Bool?
        public var feePaid: UInt64?
        /// Why the payload failed (committed) or why the transaction was dropped (rejected).
        public var error: Failure?
        public var transaction: TransactionView?

        public init(id: String, status: String, height: UInt64? = nil, index: Int? = nil, success: Bool? = nil,
                    feePaid: UInt64? = nil, error: Failure? = nil, transaction: TransactionView? = nil) {
            self.id = id; self.status = status; self.height = height; self.index = index; self.success = success
            self.feePaid = feePaid; self.error = error; self.transaction = transaction
        }
    }

    public struct AccountView: Codable, Sendable {
        /// With `?prove=true`: the record's state key, canonical value and proof at the head,
        /// with that height's header and commit (docs/state.md).
        public var proof: StateProofView? = nil
        public var address: String
        public var balance: UInt64
        /// Nonce of the next transaction the chain will accept from this account.
        public var nonce: UInt64
        /// Nonce to use for a new transaction, counting the account's pending ones.
        public var nextNonce: UInt64
        public var faucetClaimed: Bool

        public init(address: String, balance: UInt64, nonce: UInt64, nextNonce: UInt64, faucetClaimed: Bool) {
            self.address = address; self.balance = balance; self.nonce = nonce; self.nextNonce = nextNonce
            self.faucetClaimed = faucetClaimed
        }
    }

    public struct CommitView: Codable, Sendable, Equatable {
        public var height: UInt64
        public var round: UInt32
        public var blockHash: String
        public var signatures: [SignatureView]

        public struct SignatureView: Codable, Sendable, Equatable {
            public var validator: String
            public var signature: String

            public init(validator: String, signature: String) {
                self.validator = validator; self.signature = signature
            }
        }

        package init(_ c: Commit) {
            height = c.height
            round = c.round
            blockHash = c.blockHash.hex
            signatures = c.signatures.map { SignatureView(validator: $0.validator.hex, signature: $0.signature.hex) }
        }
    }

    public struct BlockView: Codable, Sendable {
        public var height: UInt64
        public var hash: String
        public var chainID: String
        public var previousHash: String
        public var timestamp: UInt64
        public var proposer: String
        public var txRoot: String
        public var stateRoot: String
        public var validatorSetHash: String
        /// The set that signs the next block (`GET /api/v1/validators/{height}` serves both sets).
        public var nextValidatorSetHash: String
        public var lastCommit: CommitView?
        public var seal: CommitView
        public var transactions: [TransactionView]
        public var receipts: [ReceiptView]

        public init(height: UInt64, hash: String, chainID: String, previousHash: String, timestamp: UInt64, proposer: String,
                    txRoot: String, stateRoot: String, validatorSetHash: String, nextValidatorSetHash: String,
                    lastCommit: CommitView? = nil, seal: CommitView,
                    transactions: [TransactionView], receipts: [ReceiptView]) {
            self.height = height; self.hash = hash; self.chainID = chainID; self.previousHash = previousHash
            self.timestamp = timestamp; self.proposer = proposer; self.txRoot = txRoot; self.stateRoot = stateRoot
            self.validatorSetHash = validatorSetHash; self.nextValidatorSetHash = nextValidatorSetHash
            self.lastCommit = lastCommit; self.seal = seal
            self.transactions = transactions; self.receipts = receipts
        }

        public struct ReceiptView: Codable, Sendable {
            public var id: String
            public var success: Bool
            public var feePaid: UInt64
            public var error: Failure?

            public init(id: String, success: Bool, feePaid: UInt64, error: Failure? = nil) {
                self.id = id; self.success = success; self.feePaid = feePaid; self.error = error
            }
        }
    }

    /// `GET /api/v1/consensus`: the height being decided, its round and step, the key this node
    /// votes with, and whether it is catching up (more than a few blocks behind its peers).
    public struct ConsensusView: Codable, Sendable {
        public var height: UInt64
        public var round: UInt32
        public var step: String
        public var validator: String?
        public var headHeight: UInt64
        public var bestPeerHeight: UInt64
        public var catchingUp: Bool
        public var lastCommitAgeMs: UInt64?
        public var lastError: String?

        public init(height: UInt64, round: UInt32, step: String, validator: String? = nil, headHeight: UInt64,
                    bestPeerHeight: UInt64, catchingUp: Bool, lastCommitAgeMs: UInt64? = nil, lastError: String? = nil) {
            self.height = height; self.round = round; self.step = step; self.validator = validator; self.headHeight = headHeight
            self.bestPeerHeight = bestPeerHeight; self.catchingUp = catchingUp; self.lastCommitAgeMs = lastCommitAgeMs
            self.lastError = lastError
        }
    }

    public struct StatusView: Codable, Sendable {
        public var chainID: String
        public var genesisHash: String
        public var height: UInt64
        public var headHash: String
        public var headTime: UInt64
        public var stateRoot: String
        public var validator: String
        public var mempool: MempoolView
        public var params: ParamsView
        public var version: String
        /// The lowest height whose block body (transactions, receipts) this node stores: 1 on an
        /// archive node, higher once pruning (`pruning.keepBlocks`) or state sync dropped older
        /// bodies. Headers and commits are kept at every height.
        public var earliestHeight: UInt64

        public init(chainID: String, genesisHash: String, height: UInt64, headHash: String, headTime: UInt64, stateRoot: String,
                    validator: String, mempool: MempoolView, params: ParamsView, version: String, earliestHeight: UInt64 = 1) {
            self.chainID = chainID; self.genesisHash = genesisHash; self.height = height; self.headHash = headHash
            self.headTime = headTime; self.stateRoot = stateRoot; self.validator = validator; self.mempool = mempool
            self.params = params; self.version = version; self.earliestHeight = earliestHeight
        }

        public struct MempoolView: Codable, Sendable {
            public var count: Int
            public var bytes: Int
            /// Includable now / waiting for an earlier nonce / the ready bound (docs/mempool.md).
            /// Optional so clients of older nodes still decode.
            public var ready: Int?
            public var queued: Int?
            public var readyBound: Int?

            public init(count: Int, bytes: Int, ready: Int? = nil, queued: Int? = nil, readyBound: Int? = nil) {
                self.count = count; self.bytes = bytes
                self.ready = ready; self.queued = queued; self.readyBound = readyBound
            }
        }

        public struct ParamsView: Codable, Sendable {
            public var treasury: String
            public var transferFeeBps: UInt16
            public var minFee: UInt64
            public var faucetAmount: UInt64
            public var maxTotalSupply: UInt64
            public var maxAccountBalance: UInt64
            public var blockReward: UInt64
            public var totalSupply: UInt64

            public init(treasury: String, transferFeeBps: UInt16, minFee: UInt64, faucetAmount: UInt64, maxTotalSupply: UInt64,
                        maxAccountBalance: UInt64, blockReward: UInt64, totalSupply: UInt64) {
                self.treasury = treasury; self.transferFeeBps = transferFeeBps; self.minFee = minFee
                self.faucetAmount = faucetAmount; self.maxTotalSupply = maxTotalSupply
                self.maxAccountBalance = maxAccountBalance; self.blockReward = blockReward; self.totalSupply = totalSupply
            }
        }
    }

    /// One page of a list; pass `nextCursor` as `cursor` for the next page (null at the end).
    public struct ListView<Item: Codable & Sendable>: Codable, Sendable {
        public var items: [Item]
        public var nextCursor: String?

        public init(items: [Item], nextCursor: String? = nil) {
            self.items = items; self.nextCursor = nextCursor
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(items, forKey: .items)
            try c.encode(nextCursor, forKey: .nextCursor)  // explicit null, as documented
        }
        enum CodingKeys: String, CodingKey { case items, nextCursor }
    }

    public struct BlockSummaryView: Codable, Sendable {
        public var height: UInt64
        public var hash: String
        public var previousHash: String
        public var timestamp: UInt64
        public var proposer: String
        public var stateRoot: String
        public var transactionCount: Int

        package init(header h: BlockHeader, transactionCount: Int) {
            height = h.height
            hash = h.hash.hex
            previousHash = h.previousHash.hex
            timestamp = h.timestamp
            proposer = h.proposer.hex
            stateRoot = h.stateRoot.hex
            self.transactionCount = transactionCount
        }
    }

    public struct TokenView: Codable, Sendable {
        public var name: String
        public var createdAt: String
        public init(name: String, createdAt: String) { self.name = name; self.createdAt = createdAt }
    }
    public struct FlushView: Codable, Sendable {
        public var dropped: Int
        public init(dropped: Int) { self.dropped = dropped }
    }
    public struct LogLevelView: Codable, Sendable {
        public var level: String
        public init(level: String) { self.level = level }
    }

    public struct HealthView: Codable, Sendable {
        public var status: String
        public var components: [String: ComponentView]

        public init(status: String, components: [String: ComponentView]) {
            self.status = status; self.components = components
        }

        public struct ComponentView: Codable, Sendable {
            public var healthy: Bool
            public var detail: String

            public init(healthy: Bool, detail: String) {
                self.healthy = healthy; self.detail = detail
            }
        }
    }
}
