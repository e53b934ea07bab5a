import AgoraCore

/// The Tendermint consensus state machine for one node: a pure, deterministic value that maps
/// each `ConsensusEvent` to the `ConsensusAction`s the driver must perform. It implements the
/// algorithm of "The latest gossip on BFT consensus" (Buchman, Kwon, Milosevic) — propose,
/// prevote, precommit; locking on a polka; valid value/round; timeouts growing per round; round
/// skipping on +1/3 of the power in a higher round; commit on +2/3 precommits in any round — with
/// the rule numbers of the paper's Algorithm 1 quoted in comments.
///
/// The driver verifies signatures and block validity, signs the engine's intents through the
/// `SigningGuard`, and delivers the node's own signed proposal and votes back to the engine like
/// any peer's. Messages for other heights are ignored (the driver buffers height + 1), as are
/// rounds more than `maxRoundsAhead` past the current one; votes of every round of the current
/// height are kept, since a polka in an earlier round can still justify a proposal.
public struct ConsensusEngine: Sendable {
    public let chainID: String
    public var timeouts: ConsensusTimeouts
    /// Messages for rounds beyond `round + maxRoundsAhead` are dropped (bounds memory).
    public let maxRoundsAhead: UInt32
    /// The quorum rule; only tests change it, to prove the simulator's safety checker works.
    package var quorum: QuorumRule = .twoThirds

    public private(set) var height: UInt64 = 0
    public private(set) var round: UInt32 = 0
    public private(set) var step: ConsensusStep = .propose
    public private(set) var validators: ValidatorSet?
    public private(set) var ownKey: PublicKey?
    public private(set) var lockedRound: Int32 = -1
    public private(set) var lockedBlock: Block?
    public private(set) var validRound: Int32 = -1
    public private(set) var validBlock: Block?
    /// Set once the height is decided; the engine then waits for the next `.startHeight`.
    public private(set) var decision: Commit?

    private var powers: [PublicKey: UInt64] = [:]
    private var totalPower: UInt64 = 0
    private var schedule: ProposerSchedule?
    /// Blocks seen in proposals (or a decision) at this height, with the driver's verdict.
    private var blocks: [Hash: KnownBlock] = [:]
    /// The first proposal from the rightful proposer of each round.
    private var proposals: [UInt32: ProposalRecord] = [:]
    private(set) var prevotes: [UInt32: VoteTally] = [:]
    private(set) var precommits: [UInt32: VoteTally] = [:]
    private var prevoteWaitScheduled: Set<UInt32> = []
    private var precommitWaitScheduled: Set<UInt32> = []
    /// Rounds in which rule 36 (polka for the proposal) has fired.
    private var polkaHandled: Set<UInt32> = []
    private var buildRequested: UInt32?
    private var reportedOffences: Set<Offence> = []

    struct KnownBlock: Sendable {
        let block: Block
        var isValid: Bool
    }

    struct ProposalRecord: Sendable {
        let blockHash: Hash
        let polRound: Int32
    }

    struct Offence: Hashable, Sendable {
        let validator: PublicKey
        let round: UInt32
        let kind: Vote.Kind
    }

    public init(chainID: String, timeouts: ConsensusTimeouts = .standard, maxRoundsAhead: UInt32 = 16) {
        self.chainID = chainID
        self.timeouts = timeouts
        self.maxRoundsAhead = maxRoundsAhead
    }

    /// Whether this node may vote at the current height.
    public var isValidator: Bool { ownKey.map { powers[$0] != nil } ?? false }

    /// The prevotes that justify `validBlock` (the polka of `validRound`), for the driver to
    /// relay: a peer that missed them cannot accept the block when it is proposed again.
    public var polkaVotes: [SignedVote] {
        guard validRound >= 0, let hash = validBlock?.hash else { return [] }
        return prevotes[UInt32(validRound)]?.votes(for: hash) ?? []
    }

    /// Every counted prevote and precommit of `round` at this height (by kind, validator, block),
    /// for the driver to send to a peer that is still in an earlier round: what it needs to
    /// catch up, Byzantine validators' votes included.
    public func votes(round: UInt32) -> [SignedVote] {
        [prevotes[round], precommits[round]].compactMap { $0 }.flatMap { tally in
            tally.voters.keys.sorted().flatMap { tally.votes(for: $0) }
        }
    }

