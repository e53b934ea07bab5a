import AgoraCore

/// Signing and checking presence heartbeats: the member's key over the heartbeat's
/// domain-separated, chain-bound encoding (see `Heartbeat.signingBytes(chainID:)`).
extension SigningKey {
    public func sign(_ heartbeat: Heartbeat, chainID: String) -> SignedHeartbeat {
        SignedHeartbeat(heartbeat: heartbeat, signature: sign(heartbeat.signingBytes(chainID: chainID)))
    }
}

extension SignedHeartbeat {
    /// True if the signature is the member key's over this heartbeat on `chainID`.
    public func isValid(chainID: String) -> Bool {
        SignatureVerifier.isValid(signature, of: heartbeat.signingBytes(chainID: chainID), by: heartbeat.member)
    }
}
