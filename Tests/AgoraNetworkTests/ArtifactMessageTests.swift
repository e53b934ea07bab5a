import AgoraCore
import Testing
@testable import AgoraNetwork

@Suite("Artifact wire messages")
struct ArtifactMessageTests {
    func decode(_ bytes: [UInt8]) throws -> WireMessage {
        var r = CanonicalReader(bytes)
        return try WireMessage(from: &r)
    }

    @Test("a piece that does not fit inside its artifact, an empty piece and an oversized request are refused by the decoder")
    func refusals() throws {
        let sha = Hash.sha256([7])
        for bad: WireMessage in [
            .artifactPiece(sha256: sha, offset: 8, total: 9, bytes: [1, 2]),   // runs past the end
            .artifactPiece(sha256: sha, offset: 9, total: 9, bytes: [1]),      // starts at the end
            .artifactPiece(sha256: sha, offset: 0, total: 9, bytes: []),       // says nothing
            .getArtifact(sha256: sha, offset: 0, length: 0),
            .getArtifact(sha256: sha, offset: 0, length: UInt32(WireMessage.maxArtifactPiece + 1)),
        ] {
            #expect(throws: CodecError.self, "\(bad.kind)") { try decode(bad.canonicalBytes) }
        }
        let good = WireMessage.artifactPiece(sha256: sha, offset: 7, total: 9, bytes: [1, 2])
        let back = try decode(good.canonicalBytes)
        #expect(back == good)
    }

    @Test("artifact messages have their own rate class, apart from control and blocks")
    func rateClass() {
        let sha = Hash.sha256([7])
        #expect(MessageLimits.classify(.getArtifact(sha256: sha, offset: 0, length: 1)) == .artifacts)
        #expect(MessageLimits.classify(.artifactMissing(sha256: sha)) == .artifacts)
        var limits = MessageLimits(now: 0)
        var allowed = 0
        for _ in 0..<1_000 where limits.allow(.getArtifact(sha256: sha, offset: 0, length: 1), now: 0) { allowed += 1 }
        #expect(allowed == 128)
        let pingAllowed = limits.allow(.ping(1), now: 0)
        #expect(pingAllowed)
    }
}
