import AgoraCore

/// Where the light client gets the light blocks it checks: a node's API (`NodeLightSource`) or,
/// in tests, a chain in memory. A source is never trusted: everything it answers is verified.
public protocol LightBlockSource: Sendable {
    /// The light block at `height`, or `LightClientError.heightNotAvailable`.
    func lightBlock(height: UInt64) async throws(LightClientError) -> LightBlock
}

/// The light client: from a trust root, it verifies headers of later heights by their commits,
/// following validator-set changes (`LightVerifier` holds the rules). In `.skipping` mode it
/// first tries to jump straight to the target and bisects only when the trusted set cannot
/// vouch for it (CometBFT's `VerifySkipping`); in `.sequential` mode it checks every height. It
/// keeps every block it verified, so a later question starts from the highest one below it.
/// A value type with no I/O of its own and no clock but the one it is given: the same root,
/// source answers, target and clock readings give the same result. With a trusting period, a
/// trusted header older than the period (by the clock) is never verified from (`trust_expired`).
public struct LightClient: Sendable {
    public enum Mode: String, Sendable, CaseIterable { case sequential, skipping }

    /// What the user trusts to begin with.
    public enum TrustRoot: Sendable, Equatable {
        /// The genesis validator set (from the genesis file the chain was started with).
        case genesis(chainID: String, validators: ValidatorSet, genesisTime: UInt64)
        /// A header the user knows by height and hash (from a source they trust).
        case header(chainID: String, height: UInt64, hash: Hash)

        public var chainID: String {
            switch self { case let .genesis(c, _, _), let .header(c, _, _): return c }
        }
    }

    public let chainID: String
    public let mode: Mode
    public let trustLevel: LightVerifier.TrustLevel
    /// The root's height (0 for genesis); nothing below it can be verified.
    public let rootHeight: UInt64
    /// Verified blocks by height (the root's block too when the root is a header).
    public private(set) var verified: [UInt64: LightBlock] = [:]
    private var root: LightVerifier.Trusted
    /// Light blocks fetched so far (what bisection cost).
    public private(set) var fetched = 0
    /// nil: trusted headers never expire (tests and replays of a fixed history; the CLI and MCP
    /// always set one).
    public let trustingPeriod: TrustingPeriod?
    /// How far past the clock a header's time may lie (`header_from_future` beyond it). nil: no
    /// such check (tests and replays of a fixed history; the CLI and MCP always set one).
    public let maxClockDrift: ClockDrift?
    /// Now, ms since 1970, read at each verification.
    private let clock: @Sendable () -> UInt64

    /// Starts from `root`. A header root is fetched from `source`, must hash to the given hash and
    /// carry a valid +2/3 commit of the set it names.
    public init(root trust: TrustRoot, source: some LightBlockSource, mode: Mode = .skipping,
                trustLevel: LightVerifier.TrustLevel = .oneThird, trustingPeriod: TrustingPeriod? = nil, maxClockDrift: ClockDrift? = nil,
                clock: @escaping @Sendable () -> UInt64 = TrustingPeriod.wallClockMilliseconds) async throws(LightClientError) {
        chainID = trust.chainID
        self.mode = mode
        self.trustLevel = trustLevel
        self.trustingPeriod = trustingPeriod
        self.maxClockDrift = maxClockDrift
        self.clock = clock
        switch trust {
        case let .genesis(chainID, validators, time):
            root = .genesis(chainID: chainID, validators: validators, genesisTime: time)
            rootHeight = 0
        case let .header(chainID, height, hash):
            let block = try await source.lightBlock(height: height)
            fetched += 1
            guard block.height == height else {
                throw .malformed(what: "light block", reason: "asked for height \(height), got \(block.height)")
            }
            guard block.header.chainID == chainID else { throw .wrongChain(expected: chainID, got: block.header.chainID, height: height) }
            guard block.hash == hash else { throw .hashMismatch(height: height, what: "the trusted header's hash", expected: hash, got: block.hash) }
            let now = trustingPeriod == nil && maxClockDrift == nil ? 0 : clock()
            if let drift = maxClockDrift { try ClockDrift.Check(drift: drift, now: now).refuseFuture(height: height, time: block.header.timestamp) }
            try LightVerifier.verifyCommit(block)
            if let period = trustingPeriod {
                try TrustingPeriod.Check(period: period, now: now).refuseExpired(height: height, time: block.header.timestamp)
            }
            root = LightVerifier.Trusted(block)
            rootHeight = height
            verified[height] = block
        }
    }

