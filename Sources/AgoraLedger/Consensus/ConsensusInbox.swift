import AgoraConsensus
import AgoraCore
import AgoraCrypto
import Synchronization

/// Where inbound consensus messages enter the node: checks each one on the network's task (so
/// signature checks of different peers run in parallel), drops repeats at the current height,
/// and queues what is new and well-formed for `ConsensusService`'s loop, with the loop's own
/// inputs (timers, height starts, head moves, gossip ticks).
///
/// A separate object so that the composition root can build it before both sides: the network
/// gets it in its constructor (to judge consensus messages) and so does the consensus service
/// (to read its queue), without either being handed to the other at run time.
public final class ConsensusInbox: Sendable {
    let chain: Chain
    let metrics: ConsensusMetrics
    let inputs: AsyncStream<ConsensusService.Input>
    let continuation: AsyncStream<ConsensusService.Input>.Continuation
    /// Hashes of the consensus messages accepted at the current height (cleared per height).
    private let seen = Mutex<Set<Hash>>([])
    static let maxSeen = 50_000

    public init(chain: Chain) {
        self.chain = chain
        metrics = ConsensusMetrics(chain.metrics.factory)
        (inputs, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// The head moved (this node's commit, a peer's decision or sync): the loop re-checks its height.
    public func headMoved() { continuation.yield(.headMoved) }

    func clearSeen() { seen.withLock { $0.removeAll(keepingCapacity: true) } }

    /// Checks one inbound message and hands it to the loop if it is new and well-formed. Runs
    /// on the caller's task so signature checks of different peers proceed in parallel.
    public func receive(_ bytes: [UInt8], from peer: Hash?) -> ConsensusVerdict {
        let verdict = check(bytes, from: peer)
        switch verdict {
        case let .invalid(reason), let .ignored(reason): metrics.refused(reason)
        case .accepted, .duplicate: break
        }
        return verdict
    }

    func check(_ bytes: [UInt8], from peer: Hash?) -> ConsensusVerdict {
        // A proposal is a whole block, relayed by every peer: drop repeats before decoding.
        // (Round statuses repeat by design and are tiny: tag 4 is never deduplicated.)
        let id = bytes.first == 4 ? Hash.zero : Hash.sha256(bytes)
        if id != .zero, seen.withLock({ $0.contains(id) }) { return .duplicate }
        let message: ConsensusMessage
        do { message = try ConsensusMessage(canonicalBytes: bytes) } catch { return .invalid("malformed") }
        let tip = chain.snapshot
        let next = tip.head.height + 1
        let chainID = chain.identity.chainID
        switch message {
        case let .status(height, _):
            guard height > 0 else { return .invalid("wrong_height") }
            continuation.yield(.message(message, from: peer))
            return .ignored("status")
        case let .decision(block, commit):
            guard block.header.chainID == chainID else { return .invalid("wrong_chain") }
            guard commit.height == next else { return .ignored(commit.height < next ? "stale" : "ahead") }
            guard remember(id) else { return .duplicate }
            continuation.yield(.message(message, from: peer))
            return .accepted
        case let .proposal(signed):
            let p = signed.proposal
            guard p.chainID == chainID else { return .invalid("wrong_chain") }
            guard p.height > 0 else { return .invalid("wrong_height") }
            guard p.height >= next else { return .ignored("stale") }
            guard p.height <= next + 1 else { return .ignored("ahead") }
            if p.height == next, !tip.validators.contains(signed.proposer) { return .invalid("not_a_validator") }
            guard remember(id) else { return .duplicate }
            guard SignatureVerifier.isValid(signed.signature, of: p.signingBytes, by: signed.proposer) else { return .invalid("bad_signature") }
            metrics.proposalsReceived.increment()
            continuation.yield(.message(message, from: peer))
            return .accepted
        case let .vote(signed):
            let v = signed.vote
            guard v.chainID == chainID else { return .invalid("wrong_chain") }
            guard v.height > 0 else { return .invalid("wrong_height") }
            guard v.height >= next else { return .ignored("stale") }
            guard v.height <= next + 1 else { return .ignored("ahead") }
            if v.height == next, !tip.validators.contains(signed.validator) { return .invalid("not_a_validator") }
            guard remember(id) else { return .duplicate }
            guard signed.hasValidSignature else { return .invalid("bad_signature") }
            metrics.vote(v.kind)
            continuation.yield(.message(message, from: peer))
            return .accepted
        }
    }

    /// True the first time a message (by the hash of its bytes) is accepted at this height.
    private func remember(_ id: Hash) -> Bool {
        seen.withLock { set in
            if set.count >= ConsensusInbox.maxSeen { set.removeAll() }
            return set.insert(id).inserted
        }
    }
}
