import AgoraCore

/// Why the light client refused an answer. Every case names the height and what did not hold;
/// `code` is the stable name the CLI prints and exits with (docs/light-client.md) and MCP reports.
/// None of them is ever "probably fine": a refusal means the answer is not proven.
public enum LightClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A header or proof of another chain than the trusted one.
    case wrongChain(expected: String, got: String, height: UInt64)
    /// The commit carries at most 2/3 of its validator set's power.
    case insufficientSignatures(height: UInt64, signedPower: UInt64, totalPower: UInt64)
    /// Not more than 1/3 of the trusted set signed a header the client tried to jump to; the
    /// client bisects on this one, and reports it only when no bisection can bridge the gap.
    case insufficientTrust(trustedHeight: UInt64, height: UInt64, signedPower: UInt64, trustedPower: UInt64)
    /// A header's validator set is not the one the trusted chain announced (`nextValidatorSetHash`
    /// of its parent, or `validatorSetHash` of the header itself).
    case unknownValidatorSet(height: UInt64, expected: Hash, got: Hash)
    case duplicateSignature(height: UInt64, validator: PublicKey)
    /// A signature by a key that is not in the height's validator set.
    case foreignSignature(height: UInt64, validator: PublicKey)
    case badSignature(height: UInt64, validator: PublicKey)
    /// Two hashes that must be equal are not: `what` names them (the commit's block hash and the
    /// header's, a parent link, the trusted hash given by the user, …).
    case hashMismatch(height: UInt64, what: String, expected: Hash, got: Hash)
    /// A header that does not move forward from the trusted one (height or time).
    case notMonotonic(height: UInt64, reason: String)
    /// The source cannot serve this height (pruned, not decided yet, below the trust root).
    case heightNotAvailable(height: UInt64, reason: String)
    /// The source answered something that does not decode or does not describe itself
    /// consistently.
    case malformed(what: String, reason: String)
    /// A state proof that does not check against the verified header.
    case badProof(reason: String)
    /// The source could not be asked at all.
    case unreachable(reason: String)
    /// The trusted header the client would verify from is older than the trusting period
    /// (CometBFT's expired trusted header): its validators may have unbonded since, so their
    /// signatures no longer vouch for anything. Times are ms since 1970.
    case trustExpired(trustedHeight: UInt64, trustedTime: UInt64, periodMs: UInt64, now: UInt64)
    /// A header dated more than the allowed clock drift after the client's clock (CometBFT's
    /// `maxClockDrift`): honest validators never commit one. Times are ms since 1970.
    case headerFromFuture(height: UInt64, time: UInt64, now: UInt64, driftMs: UInt64)

    /// The typed reason, as the CLI and MCP report it.
    public var code: String {
        switch self {
        case .wrongChain: return "wrong_chain"
        case .insufficientSignatures: return "insufficient_signatures"
        case .insufficientTrust, .unknownValidatorSet: return "unknown_validator_set"
        case .duplicateSignature: return "duplicate_signature"
        case .foreignSignature: return "foreign_signature"
        case .badSignature: return "bad_signature"
        case .hashMismatch: return "hash_mismatch"
        case .notMonotonic: return "not_monotonic"
        case .heightNotAvailable: return "height_not_available"
        case .malformed: return "malformed_answer"
        case .badProof: return "bad_proof"
        case .unreachable: return "unreachable"
        case .trustExpired: return "trust_expired"
        case .headerFromFuture: return "header_from_future"
        }
    }

    public var description: String {
        switch self {
        case let .wrongChain(e, g, h): return "header \(h) is of chain \"\(g.prefix(64))\", not the trusted chain \"\(e)\""
        case let .insufficientSignatures(h, s, t): return "commit of height \(h) carries \(s) of \(t) voting power, not more than 2/3"
        case let .insufficientTrust(th, h, s, t):
            return "cannot bridge from trusted height \(th) to \(h): its commit carries \(s) of the trusted set's \(t) power, not more than 1/3"
        case let .unknownValidatorSet(h, e, g): return "height \(h) is signed by validator set \(g), but the trusted chain names \(e)"
        case let .duplicateSignature(h, v): return "commit of height \(h) has two signatures by \(v.hex)"
        case let .foreignSignature(h, v): return "commit of height \(h) is signed by \(v.hex), which is not in its validator set"
        case let .badSignature(h, v): return "commit of height \(h): the signature by \(v.hex) does not verify"
        case let .hashMismatch(h, what, e, g): return "height \(h): \(what) is \(g), expected \(e)"
        case let .notMonotonic(h, why): return "header \(h) does not follow the trusted header: \(why)"
        case let .heightNotAvailable(h, why): return "height \(h) is not available: \(why)"
        case let .malformed(what, why): return "malformed \(what): \(why)"
        case let .badProof(why): return "bad proof: \(why)"
        case let .unreachable(why): return "cannot reach the node: \(why)"
        case let .trustExpired(h, t, p, now):
            return "the trusted header at height \(h) (time \(t) ms) is older than the trusting period of \(p / 1_000) s (now \(now) ms): "
                + "start from a recent trusted header (--trust-height, --trust-hash) or, if you accept the risk, a longer --trusting-period"
        case let .headerFromFuture(h, t, now, d):
            return "header \(h) is dated \(t) ms, more than the allowed clock drift of \(d) ms after this client's clock (\(now) ms): "
                + "its validators' clocks are wrong or this machine's is; check the clock, or widen --max-clock-drift"
        }
    }
}
