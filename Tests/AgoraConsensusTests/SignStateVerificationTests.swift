// Tests of the signing journal's proof at load (`SignState.Parsed.verify`) and of raising the
// guard to a message proven signed (`SigningGuard.adopt`): the two defences the storage faults
// of the consensus simulator showed a validator needs.
import AgoraCore
import AgoraCrypto
import Foundation
import Testing
@testable import AgoraConsensus

@Suite("Signing journal verification")
struct SignStateVerificationTests {
    static func vote(_ h: UInt64, _ r: UInt32, _ kind: Vote.Kind, _ hash: Hash) -> Vote {
        Vote(chainID: Fixtures.chainID, height: h, round: r, kind: kind, blockHash: hash)
    }

    /// A journal at (9, 2, precommit) damaged so that it still parses but says an earlier
    /// position: trusting it would let the validator sign a different vote at (9, 0, prevote).
    @Test("a journal whose position was damaged but still parses is refused, naming what disagrees")
    func damagedPositionRefused() throws {
        let key = Fixtures.keys(1)[0]
        let store = InMemorySignStateStore()
        var signer = try SigningGuard(key: key, store: store)
        _ = try signer.sign(Self.vote(9, 2, .precommit, Hash.sha256([1])))
        guard var state = try store.load() else { Issue.record("nothing stored"); return }
        state.round = 0
        state.step = ConsensusStep.prevote.rawValue
        let damaged = InMemorySignStateStore(state)
        let caught: SignStateError?
        do { _ = try SigningGuard(key: key, store: damaged); caught = nil } catch { caught = error }
        guard case let .corrupt(reason)? = caught else { Issue.record("expected .corrupt, got \(String(describing: caught))"); return }
        #expect(reason.contains("9/0/prevote") && reason.contains("9/2/precommit"))
        // The same record, trusted as before the fix, moves the guard back: a different vote signs.
        var trusting = try SigningGuard(key: key, store: damaged, verifiesRecord: false)
        #expect(throws: Never.self) { _ = try trusting.sign(Self.vote(9, 1, .prevote, .zero)) }
    }

    @Test("a journal whose signature or signed bytes were damaged is refused")
    func damagedSignatureOrBytesRefused() throws {
        let key = Fixtures.keys(1)[0]
        let store = InMemorySignStateStore()
        var signer = try SigningGuard(key: key, store: store)
        let block = Fixtures.block(height: 4, proposer: key.publicKey)
        _ = try signer.sign(Proposal(chainID: Fixtures.chainID, height: 4, round: 1, polRound: -1, block: block))
        guard let good = try store.load() else { Issue.record("nothing stored"); return }
        #expect(throws: Never.self) { _ = try SigningGuard(key: key, store: InMemorySignStateStore(good)) }
        var badSignature = good
        badSignature.signature = String(repeating: "0", count: 128)
        var badBytes = good
        badBytes.signBytes = String(good.signBytes.dropLast(2)) + (good.signBytes.hasSuffix("00") ? "01" : "00")
        var badHash = good
        badHash.blockHash = Hash.sha256([9]).hex
        for bad in [badSignature, badBytes, badHash] {
            #expect(throws: SignStateError.self) { _ = try SigningGuard(key: key, store: InMemorySignStateStore(bad)) }
        }
    }

    @Test("adopting a signed message raises the guard past a journal that lost its tail; forgeries and earlier ones do nothing")
    func adoptRaisesGuard() throws {
        let key = Fixtures.keys(1)[0]
        let store = InMemorySignStateStore()
        var signer = try SigningGuard(key: key, store: store)
        _ = try signer.sign(Self.vote(7, 0, .prevote, .zero))
        let lost = Self.vote(7, 1, .precommit, Hash.sha256([3]))
        let lostSignature = key.sign(lost.signingBytes)
        // A forged signature and an earlier position leave the guard where it is.
        try signer.adopt(signBytes: lost.signingBytes, signature: Fixtures.keys(1, seed: 5)[0].sign(lost.signingBytes))
        try signer.adopt(signBytes: Self.vote(6, 0, .prevote, .zero).signingBytes, signature: key.sign(Self.vote(6, 0, .prevote, .zero).signingBytes))
        #expect(signer.last?.position == SignPosition(height: 7, round: 0, step: .prevote))
        try signer.adopt(signBytes: lost.signingBytes, signature: lostSignature)
        #expect(signer.last?.position == SignPosition(height: 7, round: 1, step: .precommit))
        #expect(throws: SigningGuard.Refusal.self) { try signer.sign(Self.vote(7, 1, .precommit, .zero)) }
        // It was written back: a restart keeps it.
        #expect(try SigningGuard(key: key, store: store).last?.position == SignPosition(height: 7, round: 1, step: .precommit))
    }
}
