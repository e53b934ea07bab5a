// AgoraSimulation owns the harnesses that run many nodes to judge the whole: this seeded
// in-process consensus simulator (real engines, driven only through their public and package
// API) and the multi-process network simulator in Network/. No node links it; `agora simulate`,
// the benchmarks and the integration tests do.
import AgoraConsensus
import AgoraCore
import AgoraCrypto

/// A deterministic, seeded run of N real `ConsensusEngine`s over a simulated network with a
/// virtual clock. Every random choice — keys, fault plan, delays, losses, Byzantine moves —
/// comes from one `SplitMix64(seed:)`, and the event queue breaks time ties by insertion order,
/// so a seed replays exactly. Messages travel as canonical bytes and every receiver decodes them
/// with the real codec and verifies the real Ed25519 signature, so garbage and forgeries are
/// exercised. See docs/consensus.md for the fault model.
public struct ConsensusSimulation: Sendable {
    public static let chainID = "agora-sim"
    /// Proposals whose state root is this are invalid: honest drivers refuse them.
    static let invalidMarker = Hash.sha256(Array("agora/sim/invalid-block".utf8))
    static let power: UInt64 = 10
    static let gossipInterval: UInt64 = 300
    static let timeouts = ConsensusTimeouts(proposeBase: 400, proposeDelta: 200, prevoteBase: 200, prevoteDelta: 100,
                                            precommitBase: 200, precommitDelta: 100)

    public let config: SimulationConfig
    public let faults: FaultPlan
    let validatorSet: ValidatorSet
    var rng: SplitMix64
    var nodes: [SimNode]
    var queue = EventQueue<SimEvent>()
    var now: UInt64 = 0
    private var healed = false
    var monitor: SafetyMonitor
    var report: SimulationReport
    private var verified: [VerificationKey: Bool] = [:]
    /// Blocks a Byzantine proposer sent at (height, round): the coalition votes for them.
    private var coalition: [RoundKey: CoalitionBlocks] = [:]
    /// Each node's cores and inbound queue, when the run has an `InboundLoad`.
    private var cpus: [NodeCPU] = []
    /// Each node's consensus driver, when the run has a `ProposalLoad`.
    var drivers: [SimDriver] = []
    /// Transactions in each block built under a `ProposalLoad` (simulated blocks carry none:
    /// only the count matters, and the cost it puts on the drivers).
    var blockTransactions: [Hash: Int] = [:]

    enum SimEvent: Sendable {
        case deliver(to: Int, from: Int, bytes: [UInt8])
        case timeout(node: Int, epoch: Int, height: UInt64, round: UInt32, step: ConsensusStep)
        /// A timer that fired while the node's driver was busy (`ProposalLoad`), in its place in
        /// the driver's order: handled after what arrived before it, before what came after.
        case timeoutQueued(node: Int, epoch: Int, height: UInt64, round: UInt32, step: ConsensusStep)
        case gossip(node: Int, epoch: Int)
        case crash(Int)
        case restart(Int)
        case heal
        /// The next transaction batch of the load reaches `node`.
        case flood(node: Int)
        /// A core of `node` finished `work`.
        case processed(node: Int, work: SimInbound)
        /// Node `to`'s driver is done with a message (its verification, under a `ProposalLoad`).
        case driven(to: Int, from: Int, bytes: [UInt8])
    }

    struct VerificationKey: Hashable, Sendable {
        let message: [UInt8]
        let key: PublicKey
        let signature: Signature
    }

    struct RoundKey: Hashable, Sendable {
        let height: UInt64
        let round: UInt32
    }

    struct CoalitionBlocks: Sendable {
        let a: Hash
        let b: Hash
    }

