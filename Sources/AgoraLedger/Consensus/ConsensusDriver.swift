import AgoraConsensus
import AgoraCore
import Foundation
import Logging

extension ConsensusService {
    /// The loop's state: the engine and what the node keeps around it for one height. Owned by
    /// the `run` loop alone, so it needs no lock; what others read goes through `setStatus`.
    struct Driver {
        let service: ConsensusService
        var engine: ConsensusEngine
        var journal: ConsensusJournal
        /// Messages for the height after the engine's, replayed when it starts.
        var buffered: [ConsensusMessage] = []
        static let maxBuffered = 4_096
        /// This node's signed proposal at the current height, re-sent when a round stalls.
        var latestProposal: (round: UInt32, bytes: [UInt8])?
        /// The key that votes at the current height, if this node holds one in the set.
        var ownKey: PublicKey?
        /// The height that starts once the block interval after a commit has passed.
        var awaiting: UInt64?
        /// (height, round) at the previous gossip tick: unchanged means the round is stalled.
        var lastTick: (UInt64, UInt32) = (0, 0)
        /// Set when the journal cannot be written: signing stops (a lock that is not durable
        /// must not be acted on) until a later write of it succeeds — tried on every gossip tick
        /// (`retrySigning`), so a disk that fills and frees again needs no restart.
        var halted: String?
        /// A vote signed but not sent because the journal write before it failed: sent once the
        /// journal is durable again (it is already in the journal and the sign state).
        var unsentVote: SignedVote?
        /// The last proposal or vote the signing guard refused for a failed sign-state write:
        /// performed again on the next gossip tick. Without it a lone validator whose prevote
        /// failed would wait forever (no +2/3 of prevotes, so no timeout ever fires).
        var pendingSign: ConsensusAction?
        /// A decided block whose commit to the database failed (a full disk): retried with
        /// backoff (`Config.commitRetryBase` doubling to `commitRetryMax`) until it commits.
        var pendingCommit: (block: Block, commit: Commit, attempt: Int)?
        /// How long this node's proposals take to commit: the lead of its timestamps (`ProposalTime`).
        var commitLatency = CommitLatency()

        var chain: Chain { service.chain }
        var logger: Logger { service.logger }

        init(service: ConsensusService) throws {
            self.service = service
            engine = ConsensusEngine(chainID: service.chain.identity.chainID, timeouts: service.config.timeouts)
            let next = service.chain.snapshot.head.height + 1
            let stored: ConsensusJournal?
            do { stored = try ConsensusJournal.load(path: service.journalPath) } catch { throw StartError.journal(error) }
            journal = stored.flatMap { $0.height == next ? $0 : nil } ?? ConsensusJournal(height: next)
            try Self.raiseGuards(service, to: stored?.ownVotes ?? [])
        }

        /// A sign state that lost its tail (a disk that acknowledged an fsync it did not do)
        /// must not let the validator sign again where its consensus journal shows it signed:
        /// each guard is raised to its own votes found there (docs/chaos.md, storage faults).
        static func raiseGuards(_ service: ConsensusService, to votes: [SignedVote]) throws {
            for vote in votes {
                guard var signer = service.signer(vote.validator) else { continue }
                do { try signer.adopt(signBytes: vote.vote.signingBytes, signature: vote.signature) } catch {
                    throw StartError.signState(vote.validator, .io(operation: "raise to the consensus journal: \(error)",
                                                                  path: service.config.directory, errno: 0))
                }
                service.store(signer)
            }
        }

        /// The wall clock, in milliseconds: only for timestamps and the drift check, never timers.
        var nowMillis: UInt64 { service.config.wallClock.nowMillis() }

        /// This node's timestamp for a proposal now (`ProposalTime`: held to the chain's time
        /// plus this node's measured commit latency when other validators must accept it).
        var proposalTimestamp: UInt64 {
            let snapshot = chain.snapshot
            return ProposalTime.timestamp(head: snapshot.head.timestamp, wallNow: nowMillis,
                                          sinceHeadMoved: service.headArrival.sinceHeadMoved, lead: commitLatency.lead,
                                          alone: snapshot.validators.validators.count <= 1)
        }

        // MARK: Heights

        /// Starts at the head + 1 right away, restoring what the journal kept for that height.
        mutating func begin(_ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            start(chain.snapshot.head.height + 1, &group)
        }

