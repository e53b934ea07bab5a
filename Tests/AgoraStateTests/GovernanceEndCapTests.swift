import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// The cap on proposals ending at one height (`gov.maxEndingPerHeight`): a proposal whose
/// deposit or voting period would end at a full height takes the next height with room, so no
/// block tallies or expires more than the cap, whatever was submitted; IDs keep their order.
@Suite("Governance: at most the cap of proposals end at one height")
struct GovernanceEndCapTests {
    let v = (0..<4).map { _ in SigningKey() }
    let proposer = SigningKey()

    func ledger(cap: UInt64?, depositPeriod: UInt64 = 4, votingPeriod: UInt64 = 5) throws -> StakingLedger {
        var l = try StakingLedger(validators: v.map { ($0, 1) }, bonds: [1_000, 1_000, 1_000, 1_000], admin: nil, minBond: 1_000,
                                  allocations: [(proposer, 10_000_000)] + v.map { ($0, 100_000) },
                                  governance: .init(minDeposit: Amount(10)!, depositPeriod: depositPeriod, votingPeriod: votingPeriod,
                                                    maxEndingPerHeight: cap ?? 1))
        if cap == nil {
            // A chain whose parameters were stored before the cap existed: no cap.
            var p = try #require(try Governance.params(state: l.state))
            p.maxEndingPerHeight = nil
            l.state.entries[GovernanceKeys.params] = p.canonicalBytes
        }
        return l
    }

    func submit(_ s: StateOverlay, height: UInt64, deposit: UInt64) throws {
        let at = BlockContext(height: height, timestamp: height, proposer: proposer.address)
        let f = try Governance.submit(s, sender: proposer.address, content: ProposalContent(title: "p", action: .text),
                                      deposit: Amount(deposit)!, context: at)
        #expect(f == nil)
    }