    public init(_ config: SimulationConfig) {
        precondition(config.validators >= 1 && config.byzantine >= 0 && config.byzantine <= config.validators)
        precondition(config.load == nil || config.proposals == nil, "one load at a time")
        self.config = config
        var rng = SplitMix64(seed: config.seed)
        // Keys from the seed: a run never depends on the system's randomness.
        let keys = (0..<config.validators).map { _ in try! SigningKey(seed: rng.bytes(32)) }
        validatorSet = try! ValidatorSet(keys.map { Validator(publicKey: $0.publicKey, power: ConsensusSimulation.power) })
        var engine = ConsensusEngine(chainID: ConsensusSimulation.chainID, timeouts: ConsensusSimulation.timeouts)
        engine.quorum = config.quorum
        // Storage faults come from their own stream: the other faults of a seed stay as they were.
        var storageRNG = SplitMix64(seed: config.seed ^ 0x5354_4F52_4147_45)
        let storage = config.storageFaults ? StorageFaults.draw(&storageRNG) : nil
        nodes = keys.enumerated().map { i, key in
            SimNode(index: i, key: key, isByzantine: i < config.byzantine, engine: engine, storage: storage, seed: config.seed)
        }
        var drawn = FaultPlan.draw(&rng, nodes: config.validators, honest: Array(config.byzantine..<config.validators))
        if storage != nil { drawn.addStorageCrashes(&storageRNG, honest: Array(config.byzantine..<config.validators)) }
        faults = config.load == nil && config.proposals == nil ? drawn : .faultFree(nodes: config.validators)
        if let load = config.load { cpus = Array(repeating: NodeCPU(load), count: config.validators) }
        if let proposals = config.proposals { drivers = Array(repeating: SimDriver(proposals), count: config.validators) }
        self.rng = rng
        monitor = SafetyMonitor(seed: config.seed)
        report = SimulationReport(config: config, faults: faults)
        report.storage.faults = storage
    }

    /// Runs one seed to completion: until every honest validator has committed `steps` heights
    /// after healing, a violation, or the liveness deadline.
    public static func run(_ config: SimulationConfig) -> SimulationReport {
        var simulation = ConsensusSimulation(config)
        return simulation.run()
    }

    /// Runs `count` seeds from `firstSeed`.
    public static func run(validators: Int, byzantine: Int, firstSeed: UInt64, count: Int, steps: Int,
                           strategy: ByzantineStrategy = .mixed) -> SimulationSummary {
        var summary = SimulationSummary()
        for seed in firstSeed..<(firstSeed + UInt64(count)) {
            var config = SimulationConfig(validators: validators, byzantine: byzantine, seed: seed, steps: steps)
            config.byzantineStrategy = strategy
            summary.add(run(config))
        }
        return summary
    }

    /// Honest validators still in the game: one whose journal did not prove itself stays down.
    var honest: [Int] { (config.byzantine..<config.validators).filter { !nodes[$0].refusedStart } }
    var deadline: UInt64 {
        faults.healTime + config.livenessSlack + config.livenessPerHeight * UInt64(config.steps)
    }

    mutating func run() -> SimulationReport {
        for i in nodes.indices {
            feed(i, .startHeight(height: 1, validators: validatorSet, ownKey: nodes[i].key.publicKey))
            queue.push(at: rng.next() % ConsensusSimulation.gossipInterval, .gossip(node: i, epoch: 0))
        }
        for crash in faults.crashes {
            queue.push(at: crash.at, .crash(crash.node))
            queue.push(at: crash.restartAt, .restart(crash.node))
        }
        queue.push(at: faults.healTime, .heal)
        for i in cpus.indices { queue.push(at: UInt64(i), .flood(node: i)) }
        while monitor.violations.isEmpty, let entry = queue.pop() {
            if entry.time > deadline || report.events >= config.maxEvents { break }
            now = entry.time
            report.events += 1
            handle(entry.payload)
            if healed, livenessReached { break }
        }
        finish()
        return report
    }

    /// One line per node: where its engine stands (for diagnosing a failing seed).
    var nodeStates: [String] {
        nodes.map { n in
            "node \(n.index)\(n.isByzantine ? " byzantine" : "") up=\(n.up) chain=\(n.chain.count) engine h=\(n.engine.height) "
                + "r=\(n.engine.round) \(n.engine.step) locked=\(n.engine.lockedRound) valid=\(n.engine.validRound) "
                + "signed=\(n.signer.last.map { "\($0.position)" } ?? "-")"
        }
    }

