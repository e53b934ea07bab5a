import AgoraCore
import AgoraCrypto

/// The light client's rules, as pure functions of the trusted block and the one to check
/// (CometBFT's `VerifyAdjacent` / `VerifyNonAdjacent`, written for Agora's header):
///
/// - **Commit**: the commit is for this header (height and block hash), the set is the one the
///   header names (`validatorSetHash`), every signature is by a distinct member of that set and
///   verifies over the precommit's canonical bytes (`Vote.signingBytes`, the bytes consensus
///   signs), and the signers hold more than 2/3 of the set's power.
/// - **Adjacent** (height T+1): the header links to T (`previousHash`) and is signed by exactly
///   the set T announced (`nextValidatorSetHash`) — so any validator-set change is followed, one
///   height at a time, with no assumption beyond the trust root.
/// - **Skipping** (height > T+1): more than `trustLevel` (default 1/3) of the trusted set's
///   power signed the new header, so at least one honest validator of the trusted set vouches
///   for it (assuming fewer than 1/3 of that set is faulty while the root is trusted), and its own
///   set signed it with +2/3. Failing only the first is `insufficientTrust`, on which the client
///   bisects.
public enum LightVerifier {
    /// What the client trusts at a height: enough of a header to check the next one against.
    public struct Trusted: Sendable, Equatable {
        public var chainID: String
        public var height: UInt64
        public var hash: Hash
        public var timestamp: UInt64
        /// The set that signs `height + 1`.
        public var nextValidatorSetHash: Hash
        /// The set that signed this height (for the genesis root, the genesis set).
        public var validators: ValidatorSet

        public init(chainID: String, height: UInt64, hash: Hash, timestamp: UInt64, nextValidatorSetHash: Hash, validators: ValidatorSet) {
            self.chainID = chainID; self.height = height; self.hash = hash; self.timestamp = timestamp
            self.nextValidatorSetHash = nextValidatorSetHash; self.validators = validators
        }

        /// A verified light block becomes the trusted one.
        public init(_ block: LightBlock) {
            self.init(chainID: block.header.chainID, height: block.height, hash: block.hash, timestamp: block.header.timestamp,
                      nextValidatorSetHash: block.header.nextValidatorSetHash, validators: block.validators)
        }

        /// The root a genesis file gives: "height 0", whose successor is block 1 (previous hash
        /// zero) signed by the genesis set.
        public static func genesis(chainID: String, validators: ValidatorSet, genesisTime: UInt64) -> Trusted {
            Trusted(chainID: chainID, height: 0, hash: .zero, timestamp: genesisTime, nextValidatorSetHash: validators.hash, validators: validators)
        }
    }

    /// The checks judged by the client's clock, read once per verification.
    public struct ClockChecks: Sendable, Equatable {
        public var expiry: TrustingPeriod.Check?
        public var future: ClockDrift.Check?
        public init(expiry: TrustingPeriod.Check?, future: ClockDrift.Check?) { self.expiry = expiry; self.future = future }
    }

    /// A fraction of the trusted set's power that must sign a header the client skips to.
    public struct TrustLevel: Sendable, Equatable {
        public let numerator: UInt64
        public let denominator: UInt64
        /// CometBFT's default: one honest validator is enough if fewer than 1/3 are faulty.
        public static let oneThird = TrustLevel(uncheckedNumerator: 1, denominator: 3)

        /// Between 1/3 and 1: below 1/3 all signers could be faulty.
        public init?(numerator: UInt64, denominator: UInt64) {
            guard denominator > 0, denominator <= 1_000_000, numerator <= denominator, numerator * 3 >= denominator else { return nil }
            self.init(uncheckedNumerator: numerator, denominator: denominator)
        }

        private init(uncheckedNumerator: UInt64, denominator: UInt64) {
            numerator = uncheckedNumerator
            self.denominator = denominator
        }
    }