    /// What to send a peer that reports (by status) this height and an earlier round
    /// `peerRound`: every counted vote of its round, of the round before ours and of ours. This
    /// node reached `round` either through `timeoutPrecommit` of `round - 1` (it holds +2/3
    /// precommits there) or by skipping (it holds +1/3 of `round`), so with these votes the peer
    /// can follow — skip to `round - 1` and time out, or skip to `round` — whatever it missed.
    /// Votes of the current round alone are not enough: a node that skipped into round r late
    /// (restarted, partitioned) may see +2/3 precommits there and move on without voting in r;
    /// if some of those precommits were Byzantine ones only it received, the honest nodes still
    /// in r see less than +2/3 of anything (no timer starts), it sees less than +1/3 in r + 1,
    /// and with F Byzantine validators withholding nobody moves (seeds 5766, 9554, 9579).
    public func catchUpVotes(peerRound: UInt32) -> [SignedVote] {
        guard peerRound < round else { return [] }
        var rounds: [UInt32] = [peerRound]
        if round - 1 > peerRound { rounds.append(round - 1) }
        rounds.append(round)
        return rounds.flatMap { votes(round: $0) }
    }

    /// The proposer of `round` at the current height (nil before `.startHeight`).
    public mutating func proposer(round: UInt32) -> PublicKey? {
        schedule?.proposer(height: height, round: round)
    }

    public mutating func step(_ event: ConsensusEvent) -> [ConsensusAction] {
        var actions: [ConsensusAction] = []
        switch event {
        case let .startHeight(height, validators, ownKey):
            start(height: height, validators: validators, ownKey: ownKey, &actions)
        case let .proposalReceived(signed, isValid):
            receive(signed, isValid: isValid)
        case let .voteReceived(vote):
            receive(vote, &actions)
        case let .timeoutFired(height, round, step):
            timeout(height: height, round: round, step: step, &actions)
        case let .proposalBuilt(height, round, block):
            guard height == self.height, round == self.round, step == .propose, buildRequested == round,
                  decision == nil, block.header.height == height else { return [] }
            buildRequested = nil
            actions.append(.broadcastProposal(Proposal(chainID: chainID, height: height, round: round,
                                                       polRound: Proposal.noPOLRound, block: block)))
        case let .decisionReceived(block, commit):
            receive(block: block, commit: commit)
        case let .restoreLock(lockHeight, lockRound, block, polka):
            guard validators != nil, lockHeight == height, block.header.height == height,
                  Int32(lockRound) > lockedRound else { return [] }
            // The driver verified these signatures when they first arrived and stored them.
            for vote in polka where vote.vote.height == height && vote.vote.round == lockRound
                && vote.vote.kind == .prevote && vote.vote.blockHash == block.hash {
                actions += step(.voteReceived(vote))
            }
            lockedBlock = block
            lockedRound = Int32(lockRound)
            if Int32(lockRound) > validRound {
                validBlock = block
                validRound = Int32(lockRound)
            }
            // It was valid when this validator locked on it; the driver judged it then.
            blocks[block.hash] = blocks[block.hash] ?? KnownBlock(block: block, isValid: true)
        }
        if validators != nil, decision == nil { process(&actions) }
        return actions
    }

    // MARK: - Events

    private mutating func start(height: UInt64, validators: ValidatorSet, ownKey: PublicKey?, _ actions: inout [ConsensusAction]) {
        self.height = height
        self.ownKey = ownKey
        if self.validators != validators || schedule == nil { schedule = ProposerSchedule(validators: validators) }
        self.validators = validators
        powers = Dictionary(uniqueKeysWithValues: validators.validators.map { ($0.publicKey, $0.power) })
        totalPower = validators.totalPower
        lockedRound = -1; lockedBlock = nil
        validRound = -1; validBlock = nil
        decision = nil
        blocks = [:]; proposals = [:]; prevotes = [:]; precommits = [:]
        prevoteWaitScheduled = []; precommitWaitScheduled = []; polkaHandled = []
        buildRequested = nil
        reportedOffences = []
        startRound(0, &actions)
    }

    private func accepts(height: UInt64, round: UInt32) -> Bool {
        validators != nil && decision == nil && height == self.height
            && UInt64(round) <= UInt64(self.round) + UInt64(maxRoundsAhead)
    }