    private var livenessReached: Bool {
        honest.allSatisfy { nodes[$0].chain.count >= nodes[$0].committedAtHeal + config.steps }
    }

    private mutating func finish() {
        report.virtualTime = now
        report.heightsCommitted = UInt64(honest.map { nodes[$0].chain.count }.min() ?? 0)
        report.roundsPerHeight = monitor.firstCommitRound
        report.violations = monitor.violations
        report.consensusDropped = cpus.reduce(0) { $0 + $1.droppedConsensus }
        report.transactionsDropped = cpus.reduce(0) { $0 + $1.droppedTransactions }
        if let node = honest.first {
            report.transactionsCommitted = nodes[node].chain.prefix(Int(report.heightsCommitted))
                .reduce(0) { $0 + (blockTransactions[$1.hash] ?? 0) }
        }
        // Liveness is owed only while the faulty stay within the bound: Byzantine validators,
        // those kept down by a damaged journal, and those that lost committed blocks (if more
        // than F lost a block, nobody may have it any more: the chain must stall, not re-sign).
        let faulty = config.validators - honest.count + honest.filter { nodes[$0].lostCommitted }.count
        if report.violations.isEmpty, faulty <= (config.validators - 1) / 3 {
            for i in honest where nodes[i].chain.count < nodes[i].committedAtHeal + config.steps {
                report.violations.append(.liveness(seed: config.seed, node: i,
                                                   committed: nodes[i].chain.count - nodes[i].committedAtHeal,
                                                   required: config.steps, deadline: deadline))
            }
        }
    }

    // MARK: - Events

    private mutating func handle(_ event: SimEvent) {
        switch event {
        case let .deliver(to, from, bytes):
            guard nodes[to].up else { report.messagesDropped += 1; return }
            report.messagesDelivered += 1
            arrive(to, from: from, bytes)
        case let .timeout(node, epoch, height, round, step):
            guard nodes[node].up, nodes[node].epoch == epoch else { return }
            if !drivers.isEmpty, drivers[node].busyUntil > now {
                // A timer that fires while the driver builds or verifies waits its turn.
                queue.push(at: drivers[node].occupy(0, now: now),
                           .timeoutQueued(node: node, epoch: epoch, height: height, round: round, step: step))
                return
            }
            feed(node, .timeoutFired(height: height, round: round, step: step))
        case let .timeoutQueued(node, epoch, height, round, step):
            guard nodes[node].up, nodes[node].epoch == epoch else { return }
            feed(node, .timeoutFired(height: height, round: round, step: step))
        case let .gossip(node, epoch):
            guard nodes[node].up, nodes[node].epoch == epoch else { return }
            gossip(node)
            queue.push(at: now + scaled(ConsensusSimulation.gossipInterval, node), .gossip(node: node, epoch: epoch))
        case let .crash(node):
            var engine = ConsensusEngine(chainID: ConsensusSimulation.chainID, timeouts: ConsensusSimulation.timeouts)
            engine.quorum = config.quorum
            nodes[node].crash(freshEngine: engine)
            storageCrash(node)
        case let .restart(node):
            guard !nodes[node].up, !nodes[node].refusedStart else { return }
            if nodes[node].journal == nil {
                do {
                    try nodes[node].restart()
                } catch {
                    preconditionFailure("in-memory sign state cannot be corrupt: \(error)")
                }
            } else if !storageRestart(node) {
                return
            }
            feed(node, .startHeight(height: nodes[node].height, validators: validatorSet, ownKey: nodes[node].key.publicKey))
            if let lock = nodes[node].lock, lock.height == nodes[node].height {
                feed(node, .restoreLock(height: lock.height, round: lock.round, block: lock.block, polka: lock.polka))
            }
            var work: [ConsensusEvent] = []
            for bytes in nodes[node].ownVotes {
                if case let .vote(vote)? = try? ConsensusMessage(canonicalBytes: bytes) { work.append(.voteReceived(vote)) }
                broadcast(from: node, bytes)
            }
            resendLastVote(node, &work)
            for event in work { feed(node, event) }
            queue.push(at: now + rng.next() % ConsensusSimulation.gossipInterval, .gossip(node: node, epoch: nodes[node].epoch))
        case .heal:
            healed = true
            for i in nodes.indices { nodes[i].committedAtHeal = nodes[i].chain.count }
        case let .flood(node):
            let load = cpus[node].load
            cpus[node].enqueue(SimInbound(kind: .transactions(load.transactionsPerBatch), source: -1, arrived: now))
            startWork(node)
            queue.push(at: now + max(1, 1_000 / load.batchesPerSecond), .flood(node: node))
        case let .processed(node, work):
            cpus[node].finished(work)
            if case let .consensus(bytes, from) = work.kind, nodes[node].up { receive(node, from: from, bytes) }
            startWork(node)
        case let .driven(to, from, bytes):
            if nodes[to].up { receive(to, from: from, bytes) }
        }
    }

