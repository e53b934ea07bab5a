import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import AgoraStorage
import Hummingbird

/// The groups and claims modules as a client reads them: groups with their policy and treasury,
/// their members, and their claims by time, author, tag and thread. Group and member reads come
/// from committed state; claim reads come from the SQLite claim index written with each block.
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
                query.author = try APIError.address(a, field: "author")
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

        router.get("/api/v1/claims/{id}") { request, context in
            let id = try pathID(context, "claim")
            let prove = try wantsProof(request)
            guard let c = try chain.queries.claim(id: id) else { throw APIError.notFound("claim_not_found", "claim \(id) does not exist") }
            var view = API.ClaimView(c)
            if prove { view.proof = try stateProof(deps, GroupKeys.claim(id)) }
            return try json(view)
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
