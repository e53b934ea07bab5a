import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraConsensus

@Suite("Consensus engine")
struct EngineTests {
    @Test("four honest validators commit the same block in round 0, with a sorted +2/3 commit")
    func happyPath() throws {
        var cluster = Cluster(4)
        cluster.start()
        let first = try #require(cluster.committed[0].first)
        for i in 0..<4 {
            #expect(cluster.committed[i].count == 1)
            #expect(cluster.committed[i].first?.0.hash == first.0.hash)
        }
        let commit = first.1
        #expect(commit.round == 0)
        #expect(commit.height == 1)
        #expect(commit.blockHash == first.0.hash)
        #expect(commit.signatures.count >= 3)
        #expect(commit.signatures.map(\.validator) == commit.signatures.map(\.validator).sorted())
        let vote = commit.vote(chainID: Fixtures.chainID)
        #expect(commit.signatures.allSatisfy { SignatureVerifier.isValid($0, for: vote) })
        #expect(first.0.header.proposer == cluster.engines[0].proposer(round: 0))
    }

    @Test("proposer rotation is weighted by power: over many heights each validator proposes power/total of them")
    func proposerFrequencies() {
        let keys = Fixtures.keys(4)
        let powers: [UInt64] = [1, 2, 3, 4]
        let set = Fixtures.set(keys, powers: powers)
        var schedule = ProposerSchedule(validators: set)
        var counts: [PublicKey: Int] = [:]
        for h in UInt64(1)...1_000 { counts[schedule.proposer(height: h, round: 0), default: 0] += 1 }
        for v in set.validators { #expect(counts[v.publicKey] == Int(v.power) * 100) }
        // Smooth: in any window of `total` consecutive heights each proposes exactly `power` times.
        for start in UInt64(1)...20 {
            var window: [PublicKey: Int] = [:]
            for h in start..<(start + 10) { window[schedule.proposer(height: h, round: 0), default: 0] += 1 }
            for v in set.validators { #expect(window[v.publicKey] == Int(v.power)) }
        }
        // Deterministic whatever the query order, and a round moves to the next selection.
        var other = ProposerSchedule(validators: set)
        #expect(other.proposer(height: 500, round: 0) == schedule.proposer(height: 500, round: 0))
        #expect(other.proposer(height: 7, round: 3) == schedule.proposer(height: 10, round: 0))
        // The heaviest validator proposes first; large powers with a common factor behave alike.
        #expect(schedule.proposer(height: 1, round: 0) == set.validators.max { $0.power < $1.power }!.publicKey)
        var scaled = ProposerSchedule(validators: Fixtures.set(keys, powers: powers.map { $0 * 1_000_000_000 }))
        for h in UInt64(1)...40 { #expect(scaled.proposer(height: h, round: 0) == schedule.proposer(height: h, round: 0)) }
    }

    /// Node `x` is the validator that proposes in none of rounds 0-2 at height 1.
    private func lockedSetup() -> (keys: [SigningKey], set: ValidatorSet, engine: ConsensusEngine, x: Int, proposers: [Int]) {
        let keys = Fixtures.keys(4)
        let set = Fixtures.set(keys)
        var engine = Fixtures.engine()
        var schedule = ProposerSchedule(validators: set)
        let proposers = (UInt32(0)...2).map { r in keys.firstIndex { $0.publicKey == schedule.proposer(height: 1, round: r) }! }
        let x = (0..<4).first { !proposers.contains($0) }!
        _ = engine.step(.startHeight(height: 1, validators: set, ownKey: keys[x].publicKey))
        return (keys, set, engine, x, proposers)
    }

    @Test("a validator locked on a block prevotes nil for another block until a newer polka unlocks it")
    func locking() {
        var (keys, _, engine, x, proposers) = lockedSetup()
        let a = Fixtures.block(proposer: keys[proposers[0]].publicKey, variant: 1)
        let b = Fixtures.block(proposer: keys[proposers[1]].publicKey, variant: 2)
        let others = (0..<4).filter { $0 != x }
        // Round 0: proposal A, polka for A -> lock on A and precommit A.
        var out = engine.step(.proposalReceived(Fixtures.proposal(keys[proposers[0]], round: 0, a), isValid: true))
        #expect(out.votes == [Vote(chainID: Fixtures.chainID, height: 1, round: 0, kind: .prevote, blockHash: a.hash)])
        _ = engine.step(.voteReceived(Fixtures.vote(keys[x], .prevote, round: 0, a.hash)))
        _ = engine.step(.voteReceived(Fixtures.vote(keys[others[0]], .prevote, round: 0, a.hash)))
        out = engine.step(.voteReceived(Fixtures.vote(keys[others[1]], .prevote, round: 0, a.hash)))
        #expect(out.votes.map(\.blockHash) == [a.hash])
        #expect(out.votes.first?.kind == .precommit)
        #expect(engine.lockedRound == 0)
        #expect(engine.lockedBlock?.hash == a.hash)
        // The others precommit nil; the round times out.
        _ = engine.step(.voteReceived(Fixtures.vote(keys[x], .precommit, round: 0, a.hash)))
        _ = engine.step(.voteReceived(Fixtures.vote(keys[others[0]], .precommit, round: 0, .zero)))
        out = engine.step(.voteReceived(Fixtures.vote(keys[others[1]], .precommit, round: 0, .zero)))
        #expect(out.timeouts.map(\.step) == [.precommit])
        #expect(out.commits.isEmpty)
        _ = engine.step(.timeoutFired(height: 1, round: 0, step: .precommit))
        #expect(engine.round == 1)
        // Round 1: a fresh proposal for B (no POL) -> still locked on A: prevote nil.
        out = engine.step(.proposalReceived(Fixtures.proposal(keys[proposers[1]], round: 1, b), isValid: true))
        #expect(out.votes.map(\.blockHash) == [.zero])
        // +1/3 of the power moves on to round 2 before x sees the others' round-1 polka on B.
        for i in others.prefix(2) { _ = engine.step(.voteReceived(Fixtures.vote(keys[i], .precommit, round: 2, .zero))) }
        #expect(engine.round == 2)
        for i in others { _ = engine.step(.voteReceived(Fixtures.vote(keys[i], .prevote, round: 1, b.hash))) }
        #expect(engine.lockedBlock?.hash == a.hash)
        // Round 2: B re-proposed citing the round-1 polka -> newer than the lock: prevote B.
        out = engine.step(.proposalReceived(Fixtures.proposal(keys[proposers[2]], round: 2, polRound: 1, b), isValid: true))
        #expect(out.votes.map(\.blockHash) == [b.hash])
    }

    @Test("locking emits .lock before the precommit; a restarted engine given .restoreLock keeps refusing other blocks")
    func lockSurvivesRestart() {
        var (keys, set, engine, x, proposers) = lockedSetup()
        let a = Fixtures.block(proposer: keys[proposers[0]].publicKey, variant: 1)
        let b = Fixtures.block(proposer: keys[proposers[1]].publicKey, variant: 2)
        let others = (0..<4).filter { $0 != x }
        _ = engine.step(.proposalReceived(Fixtures.proposal(keys[proposers[0]], round: 0, a), isValid: true))
        _ = engine.step(.voteReceived(Fixtures.vote(keys[x], .prevote, round: 0, a.hash)))
        _ = engine.step(.voteReceived(Fixtures.vote(keys[others[0]], .prevote, round: 0, a.hash)))
        let out = engine.step(.voteReceived(Fixtures.vote(keys[others[1]], .prevote, round: 0, a.hash)))
        let lockIndex = out.firstIndex { if case .lock = $0 { true } else { false } }
        let precommitIndex = out.firstIndex { if case let .broadcastVote(v) = $0 { v.kind == .precommit } else { false } }
        #expect(lockIndex != nil && precommitIndex != nil && lockIndex! < precommitIndex!, "persist the lock, then sign")
        guard case let .lock(height, round, locked, polka)? = lockIndex.map({ out[$0] }) else { return }
        #expect(height == 1 && round == 0 && locked.hash == a.hash)
        #expect(polka.count == 3 && polka.allSatisfy { $0.vote.blockHash == a.hash && $0.vote.kind == .prevote }, "the polka behind it")

        // The process dies; a fresh engine restarts height 1 and is given the lock back.
        var restarted = ConsensusEngine(chainID: Fixtures.chainID, timeouts: ConsensusTimeouts())
        _ = restarted.step(.startHeight(height: 1, validators: set, ownKey: keys[x].publicKey))
        _ = restarted.step(.restoreLock(height: 1, round: 0, block: locked, polka: polka))
        #expect(restarted.lockedRound == 0 && restarted.lockedBlock?.hash == a.hash)
        #expect(restarted.validRound == 0 && restarted.polkaVotes.count == 3, "it can show its polka again")
        // Round 1 (reached by +1/3 of the power moving on): B without a newer polka gets nil.
        for i in others.prefix(2) { _ = restarted.step(.voteReceived(Fixtures.vote(keys[i], .prevote, round: 1, .zero))) }
        #expect(restarted.round == 1)
        let vote = restarted.step(.proposalReceived(Fixtures.proposal(keys[proposers[1]], round: 1, b), isValid: true))
        #expect(vote.votes.map(\.blockHash) == [.zero], "still locked on A after the restart")
        // Without the lock, the same engine would have prevoted B: the bug seed 18016 found.
        var forgetful = ConsensusEngine(chainID: Fixtures.chainID, timeouts: ConsensusTimeouts())
        _ = forgetful.step(.startHeight(height: 1, validators: set, ownKey: keys[x].publicKey))
        for i in others.prefix(2) { _ = forgetful.step(.voteReceived(Fixtures.vote(keys[i], .prevote, round: 1, .zero))) }
        let careless = forgetful.step(.proposalReceived(Fixtures.proposal(keys[proposers[1]], round: 1, b), isValid: true))
        #expect(careless.votes.map(\.blockHash) == [b.hash])
    }

    @Test("a proposal citing a polka older than the lock does not unlock")
    func oldPolkaDoesNotUnlock() {
        var (keys, _, engine, x, proposers) = lockedSetup()
        let a = Fixtures.block(proposer: keys[proposers[0]].publicKey, variant: 1)
        let b = Fixtures.block(proposer: keys[proposers[0]].publicKey, variant: 2)
        let others = (0..<4).filter { $0 != x }
        // Round 0: a polka for B without its proposal (no lock); round 1: lock on A.
        _ = engine.step(.timeoutFired(height: 1, round: 0, step: .propose))
        for i in others { _ = engine.step(.voteReceived(Fixtures.vote(keys[i], .prevote, round: 0, b.hash))) }
        for i in others { _ = engine.step(.voteReceived(Fixtures.vote(keys[i], .precommit, round: 0, .zero))) }
        _ = engine.step(.timeoutFired(height: 1, round: 0, step: .precommit))
        #expect(engine.round == 1)
        var out = engine.step(.proposalReceived(Fixtures.proposal(keys[proposers[1]], round: 1, a), isValid: true))
        #expect(out.votes.map(\.blockHash) == [a.hash])
        for i in others { _ = engine.step(.voteReceived(Fixtures.vote(keys[i], .prevote, round: 1, a.hash))) }
        #expect(engine.lockedRound == 1)
        for i in others { _ = engine.step(.voteReceived(Fixtures.vote(keys[i], .precommit, round: 1, .zero))) }
        _ = engine.step(.timeoutFired(height: 1, round: 1, step: .precommit))
        // Round 2: B with polRound 0 < lockedRound 1 -> nil.
        out = engine.step(.proposalReceived(Fixtures.proposal(keys[proposers[2]], round: 2, polRound: 0, b), isValid: true))
        #expect(out.votes.map(\.blockHash) == [.zero])
    }

    @Test("+2/3 nil precommits start the precommit timeout, which moves to the next round")
    func nilPrecommitsNextRound() {
        var (keys, _, engine, x, _) = lockedSetup()
        let others = (0..<4).filter { $0 != x }
        var out = engine.step(.timeoutFired(height: 1, round: 0, step: .propose))
        #expect(out.votes == [Vote.nilVote(chainID: Fixtures.chainID, height: 1, round: 0, kind: .prevote)])
        for i in others.prefix(2) { out = engine.step(.voteReceived(Fixtures.vote(keys[i], .precommit, round: 0, .zero))) }
        #expect(out.timeouts.isEmpty)
        out = engine.step(.voteReceived(Fixtures.vote(keys[others[2]], .precommit, round: 0, .zero)))
        #expect(out.timeouts.map(\.step) == [.precommit])
        #expect(out.timeouts.first?.duration == 60)
        out = engine.step(.timeoutFired(height: 1, round: 0, step: .precommit))
        #expect(engine.round == 1)
        #expect(engine.step == .propose)
        #expect(out.timeouts.map(\.step) == [.propose])
        // A stale timeout for round 0 changes nothing.
        out = engine.step(.timeoutFired(height: 1, round: 0, step: .precommit))
        #expect(out.isEmpty)
        #expect(engine.round == 1)
    }

    @Test("+2/3 mixed prevotes start the prevote timeout; its expiry precommits nil")
    func mixedPrevotes() {
        var (keys, _, engine, x, _) = lockedSetup()
        let others = (0..<4).filter { $0 != x }
        _ = engine.step(.timeoutFired(height: 1, round: 0, step: .propose))
        _ = engine.step(.voteReceived(Fixtures.vote(keys[x], .prevote, round: 0, .zero)))
        _ = engine.step(.voteReceived(Fixtures.vote(keys[others[0]], .prevote, round: 0, Hash.sha256([1]))))
        let out = engine.step(.voteReceived(Fixtures.vote(keys[others[1]], .prevote, round: 0, Hash.sha256([2]))))
        #expect(out.timeouts.map(\.step) == [.prevote])
        let expired = engine.step(.timeoutFired(height: 1, round: 0, step: .prevote))
        #expect(expired.votes == [Vote.nilVote(chainID: Fixtures.chainID, height: 1, round: 0, kind: .precommit)])
    }

    @Test("timeouts grow with the round, in the config and in what the engine schedules")
    func timeoutsGrow() {
        let t = ConsensusTimeouts(proposeBase: 100, proposeDelta: 10, prevoteBase: 50, prevoteDelta: 5, precommitBase: 60, precommitDelta: 6)
        #expect(t.duration(.propose, round: 0) == 100)
        #expect(t.duration(.propose, round: 3) == 130)
        #expect(t.duration(.prevote, round: 2) == 60)
        #expect(t.duration(.precommit, round: 10) == 120)
        #expect(t.duration(.propose, round: .max) > t.duration(.propose, round: 1_000))
        #expect(ConsensusTimeouts(proposeDelta: .max).duration(.propose, round: 2) == .max)
        var (_, _, engine, _, _) = lockedSetup()
        var durations: [UInt64] = []
        for r in UInt32(0)..<5 {
            let out = engine.step(.timeoutFired(height: 1, round: r, step: .precommit))
            durations += out.timeouts.filter { $0.step == .propose }.map(\.duration)
        }
        #expect(durations == [110, 120, 130, 140, 150])
    }

    @Test("quorums count power, not heads: with powers 5,1,1,1 the heavy validator alone cannot commit")
    func unevenPowers() throws {
        let keys = Fixtures.keys(4)
        let powers: [UInt64] = [5, 1, 1, 1]
        let set = Fixtures.set(keys, powers: powers)
        var engine = Fixtures.engine()
        _ = engine.step(.startHeight(height: 1, validators: set, ownKey: nil))
        var schedule = ProposerSchedule(validators: set)
        let proposer = keys.firstIndex { $0.publicKey == schedule.proposer(height: 1, round: 0) }!
        let block = Fixtures.block(proposer: keys[proposer].publicKey)
        _ = engine.step(.proposalReceived(Fixtures.proposal(keys[proposer], round: 0, block), isValid: true))
        // Total 8: +2/3 needs 6. Power 5 alone is not enough.
        var out = engine.step(.voteReceived(Fixtures.vote(keys[0], .precommit, round: 0, block.hash)))
        #expect(out.commits.isEmpty)
        out = engine.step(.voteReceived(Fixtures.vote(keys[1], .precommit, round: 0, block.hash)))
        #expect(out.commits.count == 1)
        #expect(out.commits.first?.1.signatures.count == 2)
        #expect(engine.decision?.blockHash == block.hash)
        // A non-validator engine never votes.
        #expect(out.votes.isEmpty)
    }

    @Test("a validator's conflicting votes produce evidence exactly once per offence")
    func duplicateVotes() throws {
        var (keys, set, engine, x, _) = lockedSetup()
        let offender = (0..<4).first { $0 != x }!
        let v1 = Fixtures.vote(keys[offender], .prevote, round: 0, Hash.sha256([1]))
        let v2 = Fixtures.vote(keys[offender], .prevote, round: 0, Hash.sha256([2]))
        let v3 = Fixtures.vote(keys[offender], .prevote, round: 0, .zero)
        #expect(engine.step(.voteReceived(v1)).evidence.isEmpty)
        #expect(engine.step(.voteReceived(v1)).evidence.isEmpty)
        let out = engine.step(.voteReceived(v2))
        let evidence = try #require(out.evidence.first)
        #expect(out.evidence.count == 1)
        let expected = try DuplicateVoteEvidence(v2, v1)
        #expect(evidence == expected)
        try evidence.verify(validators: set, chainID: Fixtures.chainID)
        #expect(engine.step(.voteReceived(v3)).evidence.isEmpty)
        #expect(engine.step(.voteReceived(v2)).evidence.isEmpty)
        // The precommit at the same round is a different offence.
        _ = engine.step(.voteReceived(Fixtures.vote(keys[offender], .precommit, round: 0, Hash.sha256([1]))))
        #expect(engine.step(.voteReceived(Fixtures.vote(keys[offender], .precommit, round: 0, Hash.sha256([3])))).evidence.count == 1)
    }

    @Test("an equivocator's second vote counts for a proposed block (safe, and needed for liveness) but never twice as 'any' power")
    func equivocatorCountsForProposedBlock() {
        var (keys, _, engine, x, proposers) = lockedSetup()
        let a = Fixtures.block(proposer: keys[proposers[0]].publicKey, variant: 3)
        let byz = proposers[1]
        let honest = (0..<4).filter { $0 != x && $0 != byz }
        // The Byzantine validator first prevotes nil (seen by x), then A (relayed by a peer).
        _ = engine.step(.voteReceived(Fixtures.vote(keys[byz], .prevote, round: 0, .zero)))
        _ = engine.step(.proposalReceived(Fixtures.proposal(keys[proposers[0]], round: 0, a), isValid: true))
        _ = engine.step(.voteReceived(Fixtures.vote(keys[x], .prevote, round: 0, a.hash)))
        _ = engine.step(.voteReceived(Fixtures.vote(keys[honest[0]], .prevote, round: 0, a.hash)))
        #expect(engine.lockedRound == -1)
        let out = engine.step(.voteReceived(Fixtures.vote(keys[byz], .prevote, round: 0, a.hash)))
        #expect(out.evidence.count == 1)
        #expect(engine.lockedRound == 0)
        #expect(out.votes.map(\.kind) == [.precommit])
        // 'Any' power counts the equivocator once: 3 validators voted, not 4.
        #expect(engine.prevotes[0]?.total == 3)
        // A conflicting vote for a hash nobody proposed is evidence only.
        var fresh = lockedSetup().engine
        _ = fresh.step(.voteReceived(Fixtures.vote(keys[byz], .prevote, round: 0, .zero)))
        _ = fresh.step(.voteReceived(Fixtures.vote(keys[byz], .prevote, round: 0, Hash.sha256([9]))))
        #expect(fresh.prevotes[0]?.power(for: Hash.sha256([9])) == 0)
    }

    @Test("votes from keys outside the validator set are ignored, however many")
    func nonValidators() {
        var (keys, _, engine, x, proposers) = lockedSetup()
        let block = Fixtures.block(proposer: keys[proposers[0]].publicKey)
        _ = engine.step(.proposalReceived(Fixtures.proposal(keys[proposers[0]], round: 0, block), isValid: true))
        let outsiders = Fixtures.keys(10, seed: 99)
        for key in outsiders {
            let out = engine.step(.voteReceived(Fixtures.vote(key, .precommit, round: 0, block.hash)))
            #expect(out.commits.isEmpty)
            #expect(out.timeouts.isEmpty)
            _ = engine.step(.voteReceived(Fixtures.vote(key, .prevote, round: 5, block.hash)))
        }
        #expect(engine.round == 0)
        #expect(engine.decision == nil)
        // A proposal signed by someone who is not the round's proposer is ignored too.
        let wrong = (0..<4).first { $0 != proposers[0] && $0 != x }!
        var fresh = lockedSetup().engine
        let out = fresh.step(.proposalReceived(Fixtures.proposal(keys[wrong], round: 0, block), isValid: true))
        #expect(out.votes.isEmpty)
    }

    @Test("+1/3 of the power in a higher round makes the node skip to it; a farther round is ignored")
    func roundSkip() {
        var (keys, _, engine, x, _) = lockedSetup()
        let others = (0..<4).filter { $0 != x }
        _ = engine.step(.voteReceived(Fixtures.vote(keys[others[0]], .prevote, round: 3, .zero)))
        #expect(engine.round == 0)
        _ = engine.step(.voteReceived(Fixtures.vote(keys[others[1]], .precommit, round: 3, .zero)))
        #expect(engine.round == 3)
        let far = engine.round + engine.maxRoundsAhead + 1
        for i in others { _ = engine.step(.voteReceived(Fixtures.vote(keys[i], .prevote, round: far, .zero))) }
        #expect(engine.round == 3)
    }

    @Test("a peer in a lower round gets the votes of its round and of the round before ours: with them it follows, with ours alone it would not")
    func catchUpVotesMoveALaggingPeer() {
        var (keys, set, ahead, x, _) = lockedSetup()
        let others = (0..<4).filter { $0 != x }
        let precommits = others.map { Fixtures.vote(keys[$0], .precommit, round: 1, .zero) }
        // `ahead` (restarted late) skips into round 1 and leaves it on +2/3 precommits without
        // voting there.
        for vote in precommits { _ = ahead.step(.voteReceived(vote)) }
        #expect(ahead.round == 1)
        _ = ahead.step(.timeoutFired(height: 1, round: 1, step: .precommit))
        #expect(ahead.round == 2)
        // A follower still in round 1 that got only one of those precommits.
        var behind = Fixtures.engine()
        _ = behind.step(.startHeight(height: 1, validators: set, ownKey: nil))
        _ = behind.step(.voteReceived(Fixtures.vote(keys[others[1]], .prevote, round: 1, .zero)))
        _ = behind.step(.voteReceived(precommits[0]))
        #expect(behind.round == 1)
        // What `ahead` has of its own round moves nobody: it holds no vote there.
        #expect(ahead.votes(round: 2).isEmpty)
        #expect(ahead.catchUpVotes(peerRound: 2).isEmpty)
        let sent = ahead.catchUpVotes(peerRound: 1)
        #expect(Set(sent) == Set(precommits))
        var timers: [(round: UInt32, step: ConsensusStep, duration: UInt64)] = []
        for vote in sent { timers += behind.step(.voteReceived(vote)).timeouts }
        #expect(timers.map(\.step) == [.precommit])
        _ = behind.step(.timeoutFired(height: 1, round: 1, step: .precommit))
        #expect(behind.round == 2)
        // From round 0 the peer also gets round 0's votes (none here) and the previous round's.
        #expect(Set(ahead.catchUpVotes(peerRound: 0)) == Set(precommits))
    }

    @Test("messages for another height are ignored; a verified decision from a peer commits")
    func otherHeightsAndDecision() {
        var (keys, _, engine, _, proposers) = lockedSetup()
        let block = Fixtures.block(proposer: keys[proposers[0]].publicKey)
        for key in keys { _ = engine.step(.voteReceived(Fixtures.vote(key, .precommit, height: 2, round: 0, block.hash))) }
        #expect(engine.decision == nil)
        let sigs = keys.prefix(2).map { Fixtures.vote($0, .precommit, round: 4, block.hash).commitSignature }
        var out = engine.step(.decisionReceived(block: block, commit: Commit(height: 1, round: 4, blockHash: block.hash, signatures: sigs)))
        #expect(out.commits.isEmpty)
        let enough = keys.prefix(3).map { Fixtures.vote($0, .precommit, round: 4, block.hash).commitSignature }
        out = engine.step(.decisionReceived(block: block, commit: Commit(height: 1, round: 4, blockHash: block.hash, signatures: enough)))
        #expect(out.commits.map(\.0.hash) == [block.hash])
        #expect(out.commits.first?.1.round == 4)
    }

    @Test("the proposer re-proposes its valid block with its POL round")
    func reproposeValid() {
        let cluster = Cluster(4)
        var schedule = ProposerSchedule(validators: cluster.set)
        let p1 = cluster.keys.firstIndex { $0.publicKey == schedule.proposer(height: 1, round: 1) }!
        var engine = Fixtures.engine()
        _ = engine.step(.startHeight(height: 1, validators: cluster.set, ownKey: cluster.keys[p1].publicKey))
        let p0 = cluster.keys.firstIndex { $0.publicKey == schedule.proposer(height: 1, round: 0) }!
        let a = Fixtures.block(proposer: cluster.keys[p0].publicKey, variant: 9)
        _ = engine.step(.proposalReceived(Fixtures.proposal(cluster.keys[p0], round: 0, a), isValid: true))
        for key in cluster.keys { _ = engine.step(.voteReceived(Fixtures.vote(key, .prevote, round: 0, a.hash))) }
        #expect(engine.validRound == 0)
        for key in cluster.keys { _ = engine.step(.voteReceived(Fixtures.vote(key, .precommit, round: 0, .zero))) }
        let out = engine.step(.timeoutFired(height: 1, round: 0, step: .precommit))
        #expect(out.proposals == [Proposal(chainID: Fixtures.chainID, height: 1, round: 1, polRound: 0, block: a)])
    }
}
