import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import Hummingbird

/// The governance module as a client reads it (docs/governance.md): proposals newest first (the
/// cursor is the last ID of a page), one proposal with its votes, and the parameters with the
/// keys a proposal may change, the planned upgrades and the upgrades this node's binary knows.
/// Everything is read from the committed state; proposals are numbered, so a page is a range of
/// IDs read directly, with no index.
extension APIRoutes {
    static let governanceRouteTable: [(method: String, path: String)] = [
        ("GET", "/api/v1/gov/proposals"), ("GET", "/api/v1/gov/proposals/{id}"), ("GET", "/api/v1/gov/params"),
    ]

    static func addGovernanceRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain

        router.get("/api/v1/gov/proposals") { request, _ in
            let page = try Page(request)
            let state = chain.queries.state
            let count = try Governance.count(state: state)
            let below = try page.uint64Cursor() ?? (count + 1)
            var items: [API.ProposalView] = []
            var id = min(below, count + 1)
            while id > 1, items.count < page.limit {
                id -= 1
                if let r = try Governance.proposal(id, state: state) {
                    items.append(proposalView(id, r, votes: nil, current: try currentTally(id, r, state: state, chain: chain)))
                }
            }
            return try json(API.ListView(items: items, nextCursor: id > 1 && items.count == page.limit ? String(id) : nil))
        }

        router.get("/api/v1/gov/proposals/{id}") { _, context in
            let text = try context.parameters.require("id")
            guard let id = UInt64(text), id >= 1, id <= UInt64(Int64.max) else {
                throw APIError.badRequest("invalid_id", "proposal ID \"\(text)\" is not a positive integer")
            }
            let state = chain.queries.state
            guard let r = try Governance.proposal(id, state: state) else {
                throw APIError.notFound("proposal_not_found", "proposal \(id) does not exist")
            }
            return try json(proposalView(id, r, votes: try Governance.votes(id, state: state),
                                         current: try currentTally(id, r, state: state, chain: chain)))
        }

        router.get("/api/v1/gov/params") { _, _ in
            let state = chain.queries.state
            let p = try Governance.params(state: state)
            let consensus = try ConsensusParams.load(state: state)
            return try json(API.GovParamsView(
                height: chain.snapshot.head.height, enabled: p != nil, minDeposit: p?.minDeposit.units, depositPeriod: p?.depositPeriod,
                votingPeriod: p?.votingPeriod, quorumBps: p?.quorumBps, thresholdBps: p?.thresholdBps, vetoBps: p?.vetoBps,
                maxEndingPerHeight: p?.maxEndingPerHeight,
                consensus: ConsensusParams.keys.compactMap { k in consensus[k].map { (k, $0) } },
                plans: try Upgrades.plans(state: state), known: chain.knownUpgrades))
        }
    }

    /// An open proposal's tally so far, as if its period ended at the next height.
    static func currentTally(_ id: UInt64, _ r: ProposalRecord, state: any StateReader, chain: Chain) throws -> TallyResult? {
        guard r.status == .votingPeriod else { return nil }
        return try Governance.currentTally(id, state: state, height: chain.snapshot.head.height + 1)
    }

    static func tallyView(_ t: TallyResult) -> API.TallyView {
        API.TallyView(yes: t.yes, abstain: t.abstain, no: t.no, noWithVeto: t.noWithVeto, bonded: t.bonded)
    }

    static func proposalView(_ id: UInt64, _ r: ProposalRecord, votes: [ProposalVote]?, current: TallyResult? = nil) -> API.ProposalView {
        API.ProposalView(
            id: id, proposer: r.proposer, content: r.content, status: r.status.name, submittedAt: r.submittedAt, depositEnd: r.depositEnd,
            votingStart: r.votingStart, votingEnd: r.votingEnd, totalDeposit: r.totalDeposit, deposits: r.deposits.map { ($0.depositor, $0.amount) },
            tally: r.tally.map(tallyView),
            executionFailure: r.executionFailure.map { ($0.code, $0.description) }, votes: votes?.map { ($0.voter, $0.option) },
            currentTally: current.map(tallyView))
    }
}