    private mutating func receive(_ signed: SignedProposal, isValid: Bool) {
        let p = signed.proposal
        guard p.chainID == chainID, accepts(height: p.height, round: p.round), proposals[p.round] == nil,
              signed.proposer == schedule?.proposer(height: height, round: p.round),
              p.polRound == Proposal.noPOLRound || (p.polRound >= 0 && UInt32(p.polRound) < p.round) else { return }
        let hash = p.block.hash
        proposals[p.round] = ProposalRecord(blockHash: hash, polRound: p.polRound)
        if blocks[hash] == nil { blocks[hash] = KnownBlock(block: p.block, isValid: isValid) }
    }

    private mutating func receive(_ signed: SignedVote, _ actions: inout [ConsensusAction]) {
        let v = signed.vote
        guard v.chainID == chainID, accepts(height: v.height, round: v.round),
              let power = powers[signed.validator] else { return }
        var tally = (v.kind == .prevote ? prevotes[v.round] : precommits[v.round]) ?? VoteTally()
        let outcome = tally.add(signed, power: power, countIfConflicting: blocks[v.blockHash] != nil)
        if v.kind == .prevote { prevotes[v.round] = tally } else { precommits[v.round] = tally }
        if case let .conflicts(existing) = outcome,
           reportedOffences.insert(Offence(validator: signed.validator, round: v.round, kind: v.kind)).inserted,
           let evidence = try? DuplicateVoteEvidence(existing, signed) {
            actions.append(.evidence(evidence))
        }
    }

    private mutating func timeout(height: UInt64, round: UInt32, step: ConsensusStep, _ actions: inout [ConsensusAction]) {
        guard validators != nil, decision == nil, height == self.height, round == self.round else { return }
        switch step {
        case .propose where self.step == .propose:          // rule 57
            vote(.prevote, .zero, &actions)
            self.step = .prevote
        case .prevote where self.step == .prevote:          // rule 61
            vote(.precommit, .zero, &actions)
            self.step = .precommit
        case .precommit where round < UInt32.max:           // rule 65
            startRound(round + 1, &actions)
        default:
            break
        }
    }

    private mutating func receive(block: Block, commit: Commit) {
        guard validators != nil, decision == nil, commit.height == height, block.header.height == height,
              block.header.chainID == chainID, commit.blockHash == block.hash else { return }
        var signers = Set<PublicKey>()
        var power: UInt64 = 0
        for s in commit.signatures {
            guard let p = powers[s.validator], signers.insert(s.validator).inserted else { return }
            power += p
        }
        guard quorum.isQuorum(power, of: totalPower) else { return }
        if blocks[commit.blockHash] == nil { blocks[commit.blockHash] = KnownBlock(block: block, isValid: true) }
        // The commit is +2/3 precommits for the block: count them as votes, and rule 49 decides.
        let vote = commit.vote(chainID: chainID)
        var tally = precommits[commit.round] ?? VoteTally()
        for s in commit.signatures {
            _ = tally.add(SignedVote(vote: vote, validator: s.validator, signature: s.signature), power: powers[s.validator]!,
                          countIfConflicting: true)
        }
        precommits[commit.round] = tally
    }

    // MARK: - The upon-rules, evaluated to a fixed point

    private mutating func process(_ actions: inout [ConsensusAction]) {
        var changed = true
        while changed && decision == nil {
            changed = false
            if tryDecide(&actions) { return }
            if trySkipRound(&actions) { changed = true; continue }
            if step == .propose, tryPrevoteOnProposal(&actions) { changed = true; continue }
            if tryPolkaOnProposal(&actions) { changed = true; continue }
            if step == .prevote, tryPrecommitNil(&actions) { changed = true; continue }
            scheduleWaits(&actions)
        }
    }

    /// Rule 49: +2/3 precommits for a known, valid block in any round decide the height.
    private mutating func tryDecide(_ actions: inout [ConsensusAction]) -> Bool {
        for r in precommits.keys.sorted() {
            guard let tally = precommits[r] else { continue }
            for hash in tally.blockHashesByPower {
                guard quorum.isQuorum(tally.power(for: hash), of: totalPower) else { break }
                guard let known = blocks[hash], known.isValid else { continue }
                let commit = Commit(height: height, round: r, blockHash: hash, signatures: tally.signatures(for: hash))
                decision = commit
                actions.append(.commit(known.block, commit))
                return true
            }
        }
        return false
    }

    /// Rule 55: +1/3 of the power sent something in a higher round — join it.
    private mutating func trySkipRound(_ actions: inout [ConsensusAction]) -> Bool {
        let higher = Set(prevotes.keys).union(precommits.keys).filter { $0 > round }.sorted(by: >)
        for r in higher {
            var senders = Set(prevotes[r]?.validators.map { $0 } ?? [])
            senders.formUnion(precommits[r]?.validators.map { $0 } ?? [])
            let power = senders.reduce(UInt64(0)) { $0 + (powers[$1] ?? 0) }
            if quorum.isOneThird(power, of: totalPower) {
                startRound(r, &actions)
                return true
            }
        }
        return false
    }