        mutating func start(_ height: UInt64, _ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            awaiting = nil
            // A block whose commit was being retried arrived another way (sync, a peer's decision).
            if let pending = pendingCommit, pending.commit.height < height { pendingCommit = nil }
            let tip = chain.snapshot
            let validators = tip.validators
            // The chain's timeouts as the parent left them govern this height (`ConsensusParams`).
            engine.timeouts = service.config.timeouts.governed(by: tip.consensus)
            ownKey = service.keys.first { validators.contains($0.publicKey) }?.publicKey
            service.clearSeen()
            latestProposal = nil
            let restoring = journal.height == height ? journal : nil
            if journal.height != height { journal = ConsensusJournal(height: height) }
            feed(.startHeight(height: height, validators: validators, ownKey: ownKey), &group)
            if let restoring {
                if let lock = restoring.lock {
                    feed(.restoreLock(height: height, round: lock.round, block: lock.block, polka: lock.polka), &group)
                }
                for vote in restoring.ownVotes {
                    service.transport?.broadcastConsensus(ConsensusMessage.vote(vote).canonicalBytes, except: nil)
                    feed(.voteReceived(vote), &group)
                }
            }
            resendLastVote(&group)
            let replay = buffered.filter { $0.height == height }
            buffered.removeAll { $0.height <= height }
            for message in replay { deliver(message, &group) }
            publishStatus()
        }

        /// After a commit: the next height starts when the block interval has passed, or at
        /// once when a full block of READY transactions is waiting and the block just committed
        /// carried some; without empty blocks, when a ready transaction (or a peer's proposal)
        /// arrives. A node that does not vote starts at once.
        ///
        /// Only includable work counts: transactions waiting for a nonce gap can fill no block,
        /// and counting them made validators produce empty blocks as fast as they could (issue
        /// 14, 150 blocks/s on a dev node). An empty block is never followed early either, so
        /// whatever the pool claims, blocks without work come at most one per interval.
        mutating func scheduleStart(_ height: UInt64, afterEmpty: Bool = false, _ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            awaiting = height
            let validators = chain.snapshot.validators
            guard service.keys.contains(where: { validators.contains($0.publicKey) }) else {
                start(height, &group)
                return
            }
            let chain = self.chain
            let config = service.config
            group.addTask { [service] in
                await Driver.awaitBlockContent(chain: chain, config: config, mayStartEarly: !afterEmpty)
                service.yield(.startHeight(height))
            }
        }

        /// Returns once the next height has work: a full block's worth ready (unless
        /// `mayStartEarly` is false), or, after the block interval, any ready transaction (none
        /// needed with empty blocks on), or on cancellation. Woken by the mempool's admissions
        /// and by the deadline, never by polling.
        static func awaitBlockContent(chain: Chain, config: Config, mayStartEarly: Bool = true) async {
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: config.blockInterval)
            let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            // A full block is what the next proposal may hold, which the cost budget may make
            // less than `block.maxTransactions`.
            let full = chain.proposalLimits(proposeTimeout: proposeBudget(config.timeouts.governed(by: chain.snapshot.consensus)))
                .maxTransactions
            chain.wakeOnAdmission(wake)
            defer { wake.finish() }
            wake.yield()  // the pool may already hold a full block
            await withDiscardingTaskGroup { group in
                group.addTask {
                    try? await Task.sleep(until: deadline, clock: clock)
                    wake.yield()
                }
                for await _ in wakes {
                    let ready = chain.queries.readyCount
                    if mayStartEarly, ready >= full { break }
                    if clock.now >= deadline, config.createEmptyBlocks || ready > 0 { break }
                }
                group.cancelAll()
            }
        }

        /// The propose timeout a proposal is sized for: round 0's.
        static func proposeBudget(_ timeouts: ConsensusTimeouts) -> Duration {
            .milliseconds(Int64(min(timeouts.proposeBase, UInt64(Int32.max))))
        }

        // MARK: Inputs

        mutating func handle(_ input: Input, _ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            switch input {
            case let .message(message, peer):
                route(message, from: peer, &group)
            case let .timeout(height, round, step):
                guard awaiting == nil, height == engine.height else { return }
                feed(.timeoutFired(height: height, round: round, step: step), &group)
            case let .startHeight(height):
                guard awaiting == height, chain.snapshot.head.height + 1 == height else { return }
                start(height, &group)
            case .headMoved:
                // A block arrived by sync or a peer's decision: whatever this height was
                // doing is moot. The engine's own commit already scheduled the next height.
                let next = chain.snapshot.head.height + 1
                if next > engine.height, awaiting != next { start(next, &group) }
            case .gossip:
                retrySigning(&group)
                gossip()
            case let .retryCommit(height):
                guard let pending = pendingCommit, pending.commit.height == height else { return }
                pendingCommit = nil
                service.metrics.commitRetries.increment()
                committed(pending.block, pending.commit, attempt: pending.attempt + 1, &group)
            }
            publishStatus()
        }