    /// Checks `block` against `trusted`: adjacent if it is the next height, skipping otherwise.
    /// With an `expiry`, a trusted header older than the trusting period is refused first
    /// (`trust_expired`), whichever rule would apply; with a `future` check, a header dated more
    /// than the clock drift after the client's clock is refused (`header_from_future`) before
    /// any signature is checked.
    public static func verify(_ block: LightBlock, trusted: Trusted, trustLevel: TrustLevel = .oneThird,
                              expiry: TrustingPeriod.Check? = nil, future: ClockDrift.Check? = nil) throws(LightClientError) {
        if let expiry { try expiry.refuseExpired(height: trusted.height, time: trusted.timestamp) }
        let h = block.header
        guard h.chainID == trusted.chainID else { throw .wrongChain(expected: trusted.chainID, got: h.chainID, height: h.height) }
        guard h.height > trusted.height else {
            throw .notMonotonic(height: h.height, reason: "not above the trusted height \(trusted.height)")
        }
        guard h.timestamp > trusted.timestamp else {
            throw .notMonotonic(height: h.height, reason: "timestamp \(h.timestamp) is not after the trusted header's \(trusted.timestamp)")
        }
        if let future { try future.refuseFuture(height: h.height, time: h.timestamp) }
        if h.height == trusted.height + 1 {
            guard h.previousHash == trusted.hash else {
                throw .hashMismatch(height: h.height, what: "previousHash", expected: trusted.hash, got: h.previousHash)
            }
            guard h.validatorSetHash == trusted.nextValidatorSetHash else {
                throw .unknownValidatorSet(height: h.height, expected: trusted.nextValidatorSetHash, got: h.validatorSetHash)
            }
            _ = try verifyCommit(block)
        } else {
            let signers = try verifyCommit(block)
            let vouched = signers.reduce(UInt64(0)) { $0 + trusted.validators.power(of: $1) }
            guard exceeds(vouched, trustLevel.numerator, trustLevel.denominator, of: trusted.validators.totalPower) else {
                throw .insufficientTrust(trustedHeight: trusted.height, height: h.height, signedPower: vouched,
                                         trustedPower: trusted.validators.totalPower)
            }
        }
    }

    /// The commit rule on its own: the commit is for this header, by the header's set, with
    /// distinct valid member signatures holding +2/3 of the power. Returns the signers.
    @discardableResult
    public static func verifyCommit(_ block: LightBlock) throws(LightClientError) -> [PublicKey] {
        let h = block.header, commit = block.commit, set = block.validators
        guard commit.height == h.height else {
            throw .malformed(what: "commit", reason: "commit of height \(commit.height) given for header \(h.height)")
        }
        guard commit.blockHash == block.hash else {
            throw .hashMismatch(height: h.height, what: "the commit's block hash", expected: block.hash, got: commit.blockHash)
        }
        guard set.hash == h.validatorSetHash else {
            throw .unknownValidatorSet(height: h.height, expected: h.validatorSetHash, got: set.hash)
        }
        let vote = commit.vote(chainID: h.chainID)
        var seen = Set<PublicKey>()
        var power: UInt64 = 0
        for signature in commit.signatures {
            guard seen.insert(signature.validator).inserted else { throw .duplicateSignature(height: h.height, validator: signature.validator) }
            let p = set.power(of: signature.validator)
            guard p > 0 else { throw .foreignSignature(height: h.height, validator: signature.validator) }
            guard SignatureVerifier.isValid(signature, for: vote) else { throw .badSignature(height: h.height, validator: signature.validator) }
            // Distinct members of a set whose total is at most 2^63 - 1 (ValidatorSet): no overflow.
            power += p
        }
        guard exceeds(power, 2, 3, of: set.totalPower) else {
            throw .insufficientSignatures(height: h.height, signedPower: power, totalPower: set.totalPower)
        }
        return commit.signatures.map(\.validator)
    }

    /// `part > total * numerator / denominator`, exactly (full-width products, no overflow).
    static func exceeds(_ part: UInt64, _ numerator: UInt64, _ denominator: UInt64, of total: UInt64) -> Bool {
        VotingPower.exceeds(part, numerator, denominator, of: total)
    }
}
