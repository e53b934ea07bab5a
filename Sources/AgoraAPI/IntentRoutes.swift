import AgoraCore
import AgoraServices
import AgoraState
import AgoraStorage
import Hummingbird

/// The intents module as a client reads it: intents by group, author and status; settlements by
/// party, mediator and status, each with its state record (who accepted, what is escrowed, when
/// it finalises, who challenged); a mediator's stake, fee rate and public record. Lists come from
/// the SQLite intent index written with each block (status included, from the block's write
/// set); single settlements and mediators from committed state. Writes go through
/// `POST /api/v1/transactions` like every other payload.
extension API {
    public struct IntentView: Codable, Sendable, Equatable {
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

        public struct RangeView: Codable, Sendable, Equatable {
            public var min: UInt64
            public var max: UInt64
        }

        init(_ i: IndexedIntent) {
            id = i.id.hex; group = i.content.group.hex; author = i.author.description; kind = i.content.kind.name; text = i.content.text
            terms = i.content.terms.text; asset = i.content.terms.asset.isEmpty ? nil : i.content.terms.asset
            amount = i.content.terms.amount.map { RangeView(min: $0.min, max: $0.max) }
            price = i.content.terms.price.map { RangeView(min: $0.min, max: $0.max) }
            deadline = i.content.terms.deadline; bond = i.content.bond.units; status = i.status.name; settlement = i.settlement?.hex
            height = i.height; transaction = i.transaction.hex
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

        public struct PartyView: Codable, Sendable, Equatable {
            public var address: String
            public var intent: String
            public var accepted: Bool
            public var escrow: UInt64
        }

        public struct PaymentView: Codable, Sendable, Equatable {
            public var from: String
            public var to: String
            public var amount: UInt64
        }

        init(_ s: IndexedSettlement, _ r: SettlementRecord?) {
            id = s.id.hex; group = r?.group.hex; mediator = s.mediator.description; intents = s.proposal.intents.map(\.hex)
            parties = r.map { r in
                r.parties.indices.map { PartyView(address: r.parties[$0].description, intent: r.intents[$0].hex, accepted: r.accepted[$0],
                                                  escrow: r.escrow[$0].units) }
            } ?? []
            termsText = s.proposal.termsText; terms = s.proposal.terms.text
            payments = s.proposal.payments.map { PaymentView(from: $0.from.description, to: $0.to.description, amount: $0.amount.units) }
            mediatorFee = s.proposal.mediatorFee.units; acceptBy = s.proposal.acceptBy; challengeWindow = s.proposal.challengeWindow
            status = (r?.status ?? s.status).name
            finalizeAt = r.flatMap { $0.finalizeAt == 0 ? nil : $0.finalizeAt }
            challenger = r?.challenger?.description
            challengeBond = r.flatMap { $0.challengeBond == .zero ? nil : $0.challengeBond.units }
            score = s.proposal.score; height = s.height; transaction = s.transaction.hex
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
    }
}

extension APIRoutes {
    static let intentRouteTable: [(method: String, path: String)] = [
        ("GET", "/api/v1/intents"), ("GET", "/api/v1/intents/{id}"), ("GET", "/api/v1/settlements"), ("GET", "/api/v1/settlements/{id}"),
        ("GET", "/api/v1/mediators/{address}"),
    ]

    /// An optional address query parameter: absent or empty is nil, anything else must parse.
    static func address(_ q: [String: Substring], _ name: String) throws -> Address? {
        guard let a = q[name], !a.isEmpty else { return nil }
        guard let parsed = Address(String(a)) else { throw APIError.badRequest("invalid_address", "\(name) \"\(a)\" is not an ag1 address") }
        return parsed
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

        router.get("/api/v1/intents/{id}") { _, context in
            let id = try pathID(context, "intent")
            guard let i = try chain.queries.intent(id: id) else { throw APIError.notFound("intent_not_found", "intent \(id) does not exist") }
            return try json(API.IntentView(i))
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
            guard let a = Address(raw) else { throw APIError.badRequest("invalid_address", "\"\(raw)\" is not an ag1 address") }
            guard let m = try Intents.mediator(a, state: chain.queries.state) else {
                throw APIError.notFound("mediator_not_found", "\(a) is not a registered mediator")
            }
            return try json(API.MediatorView(address: a.description, stake: m.stake.units, feeBps: m.feeBps, registeredAt: m.registeredAt,
                                             proposals: m.proposals, acceptances: m.acceptances, finalised: m.finalised,
                                             challenged: m.challenged, upheld: m.upheld))
        }
    }
}