        /// Current height: to the engine. Next height: buffered. Earlier: the sender is behind
        /// and gets the decision.
        mutating func route(_ message: ConsensusMessage, from peer: Hash?, _ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            switch message {
            case let .status(height, round):
                guard let peer else { return }
                if height < engine.height {
                    sendDecision(height: height, to: peer)
                } else if height == engine.height, round < engine.round, awaiting == nil {
                    // Its round, the one before ours and ours: enough to follow however this
                    // node got here (simulator seeds 5766, 9554, 9579).
                    for vote in engine.catchUpVotes(peerRound: round) {
                        service.transport?.sendConsensus(ConsensusMessage.vote(vote).canonicalBytes, to: peer)
                    }
                }
            case let .decision(block, commit):
                do {
                    try chain.commitDecided(block, commit: commit)
                } catch let error as Chain.BlockError {
                    if case .notNext = error { return }
                    if let peer { service.transport?.consensusFault(peer, "invalid decision: \(error)") }
                } catch {
                    logger.error("cannot commit a decided block", metadata: ["error": .string("\(error)")])
                }
            case .proposal, .vote:
                let height = message.height
                if height == engine.height, awaiting == nil {
                    deliver(message, &group)
                } else if height == engine.height || height == engine.height + 1 {
                    if buffered.count < Driver.maxBuffered { buffered.append(message) }
                    // Another validator already proposes the height this one waits to start.
                    if case .proposal = message, awaiting == height { start(height, &group) }
                }
            }
        }

        mutating func deliver(_ message: ConsensusMessage, _ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            switch message {
            case let .proposal(signed):
                var isValid = true
                do { try chain.verifyProposal(signed.proposal.block, now: nowMillis) } catch {
                    isValid = false
                    logger.info("proposal refused", metadata: ["height": .stringConvertible(signed.proposal.height),
                                                              "round": .stringConvertible(signed.proposal.round),
                                                              "proposer": .string(signed.proposer.address.description),
                                                              "reason": .string("\(error)")])
                }
                feed(.proposalReceived(signed, isValid: isValid), &group)
            case let .vote(signed):
                feed(.voteReceived(signed), &group)
            case .decision, .status:
                break
            }
        }

        // MARK: Engine

        /// Steps the engine with `event` and performs its actions, including the events they
        /// cause (own messages looped back, built blocks).
        mutating func feed(_ event: ConsensusEvent, _ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            var work = [event]
            var next = 0
            while next < work.count {
                let actions = engine.step(work[next])
                next += 1
                for action in actions { perform(action, &work, &group) }
            }
        }

        mutating func perform(_ action: ConsensusAction, _ work: inout [ConsensusEvent],
                              _ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            switch action {
            case let .buildProposal(height, round):
                guard let ownKey, halted == nil, !service.isStopping else { return }
                do {
                    // Sized for the others to check within round 0's propose timeout (`BlockBudget`).
                    let block = try chain.buildProposal(proposer: ownKey, now: proposalTimestamp,
                                                        proposeTimeout: Driver.proposeBudget(engine.timeouts))
                    commitLatency.proposed(height: height, block: block.hash, at: .now)
                    work.append(.proposalBuilt(height: height, round: round, block: block))
                } catch {
                    logger.error("cannot build a proposal", metadata: ["height": .stringConvertible(height), "error": .string("\(error)")])
                    service.setStatus { $0.lastError = "building a proposal: \(error)" }
                }
            case let .broadcastProposal(proposal):
                guard let ownKey, halted == nil, !service.isStopping, var signer = service.signer(ownKey) else { return }
                do {
                    let signed = try signer.sign(proposal)
                    service.store(signer)
                    let bytes = ConsensusMessage.proposal(signed).canonicalBytes
                    latestProposal = (proposal.round, bytes)
                    service.transport?.broadcastConsensus(bytes, except: nil)
                    work.append(.proposalReceived(signed, isValid: true))
                } catch {
                    refused(error)
                    if case .store = error { pendingSign = action }
                }
            case let .broadcastVote(vote):
                guard let ownKey, halted == nil, !service.isStopping, var signer = service.signer(ownKey) else { return }
                do {
                    let signed = try signer.sign(vote)
                    service.store(signer)
                    journal.record(vote: signed)
                    guard persistJournal() else {
                        unsentVote = signed
                        return
                    }
                    service.transport?.broadcastConsensus(ConsensusMessage.vote(signed).canonicalBytes, except: nil)
                    work.append(.voteReceived(signed))
                    if service.config.testingDoubleSign { equivocate(signed) }
                } catch {
                    refused(error)
                    if case .conflict = error { resendLastVote(into: &work) }
                    if case .store = error { pendingSign = action }
                }
            case let .scheduleTimeout(height, round, step, duration):
                let after = Duration.milliseconds(Int64(min(duration, UInt64(Int64.max / 1_000_000))))
                group.addTask { [service] in
                    try? await Task.sleep(for: after)
                    service.yield(.timeout(height: height, round: round, step: step))
                }
            case let .commit(block, commit):
                committed(block, commit, attempt: 0, &group)
            case let .lock(height, round, block, polka):
                guard height == journal.height else { return }
                journal.lock = .init(round: round, block: block, polka: polka)
                _ = persistJournal()
            case let .evidence(evidence):
                service.metrics.evidence.increment()
                logger.warning("validator signed conflicting votes", metadata: [
                    "validator": .string(evidence.validator.address.description), "height": .stringConvertible(evidence.height),
                ])
                service.reportEvidence(evidence)
            }
        }