    /// A message reaches node `to`: handled at once, or when its driver (`ProposalLoad`) or a
    /// core (`InboundLoad`) gets to it.
    private mutating func arrive(_ to: Int, from: Int, _ bytes: [UInt8]) {
        if !drivers.isEmpty {
            // The driver takes messages one at a time: this one is handled when it is free and
            // has verified the block it carries, if any.
            let done = drivers[to].occupy(driverCost(to, bytes), now: now)
            queue.push(at: done, .driven(to: to, from: from, bytes: bytes))
        } else if cpus.isEmpty {
            receive(to, from: from, bytes)
        } else {
            cpus[to].enqueue(SimInbound(kind: .consensus(bytes: bytes, from: from), source: from, arrived: now))
            startWork(to)
        }
    }

    /// Starts what node `i`'s free cores may take; each piece of work ends after its cost.
    private mutating func startWork(_ i: Int) {
        while let (work, cost) = cpus[i].start() {
            if case .consensus = work.kind { report.maxConsensusWait = max(report.maxConsensusWait, now - work.arrived) }
            queue.push(at: now + cost, .processed(node: i, work: work))
        }
    }

    /// What node `i`'s driver spends on a message: verifying the block of a proposal or decision
    /// it has not seen (`ProposalLoad`); everything else is free.
    private mutating func driverCost(_ i: Int, _ bytes: [UInt8]) -> UInt64 {
        let block: Block
        switch try? ConsensusMessage(canonicalBytes: bytes) {
        case let .proposal(signed)?: block = signed.proposal.block
        case let .decision(decided, _)?: block = decided
        default: return 0
        }
        let hash = block.hash
        return drivers[i].verifyCost(hash, transactions: blockTransactions[hash] ?? 0)
    }

    private func scaled(_ duration: UInt64, _ node: Int) -> UInt64 {
        let (product, overflow) = duration.multipliedReportingOverflow(by: faults.skewPercent[node])
        return overflow ? UInt64.max / 2 : max(1, product / 100)
    }

    private mutating func gossip(_ i: Int) {
        if nodes[i].blockLog?.maybeCorruptAtRest() == true { report.storage.corruptionsInjected += 1 }
        broadcast(from: i, ConsensusMessage.status(height: nodes[i].height, round: nodes[i].engine.round).canonicalBytes)
        if let proposal = nodes[i].latestProposal { broadcast(from: i, proposal) }
        for vote in nodes[i].ownVotes { broadcast(from: i, vote) }
        // Relay the polka behind this node's valid block, as a gossip layer relays votes.
        for vote in nodes[i].engine.polkaVotes {
            broadcast(from: i, ConsensusMessage.vote(vote).canonicalBytes)
        }
    }

