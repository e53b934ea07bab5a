import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import AgoraStorage
import Hummingbird

/// The intents module as a client reads it: intents by group, author and status; settlements by
/// party, mediator and status, each with its state record (who accepted, what is escrowed, when
/// it finalises, who challenged); a mediator's stake, fee rate and public record. Lists come from
/// the SQLite intent index written with each block (status included, from the block's write
/// set); single settlements and mediators from committed state. Writes go through
/// `POST /api/v1/transactions` like every other payload.
extension APIRoutes {
    static let intentRouteTable: [(method: String, path: String)] = [
        ("GET", "/api/v1/intents"), ("GET", "/api/v1/intents/{id}"), ("GET", "/api/v1/settlements"), ("GET", "/api/v1/settlements/{id}"),
        ("GET", "/api/v1/mediators/{address}"),
    ]

    /// An optional address query parameter: absent or empty is nil, anything else must parse.
    static func address(_ q: [String: Substring], _ name: String) throws -> Address? {
        guard let a = q[name], !a.isEmpty else { return nil }
        return try APIError.address(a, field: name)
    }

    static func addIntentRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/intents") { request, _ in
            let page = try Page(request)
            let q = request.uri.queryParameters
            var query = BlockStore.IntentQuery(after: try page.int64Cursor(), limit: page.limit)
            var params: [String: Substring] = [:]
            for (k, v) in q { params[String(k)] = v }
            if let g = params["group"], !g.isEmpty {
                guard let h = Hash(hex: String(g)) else { throw APIError.badRequest("invalid_id", "group \"\(g)\" is not a 64-hex ID") }
                query.group = h
            }
            query.author = try address(params, "author")
            if let s = params["status"], !s.isEmpty {
                guard let st = IntentStatus.allCases.first(where: { $0.name == String(s) }) else {
                    throw APIError.badRequest("invalid_status", "status \"\(s)\": use open, matched, settled or withdrawn")
                }
                query.status = st
            }
            let rows = try chain.queries.intents(query)
            return try json(API.ListView(items: rows.map(API.IntentView.init),
                                         nextCursor: rows.count == page.limit ? rows.last.map { String($0.position) } : nil))
        }

        router.get("/api/v1/intents/{id}") { request, context in
            let id = try pathID(context, "intent")
            let prove = try wantsProof(request)
            guard let i = try chain.queries.intent(id: id) else { throw APIError.notFound("intent_not_found", "intent \(id) does not exist") }
            var view = API.IntentView(i)
            if prove { view.proof = try stateProof(deps, IntentKeys.intent(id)) }
            return try json(view)
        }

        addSettlementRoutes(router, deps)
    }

    /// Settlements (by party, mediator or status), one settlement, and a mediator's record.
    static func addSettlementRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/settlements") { request, _ in
            let page = try Page(request)
            var params: [String: Substring] = [:]
            for (k, v) in request.uri.queryParameters { params[String(k)] = v }
            var query = BlockStore.SettlementQuery(after: try page.int64Cursor(), limit: page.limit)
            query.party = try address(params, "party")
            query.mediator = try address(params, "mediator")
            if let s = params["status"], !s.isEmpty {
                guard let st = SettlementStatus.allCases.first(where: { $0.name == String(s) }) else {
                    throw APIError.badRequest("invalid_status", "status \"\(s)\": use proposed, accepted, challenged, finalised, refunded or expired")
                }
                query.status = st
            }
            let rows = try chain.queries.settlements(query)
            let items = try rows.map { API.SettlementView($0, try Intents.settlement($0.id, state: chain.queries.state)) }
            return try json(API.ListView(items: items, nextCursor: rows.count == page.limit ? rows.last.map { String($0.position) } : nil))
        }

        router.get("/api/v1/settlements/{id}") { _, context in
            let id = try pathID(context, "settlement")
            guard let s = try chain.queries.settlement(id: id) else {
                throw APIError.notFound("settlement_not_found", "settlement \(id) does not exist")
            }
            return try json(API.SettlementView(s, try Intents.settlement(id, state: chain.queries.state)))
        }

        router.get("/api/v1/mediators/{address}") { _, context in
            let raw = context.parameters.get("address") ?? ""
            let a = try APIError.address(raw, field: "address")
            guard let m = try Intents.mediator(a, state: chain.queries.state) else {
                throw APIError.notFound("mediator_not_found", "\(a) is not a registered mediator")
            }
            return try json(API.MediatorView(address: a.description, stake: m.stake.units, feeBps: m.feeBps, registeredAt: m.registeredAt,
                                             proposals: m.proposals, acceptances: m.acceptances, finalised: m.finalised,
                                             challenged: m.challenged, upheld: m.upheld))
        }
    }
}