        mutating func committed(_ block: Block, _ commit: Commit, attempt: Int, _ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            let validators = engine.validators
            do {
                try chain.commitDecided(block, commit: commit)
                if attempt > 0 { logger.notice("decided block committed after retrying", metadata: ["height": .stringConvertible(commit.height),
                                                                                                    "attempts": .stringConvertible(attempt + 1)]) }
                service.setStatus { $0.lastCommitAt = .now; $0.lastError = nil }
                service.producer.succeeded()
            } catch is Chain.Stopping {
                return  // shutting down: own votes are journalled, the restart decides this height again
            } catch {
                // Sync may have committed the same block first; anything else is retried.
                let alreadyHere = (try? chain.queries.blockHash(height: commit.height)) == block.hash
                guard case .notNext? = error as? Chain.BlockError, alreadyHere else {
                    commitFailed(block, commit, attempt: attempt, error, &group)
                    return
                }
            }
            commitLatency.committed(height: commit.height, block: block.hash, at: .now)
            service.metrics.roundsPerHeight.record(Int(commit.round) + 1)
            let signers = Set(commit.signatures.map(\.validator))
            for v in validators?.validators ?? [] where !signers.contains(v.publicKey) { service.metrics.missed(v.publicKey) }
            scheduleStart(commit.height + 1, afterEmpty: block.transactions.isEmpty, &group)
        }

        /// A decided block that does not commit (the database refused it: a full disk, an I/O
        /// error): the node is not ready meanwhile (`ProducerStatus`), and the same block is tried
        /// again after a backoff, so the node resumes by itself once the cause is gone. The
        /// engine stays at this height; a peer's decision or sync may commit it first.
        mutating func commitFailed(_ block: Block, _ commit: Commit, attempt: Int, _ error: any Error,
                                   _ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            let delay = Driver.commitRetryDelay(attempt: attempt, base: service.config.commitRetryBase, max: service.config.commitRetryMax)
            if attempt == 0 {
                logger.critical("decided block does not commit; retrying until it does", metadata: [
                    "height": .stringConvertible(commit.height), "error": .string("\(error)"),
                ])
            }
            service.setStatus { $0.lastError = "committing height \(commit.height) (attempt \(attempt + 1), retrying): \(error)" }
            service.producer.failed("\(error)")
            chain.metrics.producerFailures.increment()
            pendingCommit = (block, commit, attempt)
            let height = commit.height
            group.addTask { [service] in
                try? await Task.sleep(for: delay)
                service.yield(.retryCommit(height: height))
            }
        }

        /// `base`, doubling per attempt, at most `max`.
        static func commitRetryDelay(attempt: Int, base: Duration, max: Duration) -> Duration {
            let factor = 1 << Swift.min(attempt, 20)
            return Swift.min(base * factor, max)
        }

        /// Persists the journal; on failure stops signing (see `halted`) until a retry succeeds.
        mutating func persistJournal() -> Bool {
            do {
                try journal.save(path: service.journalPath)
                return true
            } catch {
                if halted == nil {
                    logger.critical("consensus journal not written: this validator stops signing until a retry writes it", metadata: [
                        "error": .string(error.description),
                    ])
                }
                halted = error.description
                service.setStatus { $0.lastError = error.description }
                return false
            }
        }

