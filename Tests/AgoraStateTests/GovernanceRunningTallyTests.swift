import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// The running tally (GovernanceRunningTally.swift) against the recount it replaces
/// (`Governance.recount`, the reference): each path that changes a voter's weight — bond,
/// unbond, slash, key rotation, a change of the set (removal, re-entry, power only) — and then
/// seeded random block sequences of all of them, checking at every end of a voting period that
/// the stored tally equals a recount, and after every block that every open proposal's running
/// tally, the bonded total and every voter's recorded weight equal what a recount gives for the
/// next block. Also: chains without `gov/ts` keep recounting, and the records refuse bad bytes.
@Suite("Governance: running tally")
struct GovernanceRunningTallyTests {
    /// A governance chain driven at module level, one block at a time in the executor's order:
    /// the block's operations, governance's end of block, staking's. A class, so a block's
    /// operations can use the chain's helpers while it runs.
    final class Chain {
        var state: MemoryState
        var height: UInt64 = 0
        let proposer = SigningKey()
        /// Tallies checked at the end of their voting period.
        var endsChecked = 0

        init(validators: [SigningKey], bonds: [UInt64], others: [SigningKey] = [], votingPeriod: UInt64 = 20) throws {
            let allocations: [(SigningKey, UInt64)] = (validators + others).map { ($0, UInt64(1_000_000)) } + [(proposer, 1_000_000)]
            state = try StakingLedger(validators: validators.map { ($0, 1) }, bonds: bonds, admin: nil, minBond: 100,
                                      allocations: allocations,
                                      governance: .init(minDeposit: Amount(10)!, depositPeriod: 3, votingPeriod: votingPeriod,
                                                        quorumBps: 1_000, thresholdBps: 5_000, vetoBps: 3_340)).state
        }

        /// Runs one block; before governance's end of block, recounts every proposal ending now
        /// and afterwards expects its stored final tally to be exactly that.
        @discardableResult
        func block(_ body: (StateOverlay, BlockContext) throws -> Void = { _, _ in }) throws -> StateOverlay {
            height += 1
            let s = StateOverlay(base: state)
            let at = BlockContext(height: height, timestamp: height, proposer: proposer.address)
            try body(s, at)
            var expected: [UInt64: TallyResult] = [:]
            for id in try Governance.queue(s, GovernanceKeys.votingQueue(height)) where try Governance.proposal(s, id)?.status == .votingPeriod {
                expected[id] = try Governance.recount(s, id, height: height)
            }
            try Governance.endBlock(s, height: height)
            try Staking.endBlock(s, height: height)
            for (id, tally) in expected { #expect(try Governance.proposal(s, id)?.tally == tally, "proposal \(id) at \(height)") }
            endsChecked += expected.count
            state.apply(s.writeSet())
            try checkOpen()
            return s
        }

        /// After a block: what the running tally holds for the next block equals a recount.
        func checkOpen() throws {
            let s = StateOverlay(base: state)
            let stake = try BondedStake(s, height: height + 1)
            let ts = try #require(try Governance.tallyState(s))
            #expect(ts.bonded == stake.total, "bonded at \(height + 1)")
            for id in try UInt64(1)..<Governance.nextID(s) where try Governance.proposal(s, id)?.status == .votingPeriod {
                let running = try #require(try Governance.runningTally(s, id))
                #expect(running.result(bonded: ts.bonded) == (try Governance.recount(s, id, stake: stake)), "proposal \(id) after \(height)")
            }
            let prefix = Array("gov/w/".utf8)
            for (key, raw) in state.entries where key.bytes.starts(with: prefix) {
                let voter = try PublicKey(canonicalBytes: Array(key.bytes.dropFirst(prefix.count)))
                #expect(try VoterBallots(canonicalBytes: raw).weight == stake.weight(voter))
            }
        }

        func submit(_ s: StateOverlay, _ at: BlockContext, _ action: ProposalAction = .text) throws -> ExecutionFailure? {
            try Governance.submit(s, sender: proposer.address, content: ProposalContent(title: "p", action: action),
                                  deposit: Amount(10)!, context: at)
        }

        func vote(_ s: StateOverlay, _ at: BlockContext, _ key: SigningKey, _ id: UInt64, _ option: VoteOption) throws -> ExecutionFailure? {
            try Governance.vote(s, voter: key.publicKey, proposal: id, option: option, context: at)
        }

        func running(_ id: UInt64) throws -> RunningTally? { try Governance.runningTally(StateOverlay(base: state), id) }
        func tally(_ id: UInt64) throws -> TallyResult? { try Governance.proposal(id, state: state)?.tally }
    }

    let v = (0..<4).map { _ in SigningKey() }

