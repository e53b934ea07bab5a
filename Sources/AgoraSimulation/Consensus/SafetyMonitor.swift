import AgoraConsensus
import AgoraCore

/// The simulator's invariant checker. Safety can only be broken by an honest validator
/// committing or signing, so the monitor is told of every such act as it happens — which is
/// checking the invariants after every step of the run — and records the first witness:
/// no two different blocks committed at one height; no honest validator signing two different
/// messages at one (height, round, step); no honest validator committing an invalid block, nor
/// serving from its block store a decision that is not the committed block.
struct SafetyMonitor: Sendable {
    let seed: UInt64
    private(set) var committed: [UInt64: Hash] = [:]
    private(set) var firstCommitRound: [UInt64: UInt32] = [:]
    private var signed: [SignedAt: Hash] = [:]
    private(set) var violations: [SimulationViolation] = []

    private struct SignedAt: Hashable, Sendable {
        let node: Int
        let position: SignPosition
    }

    init(seed: UInt64) { self.seed = seed }

    mutating func honestCommitted(node: Int, height: UInt64, round: UInt32, block: Hash, isValid: Bool) {
        if !isValid { violations.append(.invalidBlockCommitted(seed: seed, node: node, height: height)) }
        if let existing = committed[height] {
            if existing != block {
                violations.append(.conflictingCommits(seed: seed, height: height, first: existing, second: block))
            }
        } else {
            committed[height] = block
            firstCommitRound[height] = round
        }
    }

    mutating func honestSigned(node: Int, position: SignPosition, block: Hash) {
        let key = SignedAt(node: node, position: position)
        if let existing = signed[key] {
            if existing != block {
                violations.append(.doubleSign(seed: seed, node: node, position: position, first: existing, second: block))
            }
        } else {
            signed[key] = block
        }
    }

    /// A decision an honest node sent from its block store must be the committed block.
    mutating func honestServed(node: Int, height: UInt64, block: Hash) {
        if committed[height] != block { violations.append(.servedUnproven(seed: seed, node: node, height: height)) }
    }

    mutating func liveness(_ violation: SimulationViolation) { violations.append(violation) }
}
