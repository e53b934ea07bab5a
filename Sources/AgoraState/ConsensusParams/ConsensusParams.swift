import AgoraCore

/// Consensus timeouts and block limits as chain parameters: what governance has set for them
/// (`consensus.*` and `block.*` parameter keys). Each key is stored on its own
/// (`consensus/p/<key tag>`) and only once a proposal sets it: a key never set is absent, and
/// every node then uses what it used before — its `consensus.*` configuration for the timeouts,
/// the protocol's constants (`Limits`) for what a valid block may hold. Genesis writes none, so
/// chains and their state roots are unchanged until a proposal passes.
///
/// A change executes at the end of block `votingEnd` and is read from the state that block
/// leaves, so it governs height `votingEnd + 1` on: its timeouts, the limits its proposer
/// builds to and the limits every validator checks it against. All three read the same
/// committed state, so no proposer builds a block the others consider too large.
public struct ConsensusParams: Equatable, Sendable {
    /// The values governance set, by key (only `consensus.*` and `block.*` keys).
    public private(set) var values: [ParamKey: UInt64] = [:]

    public static let keys: [ParamKey] = [
        .consensusTimeoutProposeMs, .consensusTimeoutProposeDeltaMs, .consensusTimeoutPrevoteMs,
        .consensusTimeoutPrevoteDeltaMs, .consensusTimeoutPrecommitMs, .consensusTimeoutPrecommitDeltaMs,
        .blockMaxTransactions, .blockMaxBytes,
    ]

    public init(values: [ParamKey: UInt64] = [:]) {
        self.values = values.filter { Self.keys.contains($0.key) }
    }

    public subscript(_ key: ParamKey) -> UInt64? { values[key] }

    /// The bounds of each key: the node configuration's for the timeouts; for the block, at
    /// least one transaction (of the largest size) and at most the protocol's constants.
    public static func bounds(_ key: ParamKey) -> ClosedRange<UInt64>? {
        switch key {
        case .consensusTimeoutProposeMs, .consensusTimeoutPrevoteMs, .consensusTimeoutPrecommitMs: return 10...600_000
        case .consensusTimeoutProposeDeltaMs, .consensusTimeoutPrevoteDeltaMs, .consensusTimeoutPrecommitDeltaMs: return 0...60_000
        case .blockMaxTransactions: return 1...UInt64(Limits.maxTransactionsPerBlock)
        case .blockMaxBytes: return UInt64(Limits.maxTransactionBytes)...UInt64(Limits.defaultMaxBlockBytes)
        default: return nil
        }
    }

    /// How many transactions a block at a height governed by these parameters may hold.
    public var maxTransactions: Int { values[.blockMaxTransactions].map { Int($0) } ?? Limits.maxTransactionsPerBlock }

    /// How many bytes of transactions a block at a height governed by these parameters may hold.
    public var maxTransactionBytes: Int { values[.blockMaxBytes].map { Int($0) } ?? Limits.defaultMaxBlockBytes }

    mutating func set(_ key: ParamKey, _ value: UInt64) { if Self.keys.contains(key) { values[key] = value } }

    // MARK: State

    /// The parameters in force for the block after the one that left `state`.
    public static func load(state: StateReader) throws -> ConsensusParams { try load(StateOverlay(base: state)) }

    static func load(_ state: StateOverlay) throws -> ConsensusParams {
        var p = ConsensusParams()
        for key in keys {
            guard let raw = try state.get(ConsensusParamKeys.value(key)) else { continue }
            p.values[key] = try Bank.decode(UInt64.self, raw, "consensus/p")
        }
        return p
    }

    /// Writes the keys that are set, in key order (absent keys stay absent).
    func store(_ state: StateOverlay) throws {
        for key in Self.keys { if let v = values[key] { try state.set(ConsensusParamKeys.value(key), v.canonicalBytes) } }
    }
}

public enum ConsensusParamKeys {
    /// `consensus/p/<ParamKey tag>` → the value (u64).
    public static func value(_ key: ParamKey) -> StateKey { StateKey("consensus/p/", [key.rawValue]) }
}