    /// Two conflicting prevotes by `key` at `height` (punishment does not check the chain).
    static func doubleSign(_ key: SigningKey, height: UInt64) -> DuplicateVoteEvidence {
        func vote(_ b: UInt8) -> SignedVote {
            let v = Vote(chainID: "staking-test", height: height, round: 0, kind: .prevote, blockHash: Hash.sha256([b]))
            return SignedVote(vote: v, validator: key.publicKey, signature: key.sign(v.signingBytes))
        }
        return try! DuplicateVoteEvidence(vote(1), vote(2))
    }

    /// Proposal 1 open, voted yes by v0 (bond 1,000) and no by v1 (bond 2,000).
    func votedChain(others: [SigningKey] = []) throws -> Chain {
        let c = try Chain(validators: v, bonds: [1_000, 2_000, 3_000, 4_000], others: others)
        try c.block { s, at throws in
            #expect(try c.submit(s, at) == nil)
            #expect(try c.vote(s, at, v[0], 1, .yes) == nil)
            #expect(try c.vote(s, at, v[1], 1, .no) == nil)
        }
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 2_000))
        return c
    }

    @Test("a changed vote moves the voter's weight from its old option to its new one")
    func changedVote() throws {
        let c = try votedChain()
        try c.block { s, at throws in #expect(try c.vote(s, at, v[1], 1, .abstain) == nil) }
        #expect(try c.running(1) == RunningTally(yes: 1_000, abstain: 2_000))
    }

    @Test("bonding more raises a member's open votes and the bonded stake at once")
    func bondRaises() throws {
        let c = try votedChain()
        try c.block { s, _ throws in #expect(try Staking.bond(s, key: v[0].publicKey, amount: Amount(500)!) == nil) }
        #expect(try c.running(1) == RunningTally(yes: 1_500, no: 2_000))
        #expect(try Governance.tallyState(StateOverlay(base: c.state))?.bonded == 10_500)
    }

    @Test("unbonding lowers a member's open votes")
    func unbondLowers() throws {
        let c = try votedChain()
        let bank = try Bank.params(StateOverlay(base: c.state))
        try c.block { s, at throws in #expect(try Staking.unbond(s, key: v[1].publicKey, amount: Amount(1_500)!, height: at.height, bank: bank) == nil) }
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 500))
    }

    @Test("a slash burns part of the bond at once; the removal from the set zeroes the votes two heights later")
    func slash() throws {
        let c = try votedChain()
        let evidence = Self.doubleSign(v[1], height: 1)
        try c.block { s, _ throws in try Staking.punish(s, evidence) }
        // 5% of 2,000 burned; still in the set signing the next block.
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 1_900))
        try c.block()
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 0))
    }

    @Test("a key rotation moves the bond away at once (old key's votes weigh 0); the new key joins without votes")
    func rotation() throws {
        let fresh = SigningKey()
        let c = try votedChain()
        try c.block { s, _ throws in #expect(try Staking.rotate(s, from: v[0].publicKey, to: fresh.publicKey) == nil) }
        #expect(try c.running(1) == RunningTally(yes: 0, no: 2_000))
        try c.block()
        try c.block { s, at throws in #expect(try c.vote(s, at, fresh, 1, .yes) == nil) }
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 2_000))
    }

    @Test("a removed validator's votes weigh 0 from the height the set changes; re-added, they weigh its bond again")
    func removedAndReadded() throws {
        let c = try votedChain()
        try c.block { s, _ throws in #expect(try Staking.setPower(s, key: v[1].publicKey, power: 0) == nil) }
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 2_000))
        try c.block()
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 0))
        // Its bond changes while it is out: nothing moves.
        try c.block { s, _ throws in #expect(try Staking.bond(s, key: v[1].publicKey, amount: Amount(100)!) == nil) }
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 0))
        try c.block { s, _ throws in #expect(try Staking.setPower(s, key: v[1].publicKey, power: 1) == nil) }
        try c.block()
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 2_100))
    }

    @Test("a change of power alone changes no weight (the tally weighs bonds)")
    func powerOnly() throws {
        let c = try votedChain()
        try c.block { s, _ throws in #expect(try Staking.setPower(s, key: v[0].publicKey, power: 7) == nil) }
        try c.block()
        #expect(try c.running(1) == RunningTally(yes: 1_000, no: 2_000))
    }

    @Test("a validator change passed by governance reweighs the keys it removes and adds")
    func governanceValidatorChange() throws {
        let newcomer = SigningKey()
        let c = try votedChain(others: [newcomer])
        try c.block { s, at throws in
            #expect(try Staking.bond(s, key: newcomer.publicKey, amount: Amount(700)!) == nil)
            let change = [Validator(publicKey: v[1].publicKey, power: 0), Validator(publicKey: newcomer.publicKey, power: 1)]
            #expect(try c.submit(s, at, .validatorChange(change.sorted { $0.publicKey < $1.publicKey })) == nil)
            for key in v { #expect(try c.vote(s, at, key, 2, .yes) == nil) }
        }
        while try Governance.proposal(2, state: c.state)?.status == .votingPeriod { try c.block() }
        #expect(try Governance.proposal(2, state: c.state)?.status == .passed)
        try c.block()
        try c.block()
        #expect(try Staking.validators(forHeight: c.height + 1, state: c.state).contains(newcomer.publicKey))
        #expect(try Governance.tallyState(StateOverlay(base: c.state))?.bonded == 1_000 + 3_000 + 4_000 + 700)
    }

    @Test("the final tally is read from the running tally, which is then removed")
    func endRemovesRunning() throws {
        let c = try votedChain()
        while try Governance.proposal(1, state: c.state)?.status == .votingPeriod { try c.block() }
        #expect(try c.tally(1) == TallyResult(yes: 1_000, no: 2_000, bonded: 10_000))
        #expect(try c.running(1) == nil)
        #expect(c.endsChecked == 1)
        // A later reweigh of v0 drops its ended ballot.
        try c.block { s, _ throws in #expect(try Staking.bond(s, key: v[0].publicKey, amount: Amount(1)!) == nil) }
        #expect(c.state.entries[GovernanceKeys.ballots(v[0].publicKey)] == nil)
    }

    @Test("a chain whose state has no gov/ts (made before the running tally) recounts and writes no running-tally keys")
    func legacyRecounts() throws {
        let c = try Chain(validators: v, bonds: [1_000, 2_000, 3_000, 4_000], votingPeriod: 4)
        c.state.entries[GovernanceKeys.tallyState] = nil
        let s = StateOverlay(base: c.state)
        let at = BlockContext(height: 1, timestamp: 1, proposer: c.proposer.address)
        #expect(try c.submit(s, at) == nil)
        #expect(try c.vote(s, at, v[2], 1, .yes) == nil)
        #expect(try Staking.bond(s, key: v[2].publicKey, amount: Amount(5)!) == nil)
        for h in UInt64(1)...6 { try Governance.endBlock(s, height: h); try Staking.endBlock(s, height: h) }
        #expect(try Governance.proposal(s, 1)?.tally == TallyResult(yes: 3_005, bonded: 10_005))
        let written = s.writeSet().entries.map { String(decoding: $0.key.bytes, as: UTF8.self) }
        #expect(!written.contains { $0.hasPrefix("gov/t") || $0.hasPrefix("gov/w/") })
    }

    @Test("the running-tally records refuse bad bytes: another version, truncation, trailing bytes, unsorted ballots")
    func codecs() throws {
        let ts = TallyState(epoch: 3, bonded: 9).canonicalBytes
        #expect(try TallyState(canonicalBytes: ts) == TallyState(epoch: 3, bonded: 9))
        #expect(throws: CodecError.unsupportedVersion(type: "tallyState", version: 2, supported: 1)) {
            try TallyState(canonicalBytes: [2] + ts.dropFirst())
        }
        #expect(throws: CodecError.self) { try TallyState(canonicalBytes: Array(ts.dropLast())) }
        #expect(throws: CodecError.self) { try RunningTally(canonicalBytes: RunningTally(yes: 1).canonicalBytes + [0]) }
        #expect(throws: CodecError.self) { try RunningTally(canonicalBytes: [9] + RunningTally().canonicalBytes.dropFirst()) }
        let unsorted = VoterBallots(weight: 5, ballots: [Ballot(proposal: 2, votingEnd: 9, option: .yes),
                                                         Ballot(proposal: 1, votingEnd: 9, option: .no)])
        #expect(throws: CodecError.self) { try VoterBallots(canonicalBytes: unsorted.canonicalBytes) }
        let sorted = VoterBallots(weight: 5, ballots: unsorted.ballots.reversed())
        #expect(try VoterBallots(canonicalBytes: sorted.canonicalBytes) == sorted)
        // Through the module, bad bytes are a state fault, never a silent zero.
        let c = try Chain(validators: v, bonds: [1_000, 2_000, 3_000, 4_000])
        c.state.entries[GovernanceKeys.tallyState] = [1, 2, 3]
        #expect(throws: StateFault.self) { try c.block() }
    }
}

extension RunningTally {
    init(yes: UInt64 = 0, abstain: UInt64 = 0, no: UInt64 = 0, noWithVeto: UInt64 = 0) {
        self.init()
        self[.yes] = yes
        self[.abstain] = abstain
        self[.no] = no
        self[.noWithVeto] = noWithVeto
    }
}