    /// Rules 22 and 28: prevote on the round's proposal, respecting the lock.
    private mutating func tryPrevoteOnProposal(_ actions: inout [ConsensusAction]) -> Bool {
        guard let record = proposals[round], let known = blocks[record.blockHash] else { return false }
        if record.polRound == Proposal.noPOLRound {
            let acceptable = known.isValid && (lockedRound == -1 || lockedBlock?.hash == record.blockHash)
            vote(.prevote, acceptable ? record.blockHash : .zero, &actions)
        } else {
            let pol = UInt32(record.polRound)
            guard quorum.isQuorum(prevotes[pol]?.power(for: record.blockHash) ?? 0, of: totalPower) else { return false }
            let acceptable = known.isValid && (lockedRound <= record.polRound || lockedBlock?.hash == record.blockHash)
            vote(.prevote, acceptable ? record.blockHash : .zero, &actions)
        }
        step = .prevote
        return true
    }

    /// Rule 36: a polka for this round's valid proposal locks (if still prevoting) and sets the
    /// valid value, once per round.
    private mutating func tryPolkaOnProposal(_ actions: inout [ConsensusAction]) -> Bool {
        guard step >= .prevote, !polkaHandled.contains(round), let record = proposals[round],
              let known = blocks[record.blockHash], known.isValid,
              quorum.isQuorum(prevotes[round]?.power(for: record.blockHash) ?? 0, of: totalPower) else { return false }
        polkaHandled.insert(round)
        if step == .prevote {
            lockedBlock = known.block
            lockedRound = Int32(round)
            actions.append(.lock(height: height, round: round, block: known.block,
                                 polka: prevotes[round]?.votes(for: record.blockHash) ?? []))
            vote(.precommit, record.blockHash, &actions)
            step = .precommit
        }
        validBlock = known.block
        validRound = Int32(round)
        return true
    }

    /// Rule 44: +2/3 prevotes for nil — precommit nil.
    private mutating func tryPrecommitNil(_ actions: inout [ConsensusAction]) -> Bool {
        guard quorum.isQuorum(prevotes[round]?.power(for: .zero) ?? 0, of: totalPower) else { return false }
        vote(.precommit, .zero, &actions)
        step = .precommit
        return true
    }

    /// Rules 34 and 47: +2/3 of any prevotes / precommits in this round start the wait timers.
    private mutating func scheduleWaits(_ actions: inout [ConsensusAction]) {
        if step == .prevote, !prevoteWaitScheduled.contains(round),
           quorum.isQuorum(prevotes[round]?.total ?? 0, of: totalPower) {
            prevoteWaitScheduled.insert(round)
            actions.append(.scheduleTimeout(height: height, round: round, step: .prevote,
                                            duration: timeouts.duration(.prevote, round: round)))
        }
        if !precommitWaitScheduled.contains(round), quorum.isQuorum(precommits[round]?.total ?? 0, of: totalPower) {
            precommitWaitScheduled.insert(round)
            actions.append(.scheduleTimeout(height: height, round: round, step: .precommit,
                                            duration: timeouts.duration(.precommit, round: round)))
        }
    }

    // MARK: - Steps

    /// Rule 11: StartRound.
    private mutating func startRound(_ r: UInt32, _ actions: inout [ConsensusAction]) {
        round = r
        step = .propose
        buildRequested = nil
        if isValidator, let own = ownKey, schedule?.proposer(height: height, round: r) == own {
            if let valid = validBlock {
                actions.append(.broadcastProposal(Proposal(chainID: chainID, height: height, round: r,
                                                           polRound: validRound, block: valid)))
            } else {
                buildRequested = r
                actions.append(.buildProposal(height: height, round: r))
            }
        }
        actions.append(.scheduleTimeout(height: height, round: r, step: .propose,
                                        duration: timeouts.duration(.propose, round: r)))
    }

    private func vote(_ kind: Vote.Kind, _ hash: Hash, _ actions: inout [ConsensusAction]) {
        guard isValidator else { return }
        actions.append(.broadcastVote(Vote(chainID: chainID, height: height, round: round, kind: kind, blockHash: hash)))
    }
}