    func signed(_ key: SigningKey, _ nonce: UInt64, _ chainID: String, _ payload: Payload) -> Transaction {
        key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: 1_000_000,
                                 payload: payload))
    }

    @Test("five proposals reaching their voting period at one height end two per height, in ID order, each tallied at its own end")
    func votingEndsShift() throws {
        var l = try ledger(cap: 2)
        let submissions = (0..<5).map { i in
            signed(proposer, UInt64(i), l.chainID, .submitProposal(content: ProposalContent(title: "p\(i)", action: .text), deposit: Amount(10)!))
        }
        let submitted = try l.block(submissions)  // height 1: natural end 6 for all five
        #expect(submitted.receipts.count == 5 && submitted.receipts.allSatisfy(\.succeeded))
        let ends = try (UInt64(1)...5).map { try #require(try Governance.proposal($0, state: l.state)).votingEnd }
        #expect(ends == [6, 6, 7, 7, 8])
        let votes = v.flatMap { key in (0..<5).map { signed(key, UInt64($0), l.chainID, .voteProposal(proposal: UInt64($0) + 1, option: .yes)) } }
        let voted = try l.block(votes)  // height 2
        #expect(voted.receipts.count == 20 && voted.receipts.allSatisfy(\.succeeded))
        while l.height < 5 { try l.block() }
        var passed: [UInt64: [UInt64]] = [:]
        for h in UInt64(6)...8 {
            let before = try (UInt64(1)...5).filter { try Governance.proposal($0, state: l.state)?.status == .passed }
            try l.block()
            passed[h] = try (UInt64(1)...5).filter { try Governance.proposal($0, state: l.state)?.status == .passed && !before.contains($0) }
        }
        #expect(passed == [6: [1, 2], 7: [3, 4], 8: [5]])
    }

    @Test("deposit periods are capped too: the third short proposal of a height expires a height later")
    func depositEndsShift() throws {
        let l = try ledger(cap: 2)
        let s = StateOverlay(base: l.state)
        for _ in 0..<3 { try submit(s, height: 1, deposit: 3) }
        let ends = try (UInt64(1)...3).map { try #require(try Governance.proposal(s, $0)).depositEnd }
        #expect(ends == [5, 5, 6])
        #expect(try Governance.endBlock(s, height: 5).finished.map(\.id) == [1, 2])
        #expect(try Governance.endBlock(s, height: 6).finished.map(\.id) == [3])
        #expect(try Governance.proposal(s, 3)?.status == .expired)
    }

    @Test("a proposal topped up to the minimum joins its voting queue in ID order, so the block tallies in ID order")
    func toppedUpProposalKeepsIDOrder() throws {
        let l = try ledger(cap: 5)
        let s = StateOverlay(base: l.state)
        try submit(s, height: 1, deposit: 4)  // 1: short
        try submit(s, height: 2, deposit: 10)  // 2: voting through 7
        let at = BlockContext(height: 2, timestamp: 2, proposer: proposer.address)
        #expect(try Governance.deposit(s, sender: proposer.address, proposal: 1, amount: Amount(6)!, context: at) == nil)  // 1: through 7
        #expect(try Governance.queue(s, GovernanceKeys.votingQueue(7)) == [1, 2])
        #expect(try Governance.endBlock(s, height: 7).finished.map(\.id) == [1, 2])
    }

    @Test("a chain whose parameters predate the cap has none: its blocks replay as they ran")
    func legacyParamsHaveNoCap() throws {
        let l = try ledger(cap: nil)
        let s = StateOverlay(base: l.state)
        let params = try #require(try Governance.params(s))
        #expect(params.maxEndingPerHeight == nil)
        // The stored bytes are the six fields alone, and decode back to themselves.
        #expect(try GovParams(canonicalBytes: params.canonicalBytes) == params)
        var capped = params
        capped.maxEndingPerHeight = 3
        #expect(capped.canonicalBytes.count == params.canonicalBytes.count + 8)
        for _ in 0..<5 { try submit(s, height: 1, deposit: 10) }
        #expect(try (UInt64(1)...5).map { try Governance.proposal(s, $0)?.votingEnd } == Array(repeating: 6, count: 5))
    }

    @Test("the cap is a governance parameter with bounds 1…1,000, and genesis applies the default")
    func capIsAParameter() throws {
        var chain = try ChainParams.load(StateOverlay(base: try ledger(cap: 7).state))
        #expect(chain.value(.govMaxEndingPerHeight) == 7)
        #expect(chain.set(ParamChange(key: .govMaxEndingPerHeight, value: 0)) == .paramOutOfRange(key: .govMaxEndingPerHeight, value: 0, min: 1, max: 1_000))
        #expect(chain.set(ParamChange(key: .govMaxEndingPerHeight, value: 1_001)) == .paramOutOfRange(key: .govMaxEndingPerHeight, value: 1_001, min: 1, max: 1_000))
        #expect(chain.set(ParamChange(key: .govMaxEndingPerHeight, value: 50)) == nil)
        #expect(chain.gov.maxEndingPerHeight == 50)
        let plain = try StakingLedger(validators: v.map { ($0, 1) }, bonds: [1_000, 1_000, 1_000, 1_000], admin: nil,
                                      governance: .init())
        #expect(try Governance.params(state: plain.state)?.maxEndingPerHeight == GovParams.defaultMaxEndingPerHeight)
        #expect(throws: GenesisError.self) {
            _ = try StakingLedger(validators: v.map { ($0, 1) }, bonds: [1_000, 1_000, 1_000, 1_000], admin: nil,
                              governance: .init(maxEndingPerHeight: 0))
        }
    }

    /// Seeded runs of random submissions (full or short deposits), top-up deposits and end of
    /// blocks: after every height, every queue holds at most the cap, sorted by ID (so a block
    /// tallies in ID order); every open proposal sits in the queue of the height its record
    /// names; no period ends before its natural end; of two proposals with the same natural
    /// voting end, the one that entered its voting period later never ends earlier (first come,
    /// first served: proposals submitted with their full deposit keep their ID order); no end of
    /// block finishes more than the cap per queue.
    @Test("property: never more than the cap end at one height, in ID order", arguments: [1, 2, 3, 7, 42, 1_234])
    func neverMoreThanTheCap(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        let cap = UInt64.random(in: 1...4, using: &rng)
        let l = try ledger(cap: cap, depositPeriod: UInt64.random(in: 1...6, using: &rng), votingPeriod: UInt64.random(in: 1...6, using: &rng))
        let s = StateOverlay(base: l.state)
        var natural: [UInt64: (deposit: UInt64, voting: UInt64?, entered: Int)] = [:]
        var entries = 0
        let params = try #require(try Governance.params(s))
        for height in UInt64(1)...40 {
            let at = BlockContext(height: height, timestamp: height, proposer: proposer.address)
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                let id = try Governance.nextID(s)
                try submit(s, height: height, deposit: Bool.random(using: &rng) ? 10 : 4)
                natural[id] = (height + params.depositPeriod, nil, entries)
                entries += 1
                if try Governance.proposal(s, id)?.status == .votingPeriod { natural[id]?.voting = height + params.votingPeriod }
            }
            let open = try (UInt64(1)..<Governance.nextID(s)).filter { try Governance.proposal(s, $0)?.status == .depositPeriod }
            if let id = open.randomElement(using: &rng) {
                #expect(try Governance.deposit(s, sender: proposer.address, proposal: id, amount: Amount(6)!, context: at) == nil)
                natural[id]?.voting = height + params.votingPeriod
                natural[id]?.entered = entries
                entries += 1
            }
            try checkQueues(s, cap: cap, from: height + 1, natural: natural)
            let summary = try Governance.endBlock(s, height: height)
            let expired = summary.finished.filter { $0.status == .expired }.count
            #expect(UInt64(expired) <= cap && UInt64(summary.finished.count - expired) <= cap)
        }
    }

    func checkQueues(_ s: StateOverlay, cap: UInt64, from: UInt64, natural: [UInt64: (deposit: UInt64, voting: UInt64?, entered: Int)]) throws {
        for h in from...(from + 200) {
            for key in [GovernanceKeys.depositQueue(h), GovernanceKeys.votingQueue(h)] {
                let ids = try Governance.queue(s, key)
                #expect(UInt64(ids.count) <= cap)
                #expect(ids == ids.sorted())
            }
        }
        var byNaturalVotingEnd: [UInt64: [(entered: Int, end: UInt64)]] = [:]
        for (id, n) in natural {
            let p = try #require(try Governance.proposal(s, id))
            switch p.status {
            case .depositPeriod:
                #expect(p.depositEnd >= n.deposit)
                #expect(try Governance.queue(s, GovernanceKeys.depositQueue(p.depositEnd)).contains(id))
            case .votingPeriod:
                let end = try #require(p.votingEnd)
                let start = try #require(n.voting)
                #expect(end >= start)
                #expect(try Governance.queue(s, GovernanceKeys.votingQueue(end)).contains(id))
                byNaturalVotingEnd[start, default: []].append((n.entered, end))
            default: break
            }
        }
        for (_, list) in byNaturalVotingEnd {
            let byEntry = list.sorted { $0.entered < $1.entered }.map(\.end)
            #expect(byEntry == byEntry.sorted())
        }
    }
}
