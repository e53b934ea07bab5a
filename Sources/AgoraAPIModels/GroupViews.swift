import AgoraCore

extension API {
    public struct GroupView: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var creator: String
        public var createdAt: UInt64
        public var policy: PolicyView
        public var treasury: UInt64
        /// Paid out so far against `policy.maxSupply`.
        public var issued: UInt64
        public var admins: UInt32
        public var members: UInt32
        public var claims: UInt64

        public init(id: String, name: String, creator: String, createdAt: UInt64, policy: PolicyView, treasury: UInt64,
                    issued: UInt64, admins: UInt32, members: UInt32, claims: UInt64) {
            self.id = id; self.name = name; self.creator = creator; self.createdAt = createdAt; self.policy = policy
            self.treasury = treasury; self.issued = issued; self.admins = admins; self.members = members; self.claims = claims
        }

        public struct PolicyView: Codable, Sendable, Equatable {
            public var faucetAmount: UInt64
            public var claimReward: UInt64
            public var transferFeeBps: UInt16
            public var maxSupply: UInt64
            public var maxBalance: UInt64

            package init(_ p: GroupPolicy) {
                faucetAmount = p.faucetAmount.units; claimReward = p.claimReward.units; transferFeeBps = p.transferFeeBps
                maxSupply = p.maxSupply.units; maxBalance = p.maxBalance.units
            }
        }
    }

    public struct MemberView: Codable, Sendable, Equatable {
        public var address: String
        /// "admin", "member" or "observer".
        public var role: String
        /// Height of the last change of role.
        public var since: UInt64

        public init(address: String, role: String, since: UInt64) {
            self.address = address; self.role = role; self.since = since
        }
    }

    public struct ClaimView: Codable, Sendable, Equatable {
        /// With `?prove=true`: the record's state key, canonical value and proof at the head,
        /// with that height's header and commit (docs/state.md).
        public var proof: StateProofView? = nil
        public var id: String
        public var group: String
        public var author: String
        public var text: String
        public var tags: [String]
        public var parent: String?
        public var root: String
        public var artifacts: [ArtifactView]
        public var height: UInt64
        public var index: Int
        /// Block time (ms).
        public var time: UInt64
        public var transaction: String
        /// Present once the author retracted the claim (absent otherwise).
        public var retracted: RetractionView?
        /// The claims it names as sources (royalty parents); absent when none.
        public var sources: [String]?

        public init(id: String, group: String, author: String, text: String, tags: [String], parent: String? = nil, root: String,
                    artifacts: [ArtifactView], height: UInt64, index: Int, time: UInt64, transaction: String, retracted: RetractionView? = nil,
                    sources: [String]? = nil) {
            self.sources = sources
            self.id = id; self.group = group; self.author = author; self.text = text; self.tags = tags; self.parent = parent
            self.root = root; self.artifacts = artifacts; self.height = height; self.index = index; self.time = time
            self.transaction = transaction; self.retracted = retracted
        }

        public struct RetractionView: Codable, Sendable, Equatable {
            public var height: UInt64
            public var reason: String

            public init(height: UInt64, reason: String) {
                self.height = height; self.reason = reason
            }
        }

        public struct ArtifactView: Codable, Sendable, Equatable {
            public var sha256: String
            public var size: UInt64

            public init(sha256: String, size: UInt64) {
                self.sha256 = sha256; self.size = size
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(group, forKey: .group); try c.encode(author, forKey: .author)
            try c.encode(text, forKey: .text); try c.encode(tags, forKey: .tags)
            try c.encode(parent, forKey: .parent)  // explicit null for a thread's first claim, as documented
            try c.encode(root, forKey: .root); try c.encode(artifacts, forKey: .artifacts); try c.encode(height, forKey: .height)
            try c.encode(index, forKey: .index); try c.encode(time, forKey: .time); try c.encode(transaction, forKey: .transaction)
            try c.encodeIfPresent(retracted, forKey: .retracted)
            try c.encodeIfPresent(sources, forKey: .sources)
            // ?prove=true: without this line the proof was computed and then dropped.
            try c.encodeIfPresent(proof, forKey: .proof)
        }
    }

    /// `GET /api/v1/groups/{id}/context`: claims ranked for a query and cut to a token budget.
    public struct ContextView: Codable, Sendable, Equatable {
        public var group: String
        /// The chain height the answer reflects: the same query at the same height gives the same items.
        public var height: UInt64
        public var query: String
        /// The query's words after normalisation (what was looked up).
        public var words: [String]
        public var budget: Int
        /// Tokens the items use together (estimate: see docs/groups-claims.md).
        public var tokens: Int
        public var candidates: Int
        public var documents: Int
        public var items: [ContextItemView]

        public init(group: String, height: UInt64, query: String, words: [String], budget: Int, tokens: Int, candidates: Int,
                    documents: Int, items: [ContextItemView]) {
            self.group = group; self.height = height; self.query = query; self.words = words; self.budget = budget
            self.tokens = tokens; self.candidates = candidates; self.documents = documents; self.items = items
        }
    }

    public struct ContextItemView: Codable, Sendable, Equatable {
        public var claim: String
        public var author: String
        public var height: UInt64
        /// Score in millionths (BM25 × recency × thread); items are ordered by it, ties by claim ID.
        public var score: Int64
        public var tokens: Int
        public var text: String
        public var tags: [String]
        public var root: String
        public var time: UInt64

        public init(claim: String, author: String, height: UInt64, score: Int64, tokens: Int, text: String, tags: [String],
                    root: String, time: UInt64) {
            self.claim = claim; self.author = author; self.height = height; self.score = score; self.tokens = tokens
            self.text = text; self.tags = tags; self.root = root; self.time = time
        }
    }
}
