import AgoraCore

/// Ed25519 checks for the consensus data that AgoraCore holds as plain values: a signed vote's
/// signature and a piece of double-signing evidence. They live here because AgoraCore has no
/// signature verification; the engine, the staking module and the chain share these.
extension SignedVote {
    /// Checks the Ed25519 signature against the validator key.
    public var hasValidSignature: Bool {
        SignatureVerifier.isValid(signature, of: vote.signingBytes, by: validator)
    }
}

extension DuplicateVoteEvidence {
    /// Full check against a validator set: the offender is a validator, the chain is ours, the
    /// votes conflict and both Ed25519 signatures verify.
    public func verify(validators: ValidatorSet, chainID: String) throws(Invalid) {
        try checkShape(validators: validators, chainID: chainID)
        for vote in [first, second] where !vote.hasValidSignature {
            throw .badSignature(validator: vote.validator, blockHash: vote.vote.blockHash)
        }
    }
}
