import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraState
import Testing

@Suite("Mempool: evidence admission")
struct MempoolEvidenceTests {
    let validator = SigningKey(), reporter = SigningKey()
    let treasury = Address(raw: [UInt8](repeating: 1, count: 20))

    /// A view over a one-validator genesis with a 3-height evidence window.
    func view(height: UInt64, withState: Bool = true) throws -> Mempool.ChainView {
        let genesis = Genesis(chainID: "m", genesisTime: 0, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                              params: .init(treasury: treasury.description, transferFeeBps: 0, minFee: Amount(1)!, faucetAmount: .zero,
                                            maxTotalSupply: Amount(1_000)!, maxAccountBalance: Amount(1_000)!, blockReward: .zero),
                              allocations: [], staking: .init(maxEvidenceAge: 3))
        let resolved = try genesis.resolve()
        var state = MemoryState()
        state.apply(resolved.state)
        return Mempool.ChainView(chainID: "m", nextHeight: height, params: resolved.params, supply: .zero,
                                 account: { _ in .empty }, state: withState ? state : nil)
    }

    func evidence(height: UInt64, fee: UInt64 = 0, nonce: UInt64 = 0, signer: SigningKey? = nil) -> Transaction {
        func vote(_ b: UInt8) -> SignedVote {
            let v = Vote(chainID: "m", height: height, round: 0, kind: .precommit, blockHash: Hash.sha256([b]))
            return SignedVote(vote: v, validator: validator.publicKey, signature: (signer ?? validator).sign(v.signingBytes))
        }
        return reporter.sign(TransactionBody(chainID: "m", sender: reporter.publicKey, nonce: nonce, fee: Amount(fee)!, expiresAt: 100,
                                             payload: .evidence(try! DuplicateVoteEvidence(vote(1), vote(2)))))
    }

    @Test("real evidence from an empty account with fee 0 is admitted")
    func admitted() throws {
        #expect(try Mempool().insert(evidence(height: 2), view: view(height: 4)) == .ready)
    }

    @Test("with state, evidence outside the window is refused at the door")
    func windowAtAdmission() throws {
        #expect(throws: Mempool.AdmissionError.rejected(.evidenceTooOld(height: 1, current: 9, maxAge: 3))) {
            try Mempool().insert(evidence(height: 1), view: view(height: 9))
        }
        // Without state only the stateless checks run here; the block refuses it later.
        #expect(try Mempool().insert(evidence(height: 1), view: view(height: 9, withState: false)) == .ready)
    }

    @Test("forged votes and a fee are refused with or without state; a queued (future-nonce) evidence is refused")
    func statelessChecks() throws {
        for withState in [true, false] {
            let forged = evidence(height: 2, signer: reporter)
            #expect(throws: Mempool.AdmissionError.self) { try Mempool().insert(forged, view: view(height: 4, withState: withState)) }
            #expect(throws: Mempool.AdmissionError.rejected(.evidenceFeeMustBeZero(Amount(1)!))) {
                try Mempool().insert(evidence(height: 2, fee: 1), view: view(height: 4, withState: withState))
            }
        }
        #expect(throws: Mempool.AdmissionError.rejected(.nonceTooHigh(expected: 0, got: 1))) {
            try Mempool().insert(evidence(height: 2, nonce: 1), view: view(height: 4))
        }
    }
}