    // MARK: - Receiving

    private mutating func receive(_ i: Int, from: Int, _ bytes: [UInt8]) {
        let message: ConsensusMessage
        do {
            message = try ConsensusMessage(canonicalBytes: bytes)
        } catch {
            report.garbageRejected += 1
            return
        }
        switch message {
        case let .proposal(signed):
            guard isValid(signed.signature, of: signed.proposal.signingBytes, by: signed.proposer) else { return }
            route(i, from: from, message)
        case let .vote(signed):
            guard isValid(signed.signature, of: signed.vote.signingBytes, by: signed.validator) else { return }
            route(i, from: from, message)
        case let .decision(block, commit):
            guard commit.height == nodes[i].height else { return }
            let vote = commit.vote(chainID: ConsensusSimulation.chainID)
            for s in commit.signatures where !isValid(s.signature, of: vote.signingBytes, by: s.validator) { return }
            feed(i, .decisionReceived(block: block, commit: commit))
        case let .status(height, round):
            if height < nodes[i].height {
                sendDecision(from: i, to: from, height: height)
            } else if height == nodes[i].height, round < nodes[i].engine.round, from != i {
                for vote in nodes[i].engine.catchUpVotes(peerRound: round) {
                    send(from: i, to: from, ConsensusMessage.vote(vote).canonicalBytes)
                }
            }
        }
    }

    /// Current height: to the engine. Next height: buffered. Earlier height: the sender is behind,
    /// answer with the decision.
    private mutating func route(_ i: Int, from: Int, _ message: ConsensusMessage) {
        let h = message.height
        if h == nodes[i].height {
            deliverToEngine(i, message)
        } else if h == nodes[i].height + 1 {
            if nodes[i].buffered.count < SimNode.maxBuffered { nodes[i].buffered.append(message) }
        } else if h < nodes[i].height {
            sendDecision(from: i, to: from, height: h)
        }
    }

    private mutating func deliverToEngine(_ i: Int, _ message: ConsensusMessage) {
        switch message {
        case let .proposal(signed):
            feed(i, .proposalReceived(signed, isValid: isValidBlock(signed.proposal.block, at: i)))
        case let .vote(signed):
            feed(i, .voteReceived(signed))
        case .decision, .status:
            break
        }
    }

    private mutating func sendDecision(from i: Int, to peer: Int, height: UInt64) {
        guard height >= 1, height <= UInt64(nodes[i].chain.count), peer != i else { return }
        if nodes[i].blockLog != nil {
            serveFromDisk(from: i, to: peer, height: height)
            return
        }
        let decided = nodes[i].chain[Int(height) - 1]
        send(from: i, to: peer, ConsensusMessage.decision(decided.block, decided.commit).canonicalBytes)
    }

    mutating func isValid(_ signature: Signature, of message: [UInt8], by key: PublicKey) -> Bool {
        guard config.cachesVerification else { return SignatureVerifier.isValid(signature, of: message, by: key) }
        let cacheKey = VerificationKey(message: message, key: key, signature: signature)
        if let known = verified[cacheKey] { return known }
        let ok = SignatureVerifier.isValid(signature, of: message, by: key)
        verified[cacheKey] = ok
        return ok
    }

    /// An honest driver's block check: right chain, height, parent and validator set, and not
    /// marked invalid by the simulation.
    private func isValidBlock(_ block: Block, at i: Int) -> Bool {
        let h = block.header
        return h.chainID == ConsensusSimulation.chainID && h.height == nodes[i].height && h.previousHash == nodes[i].lastHash
            && h.validatorSetHash == validatorSet.hash && h.stateRoot != ConsensusSimulation.invalidMarker
    }

    // MARK: - Driving an engine

    /// Steps node `i`'s engine with `event` and performs the actions, including the events they
    /// cause (own messages looped back, built blocks, next height).
    mutating func feed(_ i: Int, _ event: ConsensusEvent) {
        var work = [event]
        var next = 0
        while next < work.count {
            let actions = nodes[i].engine.step(work[next])
            next += 1
            for action in actions { perform(i, action, &work) }
        }
    }

