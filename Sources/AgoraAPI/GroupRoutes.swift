import AgoraCore
import AgoraServices
import AgoraState
import AgoraStorage
import Hummingbird

/// The groups and claims modules as a client reads them: groups with their policy and treasury,
/// their members, and their claims by time, author, tag and thread. Group and member reads come
/// from committed state; claim reads come from the SQLite claim index written with each block.
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

        public struct PolicyView: Codable, Sendable, Equatable {
            public var faucetAmount: UInt64
            public var claimReward: UInt64
            public var transferFeeBps: UInt16
            public var maxSupply: UInt64
            public var maxBalance: UInt64

            init(_ p: GroupPolicy) {
                faucetAmount = p.faucetAmount.units; claimReward = p.claimReward.units; transferFeeBps = p.transferFeeBps
                maxSupply = p.maxSupply.units; maxBalance = p.maxBalance.units
            }
        }

        init(_ id: Hash, _ g: GroupRecord) {
            self.id = id.hex; name = g.name; creator = g.creator.description; createdAt = g.createdAt; policy = PolicyView(g.policy)
            treasury = g.treasury.units; issued = g.issued.units; admins = g.admins; members = g.members; claims = g.claims
        }
    }

    public struct MemberView: Codable, Sendable, Equatable {
        public var address: String
        /// "admin", "member" or "observer".
        public var role: String
        /// Height of the last change of role.
        public var since: UInt64
    }

    public struct ClaimView: Codable, Sendable, Equatable {
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

        public struct ArtifactView: Codable, Sendable, Equatable {
            public var sha256: String
            public var size: UInt64
        }

        init(_ c: IndexedClaim) {
            id = c.id.hex; group = c.content.group.hex; author = c.author.description; text = c.content.text; tags = c.content.tags
            parent = c.content.parent?.hex; root = c.root.hex
            artifacts = c.content.artifacts.map { ArtifactView(sha256: $0.sha256.hex, size: $0.size) }
            height = c.height; index = c.index; time = c.time; transaction = c.transaction.hex
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(group, forKey: .group); try c.encode(author, forKey: .author)
            try c.encode(text, forKey: .text); try c.encode(tags, forKey: .tags)
            try c.encode(parent, forKey: .parent)  // explicit null for a thread's first claim, as documented
            try c.encode(root, forKey: .root); try c.encode(artifacts, forKey: .artifacts); try c.encode(height, forKey: .height)
            try c.encode(index, forKey: .index); try c.encode(time, forKey: .time); try c.encode(transaction, forKey: .transaction)
        }
    }
}

extension APIRoutes {
    static func pathID(_ context: AgoraRequestContext, _ what: String) throws -> Hash {
        let text = try context.parameters.require("id")
        guard let id = Hash(hex: text) else { throw APIError.badRequest("invalid_id", "\(what) ID \"\(text)\" is not 32 hex bytes") }
        return id
    }

    static func existingGroup(_ context: AgoraRequestContext, _ chain: Chain) throws -> (Hash, GroupRecord) {
        let id = try pathID(context, "group")
        guard let g = try Groups.group(id, state: chain.queries.state) else { throw APIError.notFound("group_not_found", "group \(id) does not exist") }
        return (id, g)
    }

    static func addGroupRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/groups") { request, _ in
            let page = try Page(request)
            var after: Hash?
            if let c = page.cursor {
                guard let h = Hash(hex: c) else { throw APIError.badRequest("invalid_cursor", "cursor \"\(c)\" is not one this endpoint returned") }
                after = h
            }
            let rows = try chain.queries.groups(after: after, limit: page.limit)
            return try json(API.ListView(items: rows.map { API.GroupView($0.0, $0.1) },
                                         nextCursor: rows.count == page.limit ? rows.last?.0.hex : nil))
        }

        router.get("/api/v1/groups/{id}") { _, context in
            let (id, g) = try existingGroup(context, chain)
            return try json(API.GroupView(id, g))
        }

        router.get("/api/v1/groups/{id}/members") { request, context in
            let (id, _) = try existingGroup(context, chain)
            let page = try Page(request)
            var after: Address?
            if let c = page.cursor {
                guard let a = Address(c) else { throw APIError.badRequest("invalid_cursor", "cursor \"\(c)\" is not one this endpoint returned") }
                after = a
            }
            // Former members keep a record (their faucet grant is spent): scanned, not shown.
            let rows = try chain.queries.members(of: id, after: after, limit: page.limit)
            let items = rows.compactMap { address, m in
                m.role.map { API.MemberView(address: address.description, role: $0.name, since: m.since) }
            }
            return try json(API.ListView(items: items, nextCursor: rows.count == page.limit ? rows.last?.0.description : nil))
        }

        addClaimRoutes(router, deps)
    }

    /// A group's claims (filtered by time, height, author or tag), one claim, and its thread.
    static func addClaimRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/groups/{id}/claims") { request, context in
            let (id, _) = try existingGroup(context, chain)
            let page = try Page(request)
            let q = request.uri.queryParameters
            var query = BlockStore.ClaimQuery(group: id, after: try page.int64Cursor(), limit: page.limit)
            if let s = q["since"], !s.isEmpty {
                guard let v = UInt64(String(s)), v <= UInt64(Int64.max) else {
                    throw APIError.badRequest("invalid_since", "since \"\(s)\" must be a block time in ms (0 to 2^63-1)")
                }
                query.since = v
            }
            if let s = q["afterHeight"], !s.isEmpty {
                guard let v = UInt64(String(s)), v < UInt64(1) << 40 else {
                    throw APIError.badRequest("invalid_height", "afterHeight \"\(s)\" must be a block height (0 to 2^40-1)")
                }
                query.afterHeight = v
            }
            if let a = q["author"], !a.isEmpty {
                guard let parsed = Address(String(a)) else { throw APIError.badRequest("invalid_address", "author \"\(a)\" is not an ag1 address") }
                query.author = parsed
            }
            if let t = q["tag"], !t.isEmpty {
                // The same normalisation a client applies before publishing: "#Rust" finds "rust".
                guard let tags = try? ClaimTags.normalize([String(t)]), let tag = tags.first else {
                    throw APIError.badRequest("invalid_tag", "tag \"\(t)\" must be 1-\(Limits.maxClaimTagBytes) of a-z 0-9 - _ . :")
                }
                query.tag = tag
            }
            let rows = try chain.queries.claims(query)
            return try json(API.ListView(items: rows.map(API.ClaimView.init),
                                         nextCursor: rows.count == page.limit ? rows.last.map { String($0.position) } : nil))
        }

        router.get("/api/v1/claims/{id}") { _, context in
            let id = try pathID(context, "claim")
            guard let c = try chain.queries.claim(id: id) else { throw APIError.notFound("claim_not_found", "claim \(id) does not exist") }
            return try json(API.ClaimView(c))
        }

        router.get("/api/v1/claims/{id}/thread") { request, context in
            let id = try pathID(context, "claim")
            let page = try Page(request)
            guard let c = try chain.queries.claim(id: id) else { throw APIError.notFound("claim_not_found", "claim \(id) does not exist") }
            let rows = try chain.queries.thread(root: c.root, after: try page.int64Cursor(), limit: page.limit)
            return try json(API.ListView(items: rows.map(API.ClaimView.init),
                                         nextCursor: rows.count == page.limit ? rows.last.map { String($0.position) } : nil))
        }
    }
}
