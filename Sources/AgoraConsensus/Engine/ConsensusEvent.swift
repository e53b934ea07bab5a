import AgoraCore

/// Everything that can happen to a consensus engine. The driver (a node, or the simulator)
/// turns network messages, timer expiries and its own block building into these events; the
/// engine never looks at a clock, a socket or a key.
public enum ConsensusEvent: Sendable {
    /// Begin `height` with `validators`; `ownKey` is this node's validator key, or nil for a node
    /// that only follows.
    case startHeight(height: UInt64, validators: ValidatorSet, ownKey: PublicKey?)
    /// A proposal whose signature the driver has verified against `proposal.proposer`; `isValid`
    /// is the driver's verdict on executing the block (the engine cannot execute blocks).
    case proposalReceived(SignedProposal, isValid: Bool)
    /// A vote whose signature the driver has verified.
    case voteReceived(SignedVote)
    /// A timer set by `.scheduleTimeout` expired.
    case timeoutFired(height: UInt64, round: UInt32, step: ConsensusStep)
    /// The block the driver built in answer to `.buildProposal`.
    case proposalBuilt(height: UInt64, round: UInt32, block: Block)
    /// A decided block learnt from a peer with its commit (catch-up for a node that missed the
    /// proposal or the votes). The driver has verified every commit signature; the engine checks
    /// that the signers hold more than 2/3 of the power.
    case decisionReceived(block: Block, commit: Commit)
    /// After a restart, right after `.startHeight`: the lock this validator persisted (from a
    /// `.lock` action) at this height before its engine state was lost. Without it a restarted
    /// validator could precommit another block in a later round — the safety violation the
    /// 100,000-seed run found (seed 18016, N=4, F=0).
    /// `polka` are the prevotes that justified it: restored into the tally, so this validator
    /// can again show them to peers (re-proposal with its POL round, gossip) — without them a
    /// lock can only be released by a polka that the lock itself may prevent.
    case restoreLock(height: UInt64, round: UInt32, block: Block, polka: [SignedVote])
}

/// What the engine asks its driver to do. Signing happens in the driver, through the
/// `SigningGuard`, so the engine's outputs are unsigned intents.
public enum ConsensusAction: Hashable, Sendable {
    /// Build a block for this (height, round); answer with `.proposalBuilt`.
    case buildProposal(height: UInt64, round: UInt32)
    /// Sign and broadcast this proposal.
    case broadcastProposal(Proposal)
    /// Sign and broadcast this vote.
    case broadcastVote(Vote)
    /// Deliver `.timeoutFired(height, round, step)` after `duration` milliseconds.
    case scheduleTimeout(height: UInt64, round: UInt32, step: ConsensusStep, duration: UInt64)
    /// `block` is final; `commit` goes into the next header's `lastCommit`.
    case commit(Block, Commit)
    /// A validator signed two conflicting votes.
    case evidence(DuplicateVoteEvidence)
    /// The engine locked on `block` at (height, round). The driver must persist it durably
    /// before performing the actions that follow (the precommit), and give it back with
    /// `.restoreLock` after a restart at that height (CometBFT recovers the same from its WAL).
    case lock(height: UInt64, round: UInt32, block: Block, polka: [SignedVote])
}