    private mutating func perform(_ i: Int, _ action: ConsensusAction, _ work: inout [ConsensusEvent]) {
        switch action {
        case let .buildProposal(height, round):
            if nodes[i].isByzantine {
                byzantinePropose(i, height: height, round: round, &work)
            } else {
                let block = makeBlock(i, height: height, variant: 0, invalid: false)
                if !drivers.isEmpty {
                    let size = drivers[i].proposalSize(proposeTimeoutMs: ConsensusSimulation.timeouts.proposeBase)
                    blockTransactions[block.hash] = size
                    report.largestProposal = max(report.largestProposal, size)
                    _ = drivers[i].build(block.hash, transactions: size, now: now)
                }
                work.append(.proposalBuilt(height: height, round: round, block: block))
            }
        case let .broadcastProposal(proposal):
            broadcastProposal(i, proposal, &work)
        case let .broadcastVote(vote):
            broadcastVote(i, vote, &work)
        case let .scheduleTimeout(height, round, step, duration):
            queue.push(at: now + scaled(duration, i),
                       .timeout(node: i, epoch: nodes[i].epoch, height: height, round: round, step: step))
        case let .commit(block, commit):
            commitDecided(i, block, commit, &work)
        case let .lock(height, round, block, polka):
            nodes[i].lock = (height, round, block, polka)
        case let .evidence(evidence):
            // With the journal check off (a test hook) a guard may hand back a damaged stored
            // signature to its own engine, whose evidence then cannot verify.
            if !nodes[i].isByzantine, config.verifiesJournal {
                precondition((try? evidence.verify(validators: validatorSet, chainID: ConsensusSimulation.chainID)) != nil,
                             "engine reported evidence that does not verify")
                report.evidenceReported += 1
            }
        }
    }

    /// Signs and broadcasts node `i`'s proposal and shows it to its own engine; a Byzantine
    /// node signs without its sign-state guard.
    private mutating func broadcastProposal(_ i: Int, _ proposal: Proposal, _ work: inout [ConsensusEvent]) {
        if nodes[i].isByzantine {
            let signed = rawSign(i, proposal)
            broadcast(from: i, ConsensusMessage.proposal(signed).canonicalBytes)
            work.append(.proposalReceived(signed, isValid: true))
            return
        }
        do {
            let signed = try nodes[i].signer.sign(proposal)
            nodes[i].logSigned(proposal.signingBytes(blockHash: proposal.block.hash), signed.signature)
            monitor.honestSigned(node: i, position: SignPosition(height: proposal.height, round: proposal.round, step: .propose),
                                 block: proposal.block.hash)
            let bytes = ConsensusMessage.proposal(signed).canonicalBytes
            nodes[i].latestProposal = bytes
            broadcast(from: i, bytes)
            work.append(.proposalReceived(signed, isValid: isValidBlock(proposal.block, at: i)))
        } catch {
            report.signingRefusals += 1
            if case .store = error { failStop(i) }
        }
    }

    /// Signs and broadcasts node `i`'s vote (a Byzantine node's moves are its own); a vote the
    /// sign state refuses as conflicting makes a restarted node resend the one it may cast.
    private mutating func broadcastVote(_ i: Int, _ vote: Vote, _ work: inout [ConsensusEvent]) {
        if nodes[i].isByzantine {
            byzantineVote(i, vote, &work)
            return
        }
        do {
            let signed = try nodes[i].signer.sign(vote)
            nodes[i].logSigned(vote.signingBytes, signed.signature)
            monitor.honestSigned(node: i, position: SignPosition(height: vote.height, round: vote.round,
                                                                 step: vote.kind == .prevote ? .prevote : .precommit),
                                 block: vote.blockHash)
            let bytes = ConsensusMessage.vote(signed).canonicalBytes
            nodes[i].remember(vote: bytes)
            broadcast(from: i, bytes)
            work.append(.voteReceived(signed))
        } catch {
            report.signingRefusals += 1
            if case .conflict = error { resendLastVote(i, &work) }
            if case .store = error { failStop(i) }
        }
    }

