import AgoraCore
import Foundation

/// How much each kind of peer behaviour moves its trust score. Scores decay toward 0 with a
/// half-life; at or below `banThreshold` the peer is disconnected and banned. See
/// docs/network.md for the table and the reasoning.
public enum TrustEvent: String, Sendable, CaseIterable {
    case usefulBlock, usefulTransaction, validStatus
    case duplicate, unrequested, slowResponse, overLimit, invalidMessage, invalidBlock

    public var delta: Double {
        switch self {
        case .usefulBlock: return 2
        case .usefulTransaction: return 0.2
        case .validStatus: return 0.1
        case .duplicate: return -0.5
        case .unrequested: return -5
        case .slowResponse: return -3
        case .overLimit: return -10
        case .invalidMessage: return -40
        case .invalidBlock: return -60
        }
    }
}

public struct TrustScore: Sendable, Equatable {
    public static let banThreshold = -100.0
    public static let ceiling = 100.0
    public static let defaultHalfLife: Double = 600  // seconds

    public private(set) var value: Double
    public private(set) var updatedAt: UInt64  // monotonic nanoseconds
    public let halfLife: Double

    public init(now: UInt64, halfLife: Double = TrustScore.defaultHalfLife, value: Double = 0) {
        self.value = min(TrustScore.ceiling, value)
        self.updatedAt = now
        self.halfLife = halfLife
    }

    /// Decays toward neutral: value · 2^(-elapsed / halfLife).
    public mutating func decay(now: UInt64) {
        guard now > updatedAt else { return }
        let elapsed = Double(now - updatedAt) / 1e9
        value *= pow(0.5, elapsed / halfLife)
        updatedAt = now
    }

    /// Applies an event and returns the new score.
    @discardableResult
    public mutating func record(_ event: TrustEvent, now: UInt64) -> Double {
        decay(now: now)
        value = min(TrustScore.ceiling, value + event.delta)
        return value
    }

    public var isBanned: Bool { value <= TrustScore.banThreshold }
}

/// Per-class message limits for one peer (token buckets, time passed in).
public struct MessageLimits: Sendable {
    public enum Class: String, Sendable { case control, transactions, blocks, consensus, artifacts, presence, snapshots }

    var control: TokenBucket
    var transactions: TokenBucket
    var blocks: TokenBucket
    /// Votes and proposals: a validator set of n sends a few messages per validator per round,
    /// relayed by each peer, and re-gossips them when a round stalls.
    var consensus: TokenBucket
    /// Artifact requests and pieces (at most 1 MiB each): 64/s is 64 MiB/s per peer.
    var artifacts: TokenBucket
    /// Presence heartbeats relayed by the peer: one per member per interval per group, so a
    /// thousand present members at the 10 s default is 100 a second.
    var presence: TokenBucket
    /// State sync: snapshot lists, chunk pieces (at most 1 MiB each) and light blocks. Its own
    /// class so a syncing node's chunk requests never eat the budget of blocks or consensus.
    var snapshots: TokenBucket

    public init(now: UInt64) {
        control = .init(rate: 20, burst: 40, now: now)
        transactions = .init(rate: 500, burst: 1_000, now: now)
        blocks = .init(rate: 50, burst: 100, now: now)
        consensus = .init(rate: 1_000, burst: 2_000, now: now)
        artifacts = .init(rate: 64, burst: 128, now: now)
        presence = .init(rate: 200, burst: 400, now: now)
        snapshots = .init(rate: 32, burst: 64, now: now)
    }

    public static func classify(_ m: WireMessage) -> Class {
        switch m {
        case .transactions: return .transactions
        case .block, .blocks, .getBlocks, .blocksPruned: return .blocks
        case .consensus: return .consensus
        case .getArtifact, .artifactPiece, .artifactMissing: return .artifacts
        case .presence: return .presence
        case .getSnapshots, .snapshots, .getSnapshotChunk, .snapshotPiece, .snapshotMissing, .getLightBlock, .lightBlock, .lightBlockMissing:
            return .snapshots
        default: return .control
        }
    }

    /// True if the message fits its class's budget.
    public mutating func allow(_ m: WireMessage, now: UInt64) -> Bool {
        switch MessageLimits.classify(m) {
        case .control: return control.take(now: now)
        case .transactions: return transactions.take(now: now)
        case .blocks: return blocks.take(now: now)
        case .consensus: return consensus.take(now: now)
        case .artifacts: return artifacts.take(now: now)
        case .presence: return presence.take(now: now)
        case .snapshots: return snapshots.take(now: now)
        }
    }
}

