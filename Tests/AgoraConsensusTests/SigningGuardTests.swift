import AgoraCore
import AgoraCrypto
import Foundation
import Testing
@testable import AgoraConsensus

@Suite("Signing guard")
struct SigningGuardTests {
    static func tempPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agora-sign-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("sign_state.json").path
    }

    static func vote(_ h: UInt64, _ r: UInt32, _ kind: Vote.Kind, _ hash: Hash) -> Vote {
        Vote(chainID: Fixtures.chainID, height: h, round: r, kind: kind, blockHash: hash)
    }

    @Test("re-signing the identical vote returns the same signature; a different block at the same step is refused")
    func sameStep() throws {
        let key = Fixtures.keys(1)[0]
        var signer = try SigningGuard(key: key, store: InMemorySignStateStore())
        let first = try signer.sign(Self.vote(5, 1, .prevote, Hash.sha256([1])))
        let again = try signer.sign(Self.vote(5, 1, .prevote, Hash.sha256([1])))
        #expect(first == again)
        #expect(first.hasValidSignature)
        #expect(throws: SigningGuard.Refusal.conflict(at: SignPosition(height: 5, round: 1, step: .prevote),
                                                      signed: Hash.sha256([1]), requested: .zero)) {
            try signer.sign(Self.vote(5, 1, .prevote, .zero))
        }
    }

    @Test("anything at an earlier height, round or step is refused; later positions are signed")
    func regression() throws {
        let key = Fixtures.keys(1)[0]
        var signer = try SigningGuard(key: key, store: InMemorySignStateStore())
        _ = try signer.sign(Self.vote(5, 2, .precommit, .zero))
        for earlier in [Self.vote(4, 9, .precommit, .zero), Self.vote(5, 1, .precommit, .zero), Self.vote(5, 2, .prevote, .zero)] {
            #expect(throws: SigningGuard.Refusal.self) { try signer.sign(earlier) }
        }
        let block = Fixtures.block(height: 5, proposer: key.publicKey)
        let proposal = Proposal(chainID: Fixtures.chainID, height: 5, round: 2, polRound: -1, block: block)
        #expect(throws: SigningGuard.Refusal.regression(last: SignPosition(height: 5, round: 2, step: .precommit),
                                                        requested: SignPosition(height: 5, round: 2, step: .propose))) {
            try signer.sign(proposal)
        }
        let later = Proposal(chainID: Fixtures.chainID, height: 5, round: 3, polRound: -1, block: block)
        let signed = try signer.sign(later)
        #expect(SignatureVerifier.isValid(signed.signature, of: later.signingBytes, by: key.publicKey))
        _ = try signer.sign(Self.vote(5, 3, .prevote, block.hash))
        _ = try signer.sign(Self.vote(6, 0, .prevote, .zero))
    }

    @Test("a restarted validator reloads its state from the file and never double-signs")
    func restartFromFile() throws {
        let path = Self.tempPath()
        let key = Fixtures.keys(1)[0]
        var signer = try SigningGuard(key: key, store: FileSignStateStore(path: path))
        let signed = try signer.sign(Self.vote(9, 0, .precommit, Hash.sha256([7])))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        // "Restart": a new guard over the same file.
        var restarted = try SigningGuard(key: key, store: FileSignStateStore(path: path))
        #expect(restarted.last?.position == SignPosition(height: 9, round: 0, step: .precommit))
        #expect(throws: SigningGuard.Refusal.self) { try restarted.sign(Self.vote(9, 0, .precommit, .zero)) }
        #expect(throws: SigningGuard.Refusal.self) { try restarted.sign(Self.vote(9, 0, .prevote, Hash.sha256([7]))) }
        let again = try restarted.sign(Self.vote(9, 0, .precommit, Hash.sha256([7])))
        #expect(again == signed)
        // A state file belongs to one key.
        let other = Fixtures.keys(1, seed: 3)[0]
        #expect(throws: SignStateError.wrongKey(expected: other.publicKey, found: key.publicKey.hex)) {
            try SigningGuard(key: other, store: FileSignStateStore(path: path))
        }
    }

    @Test("a corrupt or truncated state file is a typed error, never a silent reset")
    func corruptFile() throws {
        let key = Fixtures.keys(1)[0]
        let path = Self.tempPath()
        var signer = try SigningGuard(key: key, store: FileSignStateStore(path: path))
        _ = try signer.sign(Self.vote(2, 0, .prevote, .zero))
        let good = try String(contentsOfFile: path, encoding: .utf8)
        for bad in [String(good.prefix(good.count / 2)), "", "{}", good.replacingOccurrences(of: "\"step\" : 2", with: "\"step\" : 7")] {
            try bad.write(toFile: path, atomically: true, encoding: .utf8)
            let caught: SignStateError?
            do { _ = try SigningGuard(key: key, store: FileSignStateStore(path: path)); caught = nil } catch { caught = error }
            guard case .corrupt = caught else {
                Issue.record("expected .corrupt for \(bad.prefix(40)), got \(String(describing: caught))")
                continue
            }
        }
    }

    @Test("the last signed vote is rebuilt from the stored sign bytes after a restart; a proposal leaves none")
    func lastSignedVote() throws {
        let key = Fixtures.keys(1)[0]
        let store = InMemorySignStateStore()
        var signer = try SigningGuard(key: key, store: store)
        #expect(signer.lastSignedVote == nil)
        let signed = try signer.sign(Self.vote(3, 1, .prevote, Hash.sha256([4])))
        let restarted = try SigningGuard(key: key, store: store)
        #expect(restarted.lastSignedVote == signed)
        let block = Fixtures.block(height: 3, proposer: key.publicKey)
        _ = try signer.sign(Proposal(chainID: Fixtures.chainID, height: 3, round: 2, polRound: -1, block: block))
        #expect(try SigningGuard(key: key, store: store).lastSignedVote == nil)
    }

    @Test("a missing file means nothing signed yet")
    func missingFile() throws {
        let path = Self.tempPath()
        #expect(try FileSignStateStore(path: path).load() == nil)
    }
}