    /// Appends the decided block to node `i`'s chain, starts the next height and replays the
    /// messages buffered for it.
    private mutating func commitDecided(_ i: Int, _ block: Block, _ commit: Commit, _ work: inout [ConsensusEvent]) {
        let hash = block.hash
        if !nodes[i].isByzantine {
            monitor.honestCommitted(node: i, height: commit.height, round: commit.round, block: hash,
                                    isValid: block.header.stateRoot != ConsensusSimulation.invalidMarker)
        }
        nodes[i].chain.append(SimNode.Decided(block: block, hash: hash, commit: commit))
        persistDecided(i, block, commit)
        nodes[i].latestProposal = nil
        nodes[i].ownVotes = []
        work.append(.startHeight(height: commit.height + 1, validators: validatorSet, ownKey: nodes[i].key.publicKey))
        let buffered = nodes[i].buffered
        nodes[i].buffered = []
        for message in buffered {
            switch message {
            case let .proposal(signed):
                // Judged against the chain as it is now, with this height decided.
                work.append(.proposalReceived(signed, isValid: isValidBlock(signed.proposal.block, at: i)))
            case let .vote(signed):
                work.append(.voteReceived(signed))
            case .decision, .status:
                break
            }
        }
    }

    /// What a validator restarted without its engine state does: its sign state says what it
    /// last voted at this height, and that vote — the only one it may cast there — is sent again
    /// and shown to its own engine (CometBFT recovers the same from its WAL).
    private mutating func resendLastVote(_ i: Int, _ work: inout [ConsensusEvent]) {
        guard let vote = nodes[i].signer.lastSignedVote, vote.vote.height == nodes[i].height else { return }
        let bytes = ConsensusMessage.vote(vote).canonicalBytes
        nodes[i].remember(vote: bytes)
        broadcast(from: i, bytes)
        work.append(.voteReceived(vote))
    }

    private func makeBlock(_ i: Int, height: UInt64, variant: UInt64, invalid: Bool) -> Block {
        let parent = nodes[i].chain.last
        let header = BlockHeader(chainID: ConsensusSimulation.chainID, height: height, previousHash: parent?.hash ?? .zero,
                                 timestamp: now * 4 + variant, proposer: nodes[i].key.publicKey, txRoot: Block.txRoot([]),
                                 stateRoot: invalid ? ConsensusSimulation.invalidMarker : .zero,
                                 validatorSetHash: validatorSet.hash, lastCommit: parent?.commit)
        return Block(header: header, transactions: [])
    }

    // MARK: - Network

    private mutating func broadcast(from i: Int, _ bytes: [UInt8]) {
        for peer in nodes.indices where peer != i { send(from: i, to: peer, bytes) }
    }

    mutating func send(from: Int, to: Int, _ bytes: [UInt8]) {
        report.messagesSent += 1
        // A driver that is building or verifying sends when it is done (a `ProposalLoad`).
        let departure = drivers.isEmpty ? now : max(now, drivers[from].busyUntil)
        if now >= faults.healTime {
            queue.push(at: departure + 1 + rng.next() % faults.healedMaxDelay, .deliver(to: to, from: from, bytes: bytes))
            return
        }
        if now >= faults.partitionStart, faults.partition.contains(from) != faults.partition.contains(to) {
            report.messagesDropped += 1
            return
        }
        if rng.next() % 1000 < faults.lossPerMille {
            report.messagesDropped += 1
            return
        }
        queue.push(at: now + 1 + rng.next() % faults.maxDelay, .deliver(to: to, from: from, bytes: bytes))
        if rng.next() % 1000 < faults.duplicatePerMille {
            queue.push(at: now + 1 + rng.next() % faults.maxDelay, .deliver(to: to, from: from, bytes: bytes))
        }
    }