        /// On each gossip tick: write the journal again if it failed (then send the vote it held
        /// back), and perform again the signature the guard refused for a failed write. A
        /// refused sign is never left for good: that would stall this validator forever.
        mutating func retrySigning(_ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            guard !service.isStopping else { return }
            if halted != nil {
                guard persistJournal() else { return }
                halted = nil
                service.setStatus { $0.lastError = nil }
                logger.notice("consensus journal written again: signing resumes", metadata: ["height": .stringConvertible(engine.height)])
                if let vote = unsentVote, vote.vote.height == engine.height {
                    service.transport?.broadcastConsensus(ConsensusMessage.vote(vote).canonicalBytes, except: nil)
                    feed(.voteReceived(vote), &group)
                }
                unsentVote = nil
            }
            guard let action = pendingSign else { return }
            pendingSign = nil
            guard Driver.height(of: action) == engine.height, awaiting == nil else { return }
            var work: [ConsensusEvent] = []
            perform(action, &work, &group)
            for event in work { feed(event, &group) }
        }

        static func height(of action: ConsensusAction) -> UInt64? {
            switch action {
            case let .broadcastVote(vote): return vote.height
            case let .broadcastProposal(proposal): return proposal.height
            default: return nil
            }
        }

        /// The test-only double sign (`Config.testingDoubleSign`): a nil prevote beside a prevote
        /// for a block, signed with the raw key so the guard cannot stop it.
        func equivocate(_ signed: SignedVote) {
            guard signed.vote.kind == .prevote, !signed.isNil,
                  let key = service.keys.first(where: { $0.publicKey == signed.validator }) else { return }
            var twin = signed.vote
            twin.blockHash = .zero
            let conflicting = SignedVote(vote: twin, validator: signed.validator, signature: key.sign(twin.signingBytes))
            logger.warning("TEST FAULT: double-signing a prevote", metadata: ["height": .stringConvertible(twin.height)])
            service.transport?.broadcastConsensus(ConsensusMessage.vote(conflicting).canonicalBytes, except: nil)
        }

        func refused(_ error: SigningGuard.Refusal) {
            service.metrics.signingRefusals.increment()
            logger.warning("signing guard refused", metadata: ["reason": .string(error.description)])
        }

        /// After a restart, the last vote the sign state holds for this height is the only one
        /// this validator may cast there: send it again and show it to the engine.
        mutating func resendLastVote(_ group: inout ThrowingDiscardingTaskGroup<any Error>) {
            var work: [ConsensusEvent] = []
            resendLastVote(into: &work)
            for event in work { feed(event, &group) }
        }

        func resendLastVote(into work: inout [ConsensusEvent]) {
            guard let ownKey, let vote = service.signer(ownKey)?.lastSignedVote, vote.vote.height == engine.height else { return }
            service.transport?.broadcastConsensus(ConsensusMessage.vote(vote).canonicalBytes, except: nil)
            work.append(.voteReceived(vote))
        }

        // MARK: Gossip

        /// Tells peers where this node is; when the round has not moved for a whole interval,
        /// sends this node's proposal, own votes and the polka behind its valid block again —
        /// a peer that reconnected or restarted may lack them.
        mutating func gossip() {
            guard let transport = service.transport else { return }
            transport.broadcastConsensus(ConsensusMessage.status(height: engine.height, round: engine.round).canonicalBytes, except: nil)
            let now = (engine.height, engine.round)
            defer { lastTick = now }
            guard awaiting == nil, now == lastTick else { return }
            if let proposal = latestProposal, proposal.round == engine.round { transport.broadcastConsensus(proposal.bytes, except: nil) }
            for vote in journal.ownVotes { transport.broadcastConsensus(ConsensusMessage.vote(vote).canonicalBytes, except: nil) }
            for vote in engine.polkaVotes { transport.broadcastConsensus(ConsensusMessage.vote(vote).canonicalBytes, except: nil) }
        }

        func sendDecision(height: UInt64, to peer: Hash) {
            guard height >= 1, let stored = try? chain.queries.block(height: height) else { return }
            service.transport?.sendConsensus(ConsensusMessage.decision(stored.block, stored.seal).canonicalBytes, to: peer)
        }

        func publishStatus() {
            // Between a commit and the next height's start, report the height that is next.
            let (height, round, step, own) = awaiting.map { ($0, UInt32(0), ConsensusStep.propose, ownKey) }
                ?? (engine.height, engine.round, engine.step, ownKey)
            service.setStatus { s in
                s.height = height
                s.round = round
                s.step = step
                s.validator = own
            }
            service.metrics.height.record(Int64(height))
            service.metrics.round.record(Int64(round))
            service.metrics.step.record(Int64(step.rawValue))
        }
    }
}
