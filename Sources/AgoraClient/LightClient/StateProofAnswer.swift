import AgoraAPIModels
import AgoraCore

extension StateAnswer {
    /// A node's `GET /api/v1/proofs/state` answer (or the `proof` of a `?prove=true` read), from
    /// its canonical bytes only: a view whose stated height or header hash disagrees with its
    /// header bytes is refused (`malformed_answer`, `hash_mismatch`). The view's commit is not
    /// used: the light client takes the header's commit and set from its own source and checks
    /// that the header the answer carries is the one it verified.
    public init(view: API.StateProofView) throws(LightClientError) {
        let decoded: API.StateProofView.Decoded
        do { decoded = try view.decoded() } catch { throw .malformed(what: "state proof answer", reason: error.description) }
        guard decoded.header.height == view.height else {
            throw .malformed(what: "state proof answer", reason: "stated height \(view.height) but the header is of height \(decoded.header.height)")
        }
        guard Hash(hex: view.headerHash) == decoded.header.hash else {
            throw .hashMismatch(height: view.height, what: "the stated header hash", expected: decoded.header.hash, got: Hash(hex: view.headerHash) ?? .zero)
        }
        self.init(key: decoded.key, value: decoded.value, height: view.height, proof: decoded.proof.canonicalBytes, header: decoded.header)
    }
}