    // MARK: - Byzantine behaviour

    private func inGroupA(_ node: Int, _ height: UInt64, _ round: UInt32) -> Bool {
        var r = SplitMix64(seed: config.seed ^ (height &* 0x9E37_79B9) ^ (UInt64(round) << 40))
        let split = r.next()
        return (split >> UInt64(node % 64)) & 1 == 0
    }

    private func rawSign(_ i: Int, _ proposal: Proposal) -> SignedProposal {
        SignedProposal(proposal: proposal, proposer: nodes[i].key.publicKey, signature: nodes[i].key.sign(proposal.signingBytes))
    }

    private func rawSign(_ i: Int, _ vote: Vote) -> SignedVote {
        SignedVote(vote: vote, validator: nodes[i].key.publicKey, signature: nodes[i].key.sign(vote.signingBytes))
    }

    private mutating func byzantineMove(_ choices: UInt64) -> UInt64 {
        config.byzantineStrategy == .equivocate ? 0 : rng.next() % choices
    }

    /// 0 equivocate (block A to one half, B to the other), 1 an invalid block, 2 withhold,
    /// 3 behave.
    private mutating func byzantinePropose(_ i: Int, height: UInt64, round: UInt32, _ work: inout [ConsensusEvent]) {
        let move = byzantineMove(4)
        if move == 2 { return }
        let a = makeBlock(i, height: height, variant: 0, invalid: move == 1)
        let b = move == 0 ? makeBlock(i, height: height, variant: 1, invalid: false) : a
        let signedA = rawSign(i, Proposal(chainID: ConsensusSimulation.chainID, height: height, round: round, polRound: -1, block: a))
        let signedB = move == 0
            ? rawSign(i, Proposal(chainID: ConsensusSimulation.chainID, height: height, round: round, polRound: -1, block: b))
            : signedA
        let bytesA = ConsensusMessage.proposal(signedA).canonicalBytes
        let bytesB = ConsensusMessage.proposal(signedB).canonicalBytes
        for peer in nodes.indices where peer != i {
            send(from: i, to: peer, inGroupA(peer, height, round) ? bytesA : bytesB)
        }
        coalition[RoundKey(height: height, round: round)] = CoalitionBlocks(a: a.hash, b: b.hash)
        work.append(.proposalReceived(signedA, isValid: true))
    }

    /// 0 equivocate, 1 vote for the coalition's (possibly invalid) block, 2 withhold, 3 garbage,
    /// 4 behave. The node's own engine always sees the vote it asked for.
    private mutating func byzantineVote(_ i: Int, _ vote: Vote, _ work: inout [ConsensusEvent]) {
        let own = rawSign(i, vote)
        work.append(.voteReceived(own))
        let blocks = coalition[RoundKey(height: vote.height, round: vote.round)]
        switch byzantineMove(5) {
        case 0:
            var a = vote, b = vote
            if let blocks {
                a.blockHash = blocks.a
                b.blockHash = blocks.b
            } else {
                b.blockHash = vote.blockHash == .zero ? Hash.sha256(rng.bytes(8)) : .zero
            }
            let bytesA = ConsensusMessage.vote(rawSign(i, a)).canonicalBytes
            let bytesB = a == b ? bytesA : ConsensusMessage.vote(rawSign(i, b)).canonicalBytes
            for peer in nodes.indices where peer != i {
                send(from: i, to: peer, inGroupA(peer, vote.height, vote.round) ? bytesA : bytesB)
            }
        case 1:
            var bad = vote
            bad.blockHash = blocks?.a ?? Hash.sha256(rng.bytes(8))
            broadcast(from: i, ConsensusMessage.vote(rawSign(i, bad)).canonicalBytes)
        case 2:
            break
        case 3:
            let length = Int(1 + rng.next() % 200)
            broadcast(from: i, rng.bytes(length))
        default:
            broadcast(from: i, ConsensusMessage.vote(own).canonicalBytes)
        }
    }
}