    /// The verified light block at `height`, fetching and checking what leads to it.
    public mutating func verify(height target: UInt64, source: some LightBlockSource) async throws(LightClientError) -> LightBlock {
        if let known = verified[target] { return known }
        guard target > rootHeight else {
            throw .heightNotAvailable(height: target, reason: "below the trust root at height \(rootHeight)")
        }
        var trusted = highestTrusted(below: target)
        let now = trustingPeriod == nil && maxClockDrift == nil ? 0 : clock()
        let checks = LightVerifier.ClockChecks(expiry: trustingPeriod.map { TrustingPeriod.Check(period: $0, now: now) },
                                               future: maxClockDrift.map { ClockDrift.Check(drift: $0, now: now) })
        switch mode {
        case .sequential:
            var last: LightBlock?
            for height in (trusted.height + 1)...target {
                let block = try await fetch(height, source)
                try LightVerifier.verify(block, trusted: trusted, trustLevel: trustLevel, expiry: checks.expiry, future: checks.future)
                accept(block, &trusted)
                last = block
            }
            guard let last else { throw .heightNotAvailable(height: target, reason: "nothing to verify") }
            return last
        case .skipping:
            return try await skip(to: target, from: trusted, checks: checks, source)
        }
    }

    /// Jumps to the target; on `insufficientTrust` fetches the midpoint between the trusted
    /// height and the block that could not be bridged, and retries from there. Every other
    /// refusal ends the verification at once: a bad block is never routed around.
    private mutating func skip(to target: UInt64, from start: LightVerifier.Trusted, checks: LightVerifier.ClockChecks,
                               _ source: some LightBlockSource) async throws(LightClientError) -> LightBlock {
        var trusted = start
        var pending = [try await fetch(target, source)]
        while let candidate = pending.last {
            do {
                try LightVerifier.verify(candidate, trusted: trusted, trustLevel: trustLevel, expiry: checks.expiry, future: checks.future)
                accept(candidate, &trusted)
                pending.removeLast()
            } catch let error {
                // Adjacent heights never fail trust (they are checked by the announced set).
                guard case .insufficientTrust = error, candidate.height > trusted.height + 1 else { throw error }
                let middle = trusted.height + (candidate.height - trusted.height) / 2
                pending.append(try await fetch(middle, source))
            }
        }
        guard let block = verified[target] else { throw .heightNotAvailable(height: target, reason: "bisection ended early") }
        return block
    }

    private mutating func accept(_ block: LightBlock, _ trusted: inout LightVerifier.Trusted) {
        verified[block.height] = block
        trusted = LightVerifier.Trusted(block)
    }

    private mutating func fetch(_ height: UInt64, _ source: some LightBlockSource) async throws(LightClientError) -> LightBlock {
        let block = try await source.lightBlock(height: height)
        fetched += 1
        guard block.height == height else {
            throw .malformed(what: "light block", reason: "asked for height \(height), got \(block.height)")
        }
        return block
    }

    /// The highest verified block below `height`, or the root.
    private func highestTrusted(below height: UInt64) -> LightVerifier.Trusted {
        guard let best = verified.keys.filter({ $0 < height }).max(), let block = verified[best] else { return root }
        return LightVerifier.Trusted(block)
    }
}
