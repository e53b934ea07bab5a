import AgoraConsensus
import AgoraCore
import AgoraCrypto

extension Chain {
    /// Submits double-sign evidence as a fee-free transaction from `reporter` (the node's key;
    /// the account needs no balance). Every validator that saw the offence reports it; the first
    /// to be included slashes and tombstones the offender, the rest are refused as already
    /// punished.
    @discardableResult
    public func report(_ evidence: DuplicateVoteEvidence, by reporter: SigningKey) throws(Mempool.AdmissionError) -> Transaction {
        let committed = (try? account(reporter.address).nonce) ?? 0
        let head = snapshot.head.height
        let body = TransactionBody(chainID: identity.chainID, sender: reporter.publicKey,
                                   nonce: mempool.nextNonce(sender: reporter.address, committed: committed), fee: .zero,
                                   expiresAt: head + 100, payload: .evidence(evidence))
        let tx = reporter.sign(body)
        try submit(tx)
        return tx
    }
}
